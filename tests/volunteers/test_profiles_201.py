"""201 keeps the volunteer profiles; the volunteer's own page keeps working with levels/weekdays."""

from __future__ import annotations

import re

import pytest

from tests.flows import complete_web, open_task, start_case_web, valid_data
from tests.volunteers.helpers import profile, user_id


def test_list_filters_by_status(app, login_as):
    k201 = login_as("k201")
    page = k201.get("/ehrenamtliche").get_data(as_text=True)
    assert re.findall(r'data-volunteer="(\w+)"', page) == ["ehrenamt1", "ehrenamt2"]
    mira = user_id(app, "ehrenamt1")
    response = k201.post(f"/ehrenamtliche/{mira}", data={
        "sprachen": "Deutsch (C2), Arabisch (Muttersprache)", "stunden_pro_woche": "4", "orte": "Musterstadt",
        "schulung_b": "2024-03-02", "schweigepflicht_am": "2024-03-02", "status": "pausiert"})
    assert response.status_code == 302
    assert re.findall(r'data-volunteer="(\w+)"', k201.get("/ehrenamtliche?status=aktiv").get_data(as_text=True)) \
        == ["ehrenamt2"]
    paused = k201.get("/ehrenamtliche?status=pausiert").get_data(as_text=True)
    assert re.findall(r'data-volunteer="(\w+)"', paused) == ["ehrenamt1"]
    assert "Deutsch (C2), Arabisch (Muttersprache)" in paused
    assert "Keine Ehrenamtlichen" in k201.get("/ehrenamtliche?status=ausgeschieden").get_data(as_text=True)


def test_201_edits_trainings_declaration_and_status(app, login_as):
    k201 = login_as("k201")
    ole = user_id(app, "ehrenamt2")
    form = k201.get(f"/ehrenamtliche/{ole}").get_data(as_text=True)
    assert 'value="2024-06-08"' in form and 'value="Deutsch, Russisch, Ukrainisch"' in form
    response = k201.post(f"/ehrenamtliche/{ole}", data={
        "sprachen": "Deutsch (B2), Russisch (Muttersprache)", "stunden_pro_woche": "2,5",
        "wochentage": ["di", "do"], "orte": "Nordheim, Musterstadt",
        "schulung_a": "2025-01-11", "schulung_b": "2024-06-08", "schulung_d": "2024-07-13",
        "schweigepflicht_am": "2024-06-08", "fuehrungszeugnis_am": "2025-02-01", "status": "aktiv"})
    assert response.status_code == 302
    data = profile(app, "ehrenamt2")
    assert data["sprachen"] == ["Deutsch", "Russisch"]
    assert data["sprachniveaus"] == {"Deutsch": "B2", "Russisch": "Muttersprache"}
    assert data["stunden_pro_woche"] == 2.5 and data["wochentage"] == ["di", "do"]
    assert data["schulungen"] == {"a": "2025-01-11", "b": "2024-06-08", "d": "2024-07-13"}
    assert data["fuehrungszeugnis_am"] == "2025-02-01" and data["status"] == "aktiv"


def test_bad_input_leaves_profile_unchanged(app, login_as):
    before = profile(app, "ehrenamt1")
    response = login_as("k201").post(f"/ehrenamtliche/{user_id(app, 'ehrenamt1')}", data={
        "sprachen": "Deutsch (fließend)", "schulung_b": "kein Datum", "status": "weg"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "„Deutsch (fließend)“: Bitte das Niveau" in text
    assert 'id="schulung_b-error"' in text and 'id="status-error"' in text
    assert profile(app, "ehrenamt1") == before


@pytest.mark.parametrize("username", ["ehrenamt1", "fb36", "mbeleitung", "mbe1", "admin", "prozess"])
def test_only_201_keeps_profiles(app, login_as, username):
    client = login_as(username)
    target = user_id(app, "ehrenamt2")
    before = profile(app, "ehrenamt2")
    assert client.get("/ehrenamtliche").status_code == 403
    assert client.get(f"/ehrenamtliche/{target}").status_code == 403
    assert client.post(f"/ehrenamtliche/{target}", data={"status": "ausgeschieden"}).status_code == 403
    assert profile(app, "ehrenamt2") == before


def test_non_volunteer_account_is_not_editable_as_profile(app, login_as):
    assert login_as("k201").get(f"/ehrenamtliche/{user_id(app, 'fb36')}").status_code == 404


def test_volunteer_sets_levels_and_weekdays_and_keeps_201_fields(app, login_as):
    mira = login_as("ehrenamt1")
    response = mira.post("/ehrenamt/profil", data={"sprachen": "Deutsch (c1), Arabisch (Muttersprache), Farsi",
                                                   "stunden_pro_woche": "4", "wochentage": ["mo", "sa"],
                                                   "orte": "Musterstadt"})
    assert response.status_code == 302
    data = profile(app, "ehrenamt1")
    assert data["sprachen"] == ["Deutsch", "Arabisch", "Farsi"]
    assert data["sprachniveaus"] == {"Deutsch": "C1", "Arabisch": "Muttersprache"}
    assert data["wochentage"] == ["mo", "sa"] and data["schulungen"]["b"] == "2024-03-02"
    page = mira.get("/ehrenamt/profil").get_data(as_text=True)
    assert 'value="Deutsch (C1), Arabisch (Muttersprache), Farsi"' in page
    assert re.search(r'value="sa" checked', page)
    # the volunteer cannot set 201's fields through their own form
    mira.post("/ehrenamt/profil", data={"sprachen": "Deutsch", "status": "ausgeschieden", "schulung_b": ""})
    assert profile(app, "ehrenamt1")["status"] == "aktiv"
    assert profile(app, "ehrenamt1")["schulungen"]["b"] == "2024-03-02"


def test_status_set_by_201_takes_the_volunteer_out_of_matching(app, login_as):
    k201 = login_as("k201")
    mira = user_id(app, "ehrenamt1")
    k201.post(f"/ehrenamtliche/{mira}", data={"sprachen": "Deutsch, Arabisch", "schulung_b": "2024-03-02",
                                              "schweigepflicht_am": "2024-03-02", "status": "pausiert"})
    fb36 = login_as("fb36")
    case_id = start_case_web(fb36)
    complete_web(fb36, case_id, "bedarfsermittlung", valid_data("bedarfsermittlung"))
    task = open_task(app, case_id, "vermittlung")
    page = k201.get(f"/aufgaben/{task.id}").get_data(as_text=True)
    assert re.findall(r'<option value="(ehrenamt\d)"', page) == ["ehrenamt2"]
    assert "Status: pausiert" in page.split("Nicht vorgeschlagen", 1)[1]
