"""The counselling log (Beratungskontakt): quick capture, follow-up task, fact rows, permissions."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.counselling.models import ContactRecord
from app.engine.models import ACTIVE_TASK_STATES, COMPLETED, ProcessInstance, Task
from app.extensions import db
from tests.flows import to_form
from tests.statistics.helpers import contact, contact_form

BPMN = Path(__file__).resolve().parents[2] / "processes" / "beratungskontakt.bpmn"


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_quick_capture_records_a_consultation_in_one_submit(app, login_as):
    k201 = login_as("k201")
    page = k201.get("/beratung/neu")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Beratungskontakt erfassen" in html and 'value="sprechstunde" checked' in html
    response = k201.post("/beratung/neu", data=contact_form(themen=["schule", "wohnen"], dauer_minuten=45))
    assert response.status_code == 302
    assert "Kontakt erfasst" in k201.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        record = db.session.scalar(select(ContactRecord))
        assert (record.art, record.dauer_minuten, record.taetigkeit) == ("sprechstunde", 45, "beratung")
        assert sorted(t.topic for t in record.topics) == ["schule", "wohnen"]
        case = db.session.get(ProcessInstance, record.instance_id)
        assert case.status == COMPLETED and case.reference.startswith("BK-")
        assert case.owner_team.key == "k201"
        assert db.session.scalar(select(func.count()).select_from(Task).where(
            Task.instance_id == case.id, Task.status.in_(ACTIVE_TASK_STATES))) == 0


def test_follow_up_creates_a_task_for_201_due_on_the_given_date(app, login_as):
    k201 = login_as("k201")
    due = (date.today() + timedelta(days=5)).isoformat()
    response = k201.post("/beratung/neu", data=contact_form(
        nachverfolgung=True, nachverfolgung_bis=due, nachverfolgung_was="Rückruf wegen Antrag"))
    assert response.status_code == 302
    with app.app_context():
        task = db.session.scalar(select(Task).where(Task.bpmn_id == "nachverfolgung"))
        assert task.status == "open" and task.candidate_team.key == "k201" and task.assignee_id is None
        assert task.due_at.date().isoformat() == due
        task_id, case_id = task.id, task.instance_id
    inbox = k201.get("/aufgaben").get_data(as_text=True)
    assert "Nachverfolgung" in inbox
    page = k201.get(f"/aufgaben/{task_id}").get_data(as_text=True)
    assert "Rückruf wegen Antrag" in page
    done = k201.post(f"/aufgaben/{task_id}", data=to_form({"erledigt_am": date.today().isoformat()}))
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(ProcessInstance, case_id).status == COMPLETED


def test_event_needs_its_participants_and_nothing_is_saved_on_bad_input(app, login_as):
    k201 = login_as("k201")
    bad = k201.post("/beratung/neu", data=contact_form(art="veranstaltung", themen=[], veranstaltungsart=""))
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Bitte die Zahl der Teilnehmenden angeben." in html
    assert "Bitte die Art der Veranstaltung wählen." in html
    assert _count(app, ProcessInstance) == 0 and _count(app, ContactRecord) == 0
    ok = k201.post("/beratung/neu", data=contact_form(art="veranstaltung", themen=[], teilnehmende=18,
                                                       veranstaltungsart="netzwerktreffen", dauer_minuten=120,
                                                       taetigkeit="netzwerkarbeit"))
    assert ok.status_code == 302
    with app.app_context():
        record = db.session.scalar(select(ContactRecord))
        assert (record.art, record.teilnehmende, record.veranstaltungsart) == ("veranstaltung", 18, "netzwerktreffen")


@pytest.mark.parametrize(("overrides", "message"), [
    ({"themen": []}, "Bitte mindestens ein Thema wählen."),
    ({"datum": (date.today() + timedelta(days=1)).isoformat()}, "Das Datum darf nicht in der Zukunft liegen."),
    ({"dauer_minuten": 0}, "Bitte eine Dauer zwischen 1 und 1440 Minuten angeben."),
    ({"nachverfolgung": True}, "Bitte ein Datum für die Nachverfolgung angeben."),
    ({"themen": ["erfunden"]}, "Ungültige Auswahl"),
])
def test_bad_input_is_refused_with_a_german_message(app, login_as, overrides, message):
    k201 = login_as("k201")
    response = k201.post("/beratung/neu", data=contact_form(**overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count(app, ContactRecord) == 0 and _count(app, ProcessInstance) == 0


@pytest.mark.parametrize("username", ["fb36", "fb31", "leitung", "mbe1", "mbeleitung", "ehrenamt1", "admin"])
def test_only_201_staff_record_contacts(app, login_as, username):
    client = login_as(username)
    assert client.get("/beratung/neu").status_code == 403
    assert client.post("/beratung/neu", data=contact_form()).status_code == 403
    assert _count(app, ContactRecord) == 0


def test_contact_recorded_through_the_api_becomes_a_fact_row_too(app):
    client = app.test_client()
    token = client.post("/api/v1/tokens", json={"username": "k201", "password": "demo"}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    case = client.post("/api/v1/process-instances", json={"process": "beratungskontakt"}, headers=headers)
    assert case.status_code == 201, case.get_json()
    task_id = case.get_json()["open_tasks"][0]["id"]
    schema = client.get(f"/api/v1/tasks/{task_id}", headers=headers).get_json()["form_schema"]
    assert set(schema["properties"]["themen"]["items"]["enum"]) >= {"krisenintervention", "aerztliche_vermittlung"}
    done = client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers,
                       json={"data": contact(art="hausbesuch", themen=["alltagsfragen"], taetigkeit="case_management")})
    assert done.status_code == 200, done.get_json()
    with app.app_context():
        record = db.session.scalar(select(ContactRecord))
        assert (record.art, record.taetigkeit) == ("hausbesuch", "case_management")
        assert [t.topic for t in record.topics] == ["alltagsfragen"]


def test_bpmn_has_a_diagram_element_for_every_node_and_flow():
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
          "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}
    root = ET.parse(BPMN).getroot()
    process = root.find("bpmn:process", ns)
    assert process.get("id") == "beratungskontakt"
    elements = {e.get("id") for e in process if e.get("id") and not e.tag.endswith(("laneSet", "documentation"))}
    elements |= {lane.get("id") for lane in process.iter(f"{{{ns['bpmn']}}}lane")}
    drawn = {e.get("bpmnElement") for e in root.iter() if e.tag.endswith(("BPMNShape", "BPMNEdge"))}
    assert elements and elements <= drawn, elements - drawn
