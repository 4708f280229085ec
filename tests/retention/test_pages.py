"""The upcoming erasures (supervisors: their teams; data protection officer: all teams, no case
content) and the process owner's retention period on the model page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.engine.models import ProcessInstance, ProcessModel
from app.extensions import db
from app.retention import services
from tests.retention.helpers import CLOSED_AT, closed_family_case, closed_mbe_case, due_at, erased

URL = "/leitung/loeschungen"


@pytest.fixture
def cases(app, clock):
    """An Alltagsbegleitung case (asd) and an MBE case (mbe), both due 2030-03-10 09:00 UTC."""
    clock.set(CLOSED_AT)
    with app.app_context():
        family, mbe = closed_family_case(), closed_mbe_case()
        references = {case_id: db.session.get(ProcessInstance, case_id).reference for case_id in (family, mbe)}
    return family, mbe, references


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-case="(\d+)"', html)


def test_supervisors_see_the_erasures_of_their_teams_a_month_ahead(app, login_as, cases, clock):
    family, mbe, refs = cases
    clock.set(due_at("alltagsbegleitung") - timedelta(days=32))
    assert _rows(login_as("leitung").get(URL).get_data(as_text=True)) == []  # not yet within 31 days
    clock.set(due_at("alltagsbegleitung") - timedelta(days=30))
    response = login_as("leitung").get(URL)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _rows(html) == [str(family)]
    assert html.count("<h1") == 1 and "<caption>" in html and 'scope="col"' in html and 'scope="row"' in html
    assert refs[family] in html and f'href="/faelle/{family}"' in html
    assert "10.03.2027" in html and "10.03.2030" in html  # closed on, erasure date (Babel)
    assert f'href="/faelle/{family}/loeschsperre"' in html
    assert "Ahorn" not in html  # no case content in the list
    mbe_lead = login_as("mbeleitung").get(URL).get_data(as_text=True)
    assert _rows(mbe_lead) == [str(mbe)]


def test_the_dpo_sees_every_team_without_links_into_the_cases(login_as, cases, clock):
    family, mbe, refs = cases
    clock.set(due_at("alltagsbegleitung") - timedelta(days=3))
    html = login_as("dsb").get(URL).get_data(as_text=True)
    assert sorted(_rows(html)) == sorted([str(family), str(mbe)])
    assert f'href="/faelle/{family}"' not in html and f'href="/faelle/{mbe}"' not in html
    assert f'href="/faelle/{mbe}/loeschsperre"' in html and refs[mbe] in html


def test_held_cases_are_marked_and_erased_ones_leave_the_list(app, login_as, cases, clock):
    family, mbe, _refs = cases
    clock.set(due_at("alltagsbegleitung") - timedelta(days=3))
    from tests.factories import user

    with app.app_context():
        services.set_hold(db.session.get(ProcessInstance, family), user("leitung"), "Gerichtsverfahren")
        db.session.commit()
    html = login_as("leitung").get(URL).get_data(as_text=True)
    assert "gesperrt" in html.split(f'data-case="{family}"')[1].split("</tr>")[0]
    with app.app_context():
        services.run(due_at("alltagsbegleitung") + timedelta(minutes=1))
        assert erased(mbe) and not erased(family)
    html = login_as("dsb").get(URL).get_data(as_text=True)
    assert _rows(html) == [str(family)]


def test_empty_state(login_as):
    html = login_as("leitung").get(URL).get_data(as_text=True)
    assert "In den nächsten 31 Tagen steht keine Löschung an." in html and "<table" not in html


@pytest.mark.parametrize("username", ["fb36", "k201", "ehrenamt1", "mbe1", "mbe2", "prozess", "admin"])
def test_others_may_not_see_the_list(login_as, username):
    assert login_as(username).get(URL).status_code == 403


def test_menu_entry_for_supervisors_and_the_dpo(login_as):
    assert URL in login_as("leitung").get("/aufgaben").get_data(as_text=True)
    assert URL in login_as("dsb").get("/aufgaben").get_data(as_text=True)
    assert URL not in login_as("fb36").get("/aufgaben").get_data(as_text=True)


# --- the process owner's period --------------------------------------------------------------

def _months(app, key: str = "beratungskontakt") -> int | None:
    with app.app_context():
        return db.session.scalar(select(ProcessModel.retention_months).where(ProcessModel.key == key))


def test_the_process_owner_sets_the_period_on_the_model_page(app, login_as, cases):
    family, _mbe, _refs = cases
    owner = login_as("prozess")
    html = owner.get("/prozessmodelle/alltagsbegleitung").get_data(as_text=True)
    assert 'data-retention-months="36"' in html and 'name="monate"' in html and 'value="36"' in html
    response = owner.post("/prozessmodelle/alltagsbegleitung/aufbewahrung", data={"monate": "12"})
    assert response.status_code == 302
    assert _months(app, "alltagsbegleitung") == 12
    html = owner.get("/prozessmodelle/alltagsbegleitung").get_data(as_text=True)
    assert 'data-retention-months="12"' in html and "Vorgabe: 36 Monate." in html
    with app.app_context():  # the new period applies to the cases already closed
        assert services.run(CLOSED_AT + timedelta(days=366)).erased == 1 and erased(family)
    assert owner.post("/prozessmodelle/alltagsbegleitung/aufbewahrung/vorgabe").status_code == 302
    assert _months(app, "alltagsbegleitung") is None


@pytest.mark.parametrize(("value", "message"), [
    ("", "Bitte füllen Sie dieses Feld aus."), ("0", "Bitte eine ganze Zahl von 1 bis 120 Monaten angeben."),
    ("121", "Bitte eine ganze Zahl von 1 bis 120 Monaten angeben."),
    ("-3", "Bitte eine ganze Zahl von 1 bis 120 Monaten angeben."), ("12.5", "Keine gültige, ganze Zahl."),
    ("zwölf", "Keine gültige, ganze Zahl."), ("99999999999999999999", "Die Zahl ist zu groß.")])
def test_bad_input_is_refused_next_to_the_field_and_nothing_changes(app, login_as, value, message):
    response = login_as("prozess").post("/prozessmodelle/beratungskontakt/aufbewahrung", data={"monate": value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.count("<h1") == 1
    errors = re.search(r'<ul class="field-errors" id="monate-error">(.*?)</ul>', html, re.S)
    assert errors is not None and message in errors.group(1)
    assert 'href="#monate"' in html  # the error summary links to the field
    assert _months(app) is None


@pytest.mark.parametrize("username", ["fb36", "leitung", "dsb", "admin", "mbeleitung"])
def test_only_process_owners_change_the_period(app, login_as, username):
    client = login_as(username)
    assert client.post("/prozessmodelle/beratungskontakt/aufbewahrung", data={"monate": "6"}).status_code == 403
    assert client.get("/prozessmodelle/beratungskontakt/aufbewahrung").status_code == 403
    assert _months(app) is None


def test_unknown_process_is_404(login_as):
    assert login_as("prozess").post("/prozessmodelle/nichtda/aufbewahrung", data={"monate": "6"}).status_code == 404
