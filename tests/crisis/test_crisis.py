"""Crises reach the case-owning team at once, escalate to the Leitung when nobody reacts in
time, and their outcome can end the case — through the web pages and the API."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from app.engine.models import CaseEvent, Task
from app.extensions import db
from app.timers.services import fire_due
from app.timeutil import utcnow
from tests.factories import api_token
from tests.flows import complete_web, instance, open_task, start_case_web


def _running_case(login_as) -> int:
    fb36, k201 = login_as("fb36"), login_as("k201")
    case_id = start_case_web(fb36)
    assert complete_web(fb36, case_id, "bedarfsermittlung").status_code == 302
    assert complete_web(k201, case_id, "vermittlung").status_code == 302
    assert complete_web(fb36, case_id, "vorgespraech").status_code == 302
    return case_id


def _report_web(client, case_id: int, dringlichkeit: str = "normal", text: str = "Streit eskaliert"):
    return client.post(f"/faelle/{case_id}/krise",
                       data={"beschreibung": text, "dringlichkeit": dringlichkeit})


def _token(client, username: str) -> dict:
    return {"Authorization": f"Bearer {api_token(client, username)}"}


def _crisis_rows(app, case_id: int, bpmn_id: str) -> list[Task]:
    with app.app_context():
        rows = db.session.scalars(select(Task).where(
            Task.instance_id == case_id, Task.bpmn_id == bpmn_id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def test_volunteer_reports_crisis_and_it_tops_the_owner_team_inbox(app, login_as):
    case_id = _running_case(login_as)
    volunteer = login_as("ehrenamt1")
    page = volunteer.get(f"/faelle/{case_id}").data.decode()
    assert "Krise melden" in page
    response = _report_web(volunteer, case_id, "hoch", "Vater droht mit Auszug der Kinder")
    assert response.status_code == 302

    [row] = _crisis_rows(app, case_id, "krise_quittieren")
    assert row.crisis and row.status == "open" and row.context["krise"]["dringlichkeit"] == "hoch"
    fb36 = login_as("fb36")
    inbox = fb36.get("/aufgaben").data.decode()
    group = inbox.split('id="group-h"', 1)[1]
    first_row = group.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert 'data-task="krise_quittieren"' in first_row and "Krise" in first_row
    task_page = fb36.get(f"/aufgaben/{row.id}").data.decode()
    assert "Vater droht mit Auszug der Kinder" in task_page
    # the other FB team and 201 do not get the crisis task
    assert 'data-task="krise_quittieren"' not in login_as("fb36fh").get("/aufgaben").data.decode()
    assert 'data-task="krise_quittieren"' not in login_as("k201").get("/aufgaben").data.decode()
    with app.app_context():
        kinds = list(db.session.scalars(select(CaseEvent.kind).where(CaseEvent.instance_id == case_id)))
    assert "crisis" in kinds
    case_page = fb36.get(f"/faelle/{case_id}").data.decode()
    assert "Krise gemeldet" in case_page and "Vater droht mit Auszug der Kinder" in case_page
    assert "Gemeldet von" in case_page


@pytest.mark.parametrize("username, status", [
    ("fb36fh", 404), ("fb31", 404), ("ehrenamt2", 404), ("mbe1", 404), ("admin", 404),
    ("leitung", 403),
])
def test_who_may_not_report_a_crisis(app, login_as, username, status):
    case_id = _running_case(login_as)
    client = login_as(username)
    assert _report_web(client, case_id).status_code == status
    assert client.post(f"/api/v1/process-instances/{case_id}/crisis", headers=_token(client, username),
                       json={"beschreibung": "x", "dringlichkeit": "normal"}).status_code == status
    assert _crisis_rows(app, case_id, "krise_quittieren") == []


def test_crisis_report_needs_a_description(app, login_as):
    case_id = _running_case(login_as)
    k201 = login_as("k201")
    response = _report_web(k201, case_id, text="")
    assert response.status_code == 422 and "Bitte füllen Sie dieses Feld aus." in response.data.decode()
    api = k201.post(f"/api/v1/process-instances/{case_id}/crisis", headers=_token(k201, "k201"),
                    json={"beschreibung": "x", "dringlichkeit": "sofort"})
    assert api.status_code == 422 and "dringlichkeit" in api.get_json()["error"]["fields"]
    assert _crisis_rows(app, case_id, "krise_quittieren") == []


def test_api_crisis_creates_task_and_unacknowledged_crisis_escalates_to_leitung(app, login_as):
    case_id = _running_case(login_as)
    k201 = login_as("k201")
    response = k201.post(f"/api/v1/process-instances/{case_id}/crisis", headers=_token(k201, "k201"),
                         json={"beschreibung": "Kind nicht zur Schule gebracht", "dringlichkeit": "normal"})
    assert response.status_code == 201
    task = response.get_json()
    assert task["name"] == "krise_quittieren" and task["crisis"] is True
    assert task["candidate_group"] == "asd"

    with app.app_context():  # 3 h: nothing yet; 4 h: the Leitung gets a task
        assert fire_due(utcnow() + timedelta(hours=3)) == 0
        assert fire_due(utcnow() + timedelta(hours=4, minutes=1)) == 1
    [escalation] = _crisis_rows(app, case_id, "krise_eskalation")
    assert escalation.for_leads and escalation.crisis
    leitung = login_as("leitung")
    assert 'data-task="krise_eskalation"' in leitung.get("/aufgaben").data.decode()
    assert 'data-task="krise_eskalation"' not in login_as("fb36").get("/aufgaben").data.decode()
    assert leitung.post(f"/aufgaben/{escalation.id}",
                        data={"massnahme_leitung": "Teamleitung angerufen"}).status_code == 302
    # the team still acknowledges and handles the crisis; the assignment goes on
    fb36 = login_as("fb36")
    assert complete_web(fb36, case_id, "krise_quittieren",
                        {"erste_massnahme": "Hausbesuch morgen"}).status_code == 302
    assert complete_web(fb36, case_id, "krise_bearbeiten",
                        {"krisen_ergebnis": "geloest", "massnahmen": "Gespräch geführt"}).status_code == 302
    assert instance(app, case_id).status == "running"
    assert open_task(app, case_id, "zwischengespraech") is not None


def test_high_urgency_escalates_after_one_hour(app, login_as):
    case_id = _running_case(login_as)
    assert _report_web(login_as("k201"), case_id, "hoch").status_code == 302
    with app.app_context():
        assert fire_due(utcnow() + timedelta(minutes=50)) == 0
        assert fire_due(utcnow() + timedelta(hours=1, minutes=1)) == 1
    assert len(_crisis_rows(app, case_id, "krise_eskalation")) == 1


def test_acknowledged_in_time_does_not_escalate(app, login_as):
    case_id = _running_case(login_as)
    assert _report_web(login_as("ehrenamt1"), case_id).status_code == 302
    fb36 = login_as("fb36")
    assert complete_web(fb36, case_id, "krise_quittieren",
                        {"erste_massnahme": "Rückruf"}).status_code == 302
    with app.app_context():
        fire_due(utcnow() + timedelta(hours=5))
    assert _crisis_rows(app, case_id, "krise_eskalation") == []


def test_crisis_outcome_ended_ends_the_case(app, login_as):
    case_id = _running_case(login_as)
    assert _report_web(login_as("ehrenamt1"), case_id).status_code == 302
    fb36 = login_as("fb36")
    assert complete_web(fb36, case_id, "krise_quittieren", {"erste_massnahme": "Rückruf"}).status_code == 302
    bad = complete_web(fb36, case_id, "krise_bearbeiten",
                       {"krisen_ergebnis": "uebergeben", "massnahmen": "x"})
    assert bad.status_code == 422 and "Bitte angeben, an welche Stelle" in bad.data.decode()
    assert complete_web(fb36, case_id, "krise_bearbeiten",
                        {"krisen_ergebnis": "beendet", "massnahmen": "Einsatz abgebrochen"}).status_code == 302
    case = instance(app, case_id)
    assert case.status == "completed" and case.outcome == "krise_beendet"
    for step in ("zwischengespraech", "rueckmeldung", "abschluss"):
        assert open_task(app, case_id, step) is None
    # a finished case takes no more crisis reports
    assert _report_web(login_as("k201"), case_id).status_code in (403, 409)


def test_two_crises_get_two_tasks(app, login_as):
    case_id = _running_case(login_as)
    volunteer = login_as("ehrenamt1")
    assert _report_web(volunteer, case_id, text="Erste").status_code == 302
    assert _report_web(volunteer, case_id, text="Zweite").status_code == 302
    rows = _crisis_rows(app, case_id, "krise_quittieren")
    assert sorted(r.context["krise"]["beschreibung"] for r in rows) == ["Erste", "Zweite"]
    assert instance(app, case_id).data["krisen"][1]["beschreibung"] == "Zweite"


def test_acknowledgement_due_date_follows_urgency(app, login_as):
    case_id = _running_case(login_as)
    assert _report_web(login_as("k201"), case_id, "hoch", text="A").status_code == 302
    assert _report_web(login_as("k201"), case_id, "normal", text="B").status_code == 302
    rows = {r.context["krise"]["beschreibung"]: r for r in _crisis_rows(app, case_id, "krise_quittieren")}
    for text, hours in (("A", 1), ("B", 4)):
        due = rows[text].due_at.replace(tzinfo=UTC) if rows[text].due_at.tzinfo is None else rows[text].due_at
        assert abs((due - utcnow()) - timedelta(hours=hours)) < timedelta(minutes=2)


def test_a_crisis_goes_on_in_another_process(app, login_as):
    """The escalation timer fires in the timer worker and the outcome is entered in some web
    worker, not in the process that took the report. Each process parses the spec itself
    (an empty cache here); the crisis must still run to its end there."""
    from app.engine.specs import spec_cache

    case_id = _running_case(login_as)
    assert _report_web(login_as("ehrenamt1"), case_id).status_code == 302
    spec_cache.clear()
    with app.app_context():
        fire_due(utcnow() + timedelta(hours=5))
    assert len(_crisis_rows(app, case_id, "krise_eskalation")) == 1
    spec_cache.clear()
    fb36 = login_as("fb36")
    assert complete_web(fb36, case_id, "krise_quittieren", {"erste_massnahme": "Rückruf"}).status_code == 302
    spec_cache.clear()
    assert complete_web(fb36, case_id, "krise_bearbeiten",
                        {"krisen_ergebnis": "beendet", "massnahmen": "Einsatz abgebrochen"}).status_code == 302
    assert instance(app, case_id).status == "completed"
    # and a case started afterwards in this process has no crisis of its own
    other = start_case_web(login_as("fb36"))
    assert _crisis_rows(app, other, "krise_quittieren") == []
