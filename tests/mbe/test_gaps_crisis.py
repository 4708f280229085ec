"""MBE has no crisis path (no ``krise_gemeldet`` message in its BPMN): the case view offers no
"Krise melden", the page and the API refuse with a clear German message and nothing changes."""

from __future__ import annotations

from sqlalchemy import func, select

from app.crisis import services as crisis
from app.engine import service
from app.engine.models import CaseEvent, ProcessInstance, Task
from app.extensions import db
from tests.mbe.conftest import api_login, start

NOT_OFFERED = "Dieses Verfahren sieht keine Krisenmeldung vor."


def _snapshot(instance_id: int) -> tuple:
    instance = db.session.get(ProcessInstance, instance_id)
    return (dict(instance.data or {}),
            db.session.scalar(select(func.count(Task.id)).where(Task.instance_id == instance_id)),
            db.session.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.instance_id == instance_id)))


def test_mbe_case_offers_no_crisis_report(mbe_app, login_as):
    with mbe_app.app_context():
        case_id = start("mbe1")
        before = _snapshot(case_id)
        assert crisis.offers_crisis(db.session.get(ProcessInstance, case_id)) is False
    mbe1 = login_as("mbe1")
    page = mbe1.get(f"/faelle/{case_id}")
    assert page.status_code == 200
    assert "Krise melden" not in page.get_data(as_text=True)
    assert f"/faelle/{case_id}/krise" not in page.get_data(as_text=True)

    form_page = mbe1.get(f"/faelle/{case_id}/krise")
    assert form_page.status_code == 409
    assert NOT_OFFERED in form_page.get_data(as_text=True)
    posted = mbe1.post(f"/faelle/{case_id}/krise", data={"beschreibung": "Drohung", "dringlichkeit": "hoch"})
    assert posted.status_code == 409
    assert NOT_OFFERED in posted.get_data(as_text=True)

    api = api_login(mbe_app, "mbe1")
    response = api.post(f"/api/v1/process-instances/{case_id}/crisis",
                        json={"beschreibung": "Drohung", "dringlichkeit": "hoch"})
    assert response.status_code == 409
    assert response.get_json()["error"] == {"code": "crisis_not_offered", "message": NOT_OFFERED}
    with mbe_app.app_context():
        assert _snapshot(case_id) == before


def test_outsiders_still_get_404_for_an_mbe_case(mbe_app, login_as):
    """The refusal never tells outsiders that the confidential case exists."""
    with mbe_app.app_context():
        case_id = start("mbe1")
    for username in ("mbe2", "fb36", "k201", "ehrenamt1"):
        assert login_as(username).get(f"/faelle/{case_id}/krise").status_code == 404
        api = api_login(mbe_app, username)
        response = api.post(f"/api/v1/process-instances/{case_id}/crisis",
                            json={"beschreibung": "x", "dringlichkeit": "normal"})
        assert response.status_code == 404


def test_engine_refuses_a_crisis_without_crisis_path(mbe_app):
    with mbe_app.test_request_context():
        case_id = start("mbe1")
        instance = db.session.get(ProcessInstance, case_id)
        from app.auth.models import User

        user = db.session.scalar(select(User).where(User.username == "mbe1"))
        try:
            crisis.report_crisis(instance, user, "Drohung", "hoch")
        except service.ConflictError as exc:
            assert str(exc) == NOT_OFFERED
        else:
            raise AssertionError("report_crisis accepted a crisis for MBE")
        db.session.rollback()
        assert "krisen" not in (db.session.get(ProcessInstance, case_id).data or {})


def test_alltagsbegleitung_still_offers_the_crisis_report(app, login_as):
    from tests.flows import start_case_web

    fb36 = login_as("fb36")
    case_id = start_case_web(fb36)
    page = fb36.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Krise melden" in page
    assert fb36.get(f"/faelle/{case_id}/krise").status_code == 200
