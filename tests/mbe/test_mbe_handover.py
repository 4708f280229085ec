"""Handing an MBE case to a colleague: explicit, with a reason, recorded; tasks and access move."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.engine.models import CaseEvent, ProcessInstance, Task
from app.extensions import db
from tests.conftest import login
from tests.mbe.conftest import api_login, beratung, complete, erstkontakt, open_task, start, user


@pytest.fixture
def case(mbe_app):
    with mbe_app.app_context():
        return start("mbe1")


def _state(app, case_id):
    with app.app_context():
        instance = db.session.get(ProcessInstance, case_id)
        task = open_task(case_id, "erstkontakt") or open_task(case_id, "beratung")
        events = db.session.scalars(select(CaseEvent).where(CaseEvent.instance_id == case_id,
                                                            CaseEvent.kind == "mbe_handover")).all()
        return (instance.responsible_id, task.assignee.username if task else None, instance.row_version,
                [(e.actor.username, e.data) for e in events])


def test_handover_through_the_page(mbe_app, case):
    app = mbe_app
    mbe1, mbe2 = login(app.test_client(), "mbe1"), login(app.test_client(), "mbe2")
    assert mbe2.get(f"/faelle/{case}").status_code == 404
    assert mbe2.get(f"/mbe/faelle/{case}/uebergabe").status_code == 404  # not hers, does not exist for her
    assert f"/mbe/faelle/{case}/uebergabe" in mbe1.get(f"/faelle/{case}").get_data(as_text=True)  # the way there
    page = mbe1.get(f"/mbe/faelle/{case}/uebergabe")
    assert page.status_code == 200 and "Paul Weg" in page.get_data(as_text=True)

    before = _state(app, case)
    missing = mbe1.post(f"/mbe/faelle/{case}/uebergabe", data={"an": "mbe2", "grund": "  "})
    assert missing.status_code == 422
    assert "Bitte den Grund der Übergabe angeben." in missing.get_data(as_text=True)
    assert _state(app, case) == before  # nothing changed

    done = mbe1.post(f"/mbe/faelle/{case}/uebergabe", data={"an": "mbe2", "grund": "Urlaubsvertretung dauerhaft"})
    assert done.status_code == 302
    responsible, assignee, _version, events = _state(app, case)
    with app.app_context():
        assert responsible == user("mbe2").id
    assert assignee == "mbe2"
    assert events == [("mbe1", {"von": "mbe1", "an": "mbe2", "grund": "Urlaubsvertretung dauerhaft"})]

    assert mbe1.get(f"/faelle/{case}").status_code == 404  # the old counsellor lost access
    assert str(case) not in [str(i["id"]) for i in api_login(app, "mbe1").get(
        "/api/v1/process-instances").get_json()["items"]]
    view = mbe2.get(f"/faelle/{case}")
    assert view.status_code == 200 and "Fall übergeben an" in view.get_data(as_text=True)
    with app.app_context():
        task_id = open_task(case, "erstkontakt").id
    assert mbe2.get(f"/aufgaben/{task_id}").status_code == 200
    assert mbe1.get(f"/aufgaben/{task_id}").status_code == 404
    assert login(app.test_client(), "mbeleitung").get(f"/faelle/{case}").status_code == 200

    # later tasks go to the new counsellor
    with app.app_context():
        complete(case, "erstkontakt", "mbe2", erstkontakt())
        assert open_task(case, "beratung").assignee.username == "mbe2"


def test_lead_hands_over_through_the_api(mbe_app, case):
    app = mbe_app
    lead = api_login(app, "mbeleitung")
    bad = lead.post(f"/api/v1/process-instances/{case}/handover", json={"an": "fb36", "grund": "x"})
    assert bad.status_code == 422 and "an" in bad.get_json()["error"]["fields"]
    no_reason = lead.post(f"/api/v1/process-instances/{case}/handover", json={"an": "mbe2"})
    assert no_reason.status_code == 422 and "grund" in no_reason.get_json()["error"]["fields"]
    to_self = lead.post(f"/api/v1/process-instances/{case}/handover", json={"an": "mbe1", "grund": "x"})
    assert to_self.status_code == 422  # already responsible
    assert _state(app, case)[0] is None

    ok = lead.post(f"/api/v1/process-instances/{case}/handover", json={"an": "mbe2", "grund": "Sprache Russisch"})
    assert ok.status_code == 200
    body = ok.get_json()
    assert body["responsible"] == "mbe2" and len(body["moved_tasks"]) == 1
    tasks = api_login(app, "mbe2").get("/api/v1/tasks").get_json()
    assert [t["id"] for t in tasks] == body["moved_tasks"]
    assert api_login(app, "mbe1").get("/api/v1/tasks").get_json() == []
    assert api_login(app, "mbe1").get(f"/api/v1/process-instances/{case}").status_code == 404


@pytest.mark.parametrize("username", ["mbe2", "fb36", "k201", "leitung", "prozess", "admin", "ehrenamt1"])
def test_others_cannot_hand_over(mbe_app, case, username):
    app = mbe_app
    before = _state(app, case)
    api = api_login(app, username)
    response = api.post(f"/api/v1/process-instances/{case}/handover", json={"an": "mbe2", "grund": "x"})
    assert response.status_code == 404
    web = login(app.test_client(), username)
    assert web.post(f"/mbe/faelle/{case}/uebergabe", data={"an": "mbe2", "grund": "x"}).status_code == 404
    assert _state(app, case) == before


def test_handover_of_finished_case_is_refused(mbe_app, case):
    app = mbe_app
    with app.app_context():
        complete(case, "erstkontakt", "mbe1", erstkontakt())
        complete(case, "beratung", "mbe1", beratung(["arbeit"], weiter="abschliessen"))
        complete(case, "abschluss", "mbe1", {"abschlussgrund": "anliegen_geklaert", "mbe_ergebnis": "abgeschlossen"})
        assert db.session.get(ProcessInstance, case).status == "completed"
        assert db.session.scalar(select(Task.id).where(Task.instance_id == case, Task.status == "open")) is None
    response = api_login(app, "mbe1").post(f"/api/v1/process-instances/{case}/handover",
                                           json={"an": "mbe2", "grund": "x"})
    assert response.status_code == 409
