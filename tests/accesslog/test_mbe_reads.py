"""The access log of MBE cases: rows name the client (searchable by person), the client search
is one LIST row, the printed Integrationsvereinbarung is logged, and a substitute's reads are
flagged as substitution (issue 14, items 1 and 7)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.absence.models import Absence
from app.accesslog.models import CASE, CLIENT, LIST, PLAN, TASK, VIEW
from app.engine.models import ACTIVE_TASK_STATES, ProcessInstance, Task
from app.extensions import db
from app.mbe import clients
from tests.accesslog.helpers import read
from tests.conftest import login
from tests.mbe.conftest import api_login, complete, start, user, with_consent


def _client_case(app) -> tuple[int, int, int]:
    """mbe1's case of a client with consent: (case id, client id, id of its open task)."""
    with app.app_context():
        case = start("mbe1")
        complete(case, "erstkontakt", "mbe1", with_consent("Jonas", "Ölberg", "1970-01-20",
                                                           anschrift="Lindenweg 7", telefon="0171 5550123"))
        client = clients.client_of(db.session.get(ProcessInstance, case))
        task = db.session.scalar(select(Task.id).where(Task.instance_id == case,
                                                       Task.status.in_(ACTIVE_TASK_STATES)).order_by(Task.id))
        return case, client.id, task


def test_rows_of_an_mbe_case_name_the_client(mbe_app):
    case, client, _task = _client_case(mbe_app)
    mbe1 = login(mbe_app.test_client(), "mbe1")
    status, rows = read(mbe_app, lambda: mbe1.get(f"/faelle/{case}"))
    assert status == 200
    assert [(r.action, r.object_type, r.object_id, r.case_id, r.client_id, r.substitution) for r in rows] == \
        [(VIEW, CASE, case, case, client, False)]
    status, rows = read(mbe_app, lambda: api_login(mbe_app, "mbe1").get(f"/api/v1/process-instances/{case}"))
    assert status == 200 and [(r.case_id, r.client_id) for r in rows] == [(case, client)]


def test_client_search_is_one_list_row(mbe_app):
    _client_case(mbe_app)
    for username in ("mbe1", "mbe2", "mbeleitung"):  # a colleague's search is logged too
        page = login(mbe_app.test_client(), username)
        status, rows = read(mbe_app, lambda p=page: p.get("/mbe/klienten?name=jonas"))
        assert status == 200
        assert [(r.username, r.action, r.object_type, r.object_id) for r in rows] == \
            [(username, LIST, CLIENT, None)]
    # the empty search page shows nobody: nothing to log
    status, rows = read(mbe_app, lambda: login(mbe_app.test_client(), "mbe1").get("/mbe/klienten"))
    assert status == 200 and rows == []


def test_the_printed_integrationsvereinbarung_is_logged(mbe_app):
    case, client, _task = _client_case(mbe_app)
    status, rows = read(mbe_app, lambda: login(mbe_app.test_client(), "mbe1")
                        .get(f"/mbe/faelle/{case}/integrationsvereinbarung"))
    assert status == 200
    assert [(r.action, r.object_type, r.object_id, r.client_id) for r in rows] == [(VIEW, PLAN, case, client)]
    status, rows = read(mbe_app, lambda: login(mbe_app.test_client(), "mbe2")
                        .get(f"/mbe/faelle/{case}/integrationsvereinbarung"))
    assert status == 404 and rows == []


def test_a_substitute_reads_as_substitution(mbe_app):
    case, client, task = _client_case(mbe_app)
    mbe2 = login(mbe_app.test_client(), "mbe2")
    status, rows = read(mbe_app, lambda: mbe2.get(f"/faelle/{case}"))
    assert status == 404 and rows == []  # before the absence: no access, no row
    today = date.today()
    with mbe_app.app_context():
        db.session.add(Absence(user=user("mbe1"), substitute=user("mbe2"), starts_on=today - timedelta(days=1),
                               ends_on=today + timedelta(days=3), created_by=user("mbe1")))
        db.session.commit()
    for request, object_type, object_id in (
            (lambda: mbe2.get(f"/faelle/{case}"), CASE, case),
            (lambda: mbe2.get(f"/aufgaben/{task}"), TASK, task),
            (lambda: api_login(mbe_app, "mbe2").get(f"/api/v1/process-instances/{case}"), CASE, case),
            (lambda: api_login(mbe_app, "mbe2").get(f"/api/v1/tasks/{task}"), TASK, task)):
        status, rows = read(mbe_app, request)
        assert status == 200
        assert [(r.username, r.object_type, r.object_id, r.client_id, r.substitution) for r in rows] == \
            [("mbe2", object_type, object_id, client, True)]
    # the responsible counsellor's own reads are no substitution
    status, rows = read(mbe_app, lambda: login(mbe_app.test_client(), "mbe1").get(f"/faelle/{case}"))
    assert [r.substitution for r in rows] == [False]


def test_handover_and_withdrawal_pages_are_logged(mbe_app):
    case, client, _task = _client_case(mbe_app)
    mbe1 = login(mbe_app.test_client(), "mbe1")
    status, rows = read(mbe_app, lambda: mbe1.get(f"/mbe/faelle/{case}/uebergabe"))
    assert status == 200 and [(r.object_type, r.object_id, r.client_id) for r in rows] == [(CASE, case, client)]
    status, rows = read(mbe_app, lambda: mbe1.get(f"/mbe/faelle/{case}/einwilligung-widerrufen"))
    assert status == 200 and [(r.object_type, r.object_id, r.client_id) for r in rows] == [(CLIENT, client, client)]
    mbe2 = login(mbe_app.test_client(), "mbe2")
    for url in (f"/mbe/faelle/{case}/uebergabe", f"/mbe/faelle/{case}/einwilligung-widerrufen"):
        status, rows = read(mbe_app, lambda u=url: mbe2.get(u))
        assert status in (403, 404) and rows == []
