"""MBE forms: consent rules (no personal data without consent, anywhere), HTML and JSON API."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.engine.models import CaseEvent, ProcessInstance, Task
from app.extensions import db
from tests.mbe import mbe_steps as s

PERSONAL = {"vorname": "Amal", "nachname": "Beispielname", "geburtsdatum": "1980-05-01",
            "anschrift": "Musterweg 1", "telefon": "0123 456"}


def _everything_stored(app, instance_id: int) -> str:
    with app.app_context():
        instance = db.session.get(ProcessInstance, instance_id)
        rows = [json.dumps(instance.data), instance.state, instance.title]
        rows += [json.dumps(e.data) for e in db.session.scalars(
            select(CaseEvent).where(CaseEvent.instance_id == instance_id))]
        rows += [json.dumps(t.draft) for t in db.session.scalars(select(Task).where(Task.instance_id == instance_id))]
        return "\n".join(rows)


def test_personal_data_without_consent_is_refused_next_to_each_field(app):
    instance_id = s.start(app)
    errors = s.complete(app, instance_id, "erstkontakt", s.erstkontakt(**PERSONAL))
    assert set(errors) == set(PERSONAL)
    assert all("nur mit Einwilligung" in m[0] for m in errors.values())
    assert s.open_tasks(app, instance_id) == ["erstkontakt"]
    stored = _everything_stored(app, instance_id)
    assert "Beispielname" not in stored and "Musterweg" not in stored


def test_without_consent_only_anonymous_data_is_stored(app):
    instance_id = s.start(app)
    assert s.complete(app, instance_id, "erstkontakt", s.erstkontakt()) == {}
    data = s.case(app, instance_id).data
    for key in (*PERSONAL, "einwilligung_datum", "einwilligung_umfang", "einwilligung_form"):
        assert key not in data
    assert data["alter"] == 35 and data["geschlecht"] == "w" and data["aufenthaltsstatus"] == "p44"
    with app.app_context():
        event = db.session.scalar(select(CaseEvent).where(CaseEvent.instance_id == instance_id,
                                                          CaseEvent.kind == "task_completed"))
        assert not set(PERSONAL) & set(event.data)


def test_with_consent_personal_data_is_kept_with_its_record(app):
    instance_id = s.start(app)
    consent = {"einwilligung": True, "einwilligung_datum": s.iso(s.today()),
               "einwilligung_umfang": ["speicherung", "kontakt"], "einwilligung_form": "schriftlich"}
    missing = s.complete(app, instance_id, "erstkontakt", s.erstkontakt(einwilligung=True, **PERSONAL))
    assert missing == {"einwilligung_datum": ["Bitte das Datum der Einwilligung angeben."],
                       "einwilligung_umfang": ["Bitte den Umfang der Einwilligung angeben."],
                       "einwilligung_form": ["Bitte angeben, wie die Einwilligung erteilt wurde."]}
    assert s.complete(app, instance_id, "erstkontakt", s.erstkontakt(**consent, **PERSONAL)) == {}
    data = s.case(app, instance_id).data
    assert data["nachname"] == "Beispielname" and data["einwilligung_form"] == "schriftlich"


def test_browser_form_shows_the_consent_error_and_keeps_nothing(app, login_as):
    from tests.flows import to_form

    client = login_as("mbe1")
    response = client.post("/faelle/neu", data={"verfahren": "mbe_beratung", "team": "mbe"})
    location = response.headers["Location"]
    page = client.post(location, data=to_form(s.erstkontakt(nachname="Beispielname")))
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert 'id="nachname-error"' in html and "nur mit Einwilligung" in html
    with app.app_context():
        task = db.session.get(Task, int(location.rsplit("/", 1)[1]))
        assert task.status == "open"
        assert "Beispielname" not in _everything_stored(app, task.instance_id)


def test_api_refuses_personal_data_without_consent(app):
    client = app.test_client()
    token = client.post("/api/v1/tokens", json={"username": "mbe1", "password": "demo"}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    created = client.post("/api/v1/process-instances", json={"process": "mbe_beratung"}, headers=headers)
    assert created.status_code == 201, created.get_json()
    task = created.get_json()["open_tasks"][0]
    assert task["name"] == "erstkontakt"
    schema = client.get(f"/api/v1/tasks/{task['id']}", headers=headers).get_json()
    assert "einwilligung" in json.dumps(schema)
    bad = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=headers,
                      json={"data": s.erstkontakt(telefon="0123 456")})
    assert bad.status_code == 422
    assert "telefon" in json.dumps(bad.get_json())
    good = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=headers, json={"data": s.erstkontakt()})
    assert good.status_code == 200, good.get_json()
