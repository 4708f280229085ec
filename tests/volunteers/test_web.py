"""Matching on the Vermittlung page and API; the volunteer's own profile page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.volunteers.services import profile_of, update_profile
from tests.api.test_api_flow import api_login
from tests.flows import complete_web, open_task, start_case_web, valid_data

NOT_IN_LIST = "Bitte eine Ehrenamtliche / einen Ehrenamtlichen aus der Liste wählen."


def _user(app, username: str) -> dict:
    with app.app_context():
        return profile_of(db.session.scalar(select(User).where(User.username == username)))


def _set_profile(app, username: str, **changes) -> None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        update_profile(user, changes)
        db.session.commit()


@pytest.fixture
def russian_case(login_as):
    fb36 = login_as("fb36")
    case_id = start_case_web(fb36)
    response = complete_web(fb36, case_id, "bedarfsermittlung",
                            valid_data("bedarfsermittlung", sprachen="Russisch"))
    assert response.status_code == 302
    return case_id


def test_vermittlung_suggests_the_russian_speaker_first(app, login_as, russian_case) -> None:
    task = open_task(app, russian_case, "vermittlung")
    page = login_as("k201").get(f"/aufgaben/{task.id}").get_data(as_text=True)
    assert re.findall(r'<option value="(ehrenamt\d)"', page) == ["ehrenamt2", "ehrenamt1"]
    assert "1. Ole Begleiter – spricht Russisch, 3 Std./Woche" in page
    assert "Vorschläge" in page and "Nicht vorgeschlagen" not in page


def test_ineligible_volunteer_is_not_offered(app, login_as, russian_case) -> None:
    _set_profile(app, "ehrenamt1", schulungen={"a": "2024-02-10"})
    task = open_task(app, russian_case, "vermittlung")
    k201 = login_as("k201")
    page = k201.get(f"/aufgaben/{task.id}").get_data(as_text=True)
    assert re.findall(r'<option value="(ehrenamt\d)"', page) == ["ehrenamt2"]
    excluded = page.split("Nicht vorgeschlagen", 1)[1]
    assert "Mira Helferin" in excluded and "Schulung b fehlt" in excluded

    response = k201.post(f"/aufgaben/{task.id}", data={"ehrenamtliche": "ehrenamt1"})
    assert response.status_code == 422
    error = re.search(r'<ul class="field-errors" id="ehrenamtliche-error">\s*<li>(.*?)</li>',
                      response.get_data(as_text=True))
    assert error and error.group(1) == NOT_IN_LIST
    assert open_task(app, russian_case, "vermittlung") is not None  # nothing happened

    api = api_login(app, "k201")
    detail = api.get(f"/tasks/{task.id}").get_json()
    assert detail["form_schema"]["properties"]["ehrenamtliche"]["enum"] == ["ehrenamt2"]


def test_volunteer_corrects_own_profile(app, login_as) -> None:
    volunteer = login_as("ehrenamt1")
    page = volunteer.get("/ehrenamt/profil")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'value="Deutsch, Arabisch"' in text and "Mein Profil" in text
    response = volunteer.post("/ehrenamt/profil", data={"sprachen": "Deutsch, Arabisch, Farsi",
                                                        "stunden_pro_woche": "5",
                                                        "orte": "Musterstadt, Nordheim"})
    assert response.status_code == 302
    profile = _user(app, "ehrenamt1")
    assert profile["sprachen"] == ["Deutsch", "Arabisch", "Farsi"]
    assert profile["stunden_pro_woche"] == 5
    assert profile["orte"] == ["Musterstadt", "Nordheim"]
    assert profile["schulungen"]["b"] == "2024-03-02"  # kept by 201, unchanged
    assert profile["schweigepflicht_am"] == "2024-03-02"


def test_profile_rejects_bad_hours(app, login_as) -> None:
    response = login_as("ehrenamt2").post("/ehrenamt/profil", data={"stunden_pro_woche": "99"})
    assert response.status_code == 422
    assert "Bitte eine Zahl zwischen 0 und 40 angeben." in response.get_data(as_text=True)
    assert _user(app, "ehrenamt2")["stunden_pro_woche"] == 3


@pytest.mark.parametrize("username", ["fb36", "k201", "mbe1", "admin"])
def test_profile_is_for_volunteers_only(login_as, username) -> None:
    client = login_as(username)
    assert client.get("/ehrenamt/profil").status_code == 403
    assert client.post("/ehrenamt/profil", data={"sprachen": "X"}).status_code == 403
    assert "/ehrenamt/profil" not in client.get("/aufgaben").get_data(as_text=True)


def test_profile_link_for_volunteers(login_as) -> None:
    assert "/ehrenamt/profil" in login_as("ehrenamt1").get("/aufgaben").get_data(as_text=True)
