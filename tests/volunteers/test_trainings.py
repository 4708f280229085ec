"""Trainings and Stammtisch meetings: invitations, attendance → profile → matching."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.notify.models import Notification, OutboxMail
from app.volunteers.models import Training
from tests.flows import complete_web, open_task, start_case_web, valid_data
from tests.volunteers.helpers import profile, user_id


def _training(client, **data) -> int:
    form = {"kind": "b", "datum": date.today().isoformat(), "uhrzeit": "18:00", "ort": "Kreishaus, Raum 2",
            "thema": "Rolle der Alltagsbegleitung", **data}
    response = client.post("/schulungen", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return int(re.search(r"/schulungen/(\d+)", response.headers["Location"]).group(1))


def _set(app, username: str, **changes) -> None:
    from app.auth.models import User
    from app.volunteers.services import update_profile

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        update_profile(user, changes)
        db.session.commit()


def test_attendance_of_training_b_makes_a_volunteer_eligible(app, login_as):
    _set(app, "ehrenamt2", schulungen={"d": "2024-07-13"})  # training b missing: not offered
    fb36, k201 = login_as("fb36"), login_as("k201")
    case_id = start_case_web(fb36)
    complete_web(fb36, case_id, "bedarfsermittlung", valid_data("bedarfsermittlung", sprachen="Russisch"))
    task = open_task(app, case_id, "vermittlung")
    assert re.findall(r'<option value="(ehrenamt\d)"', k201.get(f"/aufgaben/{task.id}").get_data(as_text=True)) \
        == ["ehrenamt1"]

    day = date.today() - timedelta(days=1)
    training_id = _training(k201, datum=day.isoformat())
    ole, mira = user_id(app, "ehrenamt2"), user_id(app, "ehrenamt1")
    invite = {"aktion": "einladen", "einladen-ehrenamtliche": [ole, mira]}
    response = k201.post(f"/schulungen/{training_id}", data=invite)
    assert response.status_code == 302
    with app.app_context():
        notes = db.session.scalars(select(Notification.user_id).where(Notification.kind == "einladung")).all()
        mails = db.session.scalars(select(OutboxMail.to_addr)).all()
    assert sorted(notes) == sorted([ole, mira])
    assert {"ehrenamt1@example.org", "ehrenamt2@example.org"} <= set(mails)
    assert "Rolle der Alltagsbegleitung" in login_as("ehrenamt2").get("/ehrenamt/termine").get_data(as_text=True)

    response = k201.post(f"/schulungen/{training_id}", data={"aktion": "teilnahme", "teilnahme-anwesend": [ole]})
    assert response.status_code == 302
    assert profile(app, "ehrenamt2")["schulungen"] == {"b": day.isoformat(), "d": "2024-07-13"}
    assert profile(app, "ehrenamt1")["schulungen"]["b"] == "2024-03-02"  # absent: unchanged

    page = k201.get(f"/aufgaben/{task.id}").get_data(as_text=True)
    assert re.findall(r'<option value="(ehrenamt\d)"', page) == ["ehrenamt2", "ehrenamt1"]

    # attendance taken back: the date goes again, the volunteer is no longer offered
    assert k201.post(f"/schulungen/{training_id}", data={"aktion": "teilnahme"}).status_code == 302
    assert "b" not in profile(app, "ehrenamt2")["schulungen"]
    assert re.findall(r'<option value="(ehrenamt\d)"', k201.get(f"/aufgaben/{task.id}").get_data(as_text=True)) \
        == ["ehrenamt1"]


def test_stammtisch_counts_as_reflection_c_and_never_moves_a_date_back(app, login_as):
    k201 = login_as("k201")
    mira = user_id(app, "ehrenamt1")
    newer = _training(k201, kind="stammtisch", thema="Austausch", datum=date.today().isoformat())
    older = _training(k201, kind="c", thema="Reflexion", datum="2023-05-05")
    for training_id in (newer, older):
        k201.post(f"/schulungen/{training_id}", data={"aktion": "einladen", "einladen-ehrenamtliche": [mira]})
        k201.post(f"/schulungen/{training_id}", data={"aktion": "teilnahme", "teilnahme-anwesend": [mira]})
    assert profile(app, "ehrenamt1")["schulungen"]["c"] == date.today().isoformat()


def test_bad_training_input(app, login_as):
    response = login_as("k201").post("/schulungen", data={"kind": "x", "datum": "", "uhrzeit": "25:00",
                                                          "ort": "", "thema": ""})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    for field in ("kind", "datum", "uhrzeit", "ort", "thema"):
        assert f'id="{field}-error"' in text
    assert "Bitte die Uhrzeit als HH:MM angeben" in text
    with app.app_context():
        assert db.session.scalar(select(Training.id)) is None


def test_inviting_nobody_is_refused(app, login_as):
    k201 = login_as("k201")
    training_id = _training(k201)
    response = k201.post(f"/schulungen/{training_id}", data={"aktion": "einladen"})
    assert response.status_code == 422
    assert "Bitte mindestens eine Person auswählen." in response.get_data(as_text=True)


@pytest.mark.parametrize("username", ["ehrenamt1", "fb36", "mbeleitung", "mbe1", "admin"])
def test_only_201_schedules(app, login_as, username):
    training_id = _training(login_as("k201"))
    client = login_as(username)
    assert client.get("/schulungen").status_code == 403
    new = {"kind": "b", "datum": "2030-01-01", "ort": "X", "thema": "Y"}
    assert client.post("/schulungen", data=new).status_code == 403
    assert client.post(f"/schulungen/{training_id}", data={
        "aktion": "teilnahme", "teilnahme-anwesend": [user_id(app, "ehrenamt1")]}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(Training.id).where(Training.id != training_id)) is None
    assert profile(app, "ehrenamt1")["schulungen"]["b"] == "2024-03-02"
