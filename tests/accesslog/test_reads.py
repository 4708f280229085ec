"""Issue 14.1: every read of personal data writes exactly one access log row — pages and API
alike, for every role that may read; a role that may not read gets 403/404 and writes nothing.
Lists and searches write one LIST row for the whole list."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.accesslog.models import (
    APPOINTMENT,
    CASE,
    DOCUMENT,
    DOWNLOAD,
    JOURNAL,
    LIST,
    TASK,
    VIEW,
)
from app.engine.models import ACTIVE_TASK_STATES, Task
from app.extensions import db
from tests.accesslog.helpers import ROLES, read
from tests.documents import samples
from tests.flows import complete_web, start_case_web

API = "/api/v1"
# The case of team asd below: its staff, the coordination office, the teams' supervisor and the
# assigned volunteer (limited) read it; nobody else sees it.
CASE_READERS = {"fb36", "k201", "leitung", "ehrenamt1"}

# (page or API call, path, action, object type, which id the row names)
CASE_READS = [
    ("web", "/faelle/{case}", VIEW, CASE, "case"),
    ("api", f"{API}/process-instances/{{case}}", VIEW, CASE, "case"),
    ("web", "/aufgaben/{task}", VIEW, TASK, "task"),
    ("api", f"{API}/tasks/{{task}}", VIEW, TASK, "task"),
    ("web", "/dokumente/{doc}", DOWNLOAD, DOCUMENT, "doc"),
    ("api", f"{API}/documents/{{doc}}", DOWNLOAD, DOCUMENT, "doc"),
    ("api", f"{API}/process-instances/{{case}}/journal", VIEW, JOURNAL, "case"),
    ("web", "/faelle/{case}/dokumente", LIST, DOCUMENT, None),
    ("api", f"{API}/process-instances/{{case}}/documents", LIST, DOCUMENT, None),
    ("web", "/faelle/{case}/fragen", VIEW, CASE, "case"),
    ("api", f"{API}/process-instances/{{case}}/messages", VIEW, CASE, "case"),
    ("web", "/monitor/faelle/{case}", VIEW, CASE, "case"),
]
LIST_READS = [
    ("web", "/aufgaben", TASK),
    ("api", f"{API}/tasks", TASK),
    ("web", "/faelle", CASE),
    ("api", f"{API}/process-instances", CASE),
    ("web", "/suche?q=Ahorn", CASE),
    ("api", f"{API}/search?q=Ahorn", CASE),
    ("web", "/termine", APPOINTMENT),
    ("api", f"{API}/appointments", APPOINTMENT),
    ("web", "/ehrenamt/einsaetze", CASE),
    ("web", "/monitor", CASE),
]


@pytest.fixture
def app(make_app, tmp_path):
    return make_app({"DOCUMENT_STORAGE_DIR": str(tmp_path / "documents")})


@pytest.fixture
def ids(app, login_as) -> dict[str, int]:
    """A case of team asd in its Einsatz (ehrenamt1 assigned) with a document shared with the
    volunteer; the ids of the case, its first open task and the document."""
    fb36 = login_as("fb36")
    case = start_case_web(fb36)
    assert complete_web(fb36, case, "bedarfsermittlung").status_code == 302
    assert complete_web(login_as("k201"), case, "vermittlung").status_code == 302
    assert complete_web(fb36, case, "vorgespraech").status_code == 302
    upload = fb36.post(f"/faelle/{case}/dokumente", content_type="multipart/form-data", data={
        "file": (io.BytesIO(samples.PDF), "brief.pdf"), "category": "schreiben", "shared_with_volunteer": "y"})
    assert upload.status_code == 302
    with app.app_context():
        from app.documents.models import Document

        doc = db.session.scalar(select(Document.id).where(Document.instance_id == case))
        task = db.session.scalar(select(Task.id).where(Task.instance_id == case, Task.status.in_(ACTIVE_TASK_STATES))
                                 .order_by(Task.id))
    return {"case": case, "task": task, "doc": doc}


def _clients(app, login_as, api_client, username):
    return {"web": login_as(username), "api": api_client(username)}


@pytest.mark.parametrize("username", ROLES)
def test_every_read_of_the_case_writes_exactly_one_row(app, login_as, api_client, ids, username):
    clients = _clients(app, login_as, api_client, username)
    statuses = {}
    for kind, path, action, object_type, names in CASE_READS:
        url = path.format(**ids)
        status, rows = read(app, lambda c=clients[kind], u=url: c.get(u))
        statuses[url] = status
        assert status in (200, 403, 404), (url, status)
        if status != 200:
            assert rows == [], f"{username} {url}: refused ({status}) but logged"
            continue
        assert len(rows) == 1, f"{username} {url}: {len(rows)} rows"
        row = rows[0]
        assert (row.username, row.action, row.object_type) == (username, action, object_type), url
        assert row.object_id == (ids[names] if names else None), url
        assert row.case_id == ids["case"] and row.client_id is None and row.substitution is False
        assert row.via and (row.via.startswith("GET /api/v1/") if kind == "api" else "/" not in row.via)
    # the case view and its API answer exactly the readers of the case
    assert (statuses[f"/faelle/{ids['case']}"] == 200) == (username in CASE_READERS)
    assert (statuses[f"{API}/process-instances/{ids['case']}"] == 200) == (username in CASE_READERS)
    if username == "k201":  # not vacuous: the coordination office (holding the task) reads every one
        assert [u for u, s in statuses.items() if s != 200] == [f"/monitor/faelle/{ids['case']}"]
    if username == "leitung":
        assert statuses[f"/monitor/faelle/{ids['case']}"] == 200


@pytest.mark.parametrize("username", ROLES)
def test_every_list_writes_one_list_row(app, login_as, api_client, ids, username):
    clients = _clients(app, login_as, api_client, username)
    for kind, path, object_type in LIST_READS:
        status, rows = read(app, lambda c=clients[kind], u=path: c.get(u))
        assert status in (200, 403, 404), (path, status)
        if status != 200:
            assert rows == [], f"{username} {path}: refused ({status}) but logged"
            continue
        assert [(r.username, r.action, r.object_type, r.object_id) for r in rows] == \
            [(username, LIST, object_type, None)], f"{username} {path}"


def test_a_list_of_many_lines_is_one_row(app, login_as, ids):
    fb36 = login_as("fb36")
    second = start_case_web(fb36)
    assert second != ids["case"]
    status, rows = read(app, lambda: fb36.get("/faelle"))
    assert status == 200 and len(rows) == 1 and rows[0].object_id is None


def test_a_submitted_form_and_a_refused_read_write_no_row(app, login_as, ids):
    fb36 = login_as("fb36")
    status, rows = read(app, lambda: fb36.get("/faelle/999999"))
    assert status == 404 and rows == []
    status, rows = read(app, lambda: login_as("fb31").get(f"/dokumente/{ids['doc']}"))
    assert status == 404 and rows == []


def test_calendar_feed_logs_only_with_names(app, login_as, ids):
    from app.appointments import feed as feeds
    from tests.factories import user

    with app.test_request_context():
        secret = feeds.renew(user("fb36"))
        db.session.commit()
    client = app.test_client()
    status, rows = read(app, lambda: client.get(f"/kalender/{secret}.ics"))
    assert status == 200 and rows == []
    with app.test_request_context():
        feeds.set_show_names(user("fb36"), True)
        db.session.commit()
    status, rows = read(app, lambda: client.get(f"/kalender/{secret}.ics"))
    assert status == 200 and [(r.username, r.action, r.object_type, r.via) for r in rows] == \
        [("fb36", LIST, APPOINTMENT, "appointments.feed")]


def test_the_expense_statement_of_a_volunteer_is_logged(app, login_as, ids):
    from tests.factories import user

    with app.app_context():
        volunteer = user("ehrenamt1").id
    k201 = login_as("k201")
    base = f"/aufwand/abrechnung?ehrenamtliche={volunteer}&monat=2026-01"
    status, rows = read(app, lambda: k201.get(base))
    assert status == 200 and [(r.action, r.object_type, r.object_id) for r in rows] == [(VIEW, "volunteer", volunteer)]
    status, rows = read(app, lambda: k201.get(base + "&format=csv"))
    assert status == 200 and [(r.action, r.object_type, r.object_id) for r in rows] == \
        [("export", "volunteer", volunteer)]
    status, rows = read(app, lambda: login_as("fb31").get(base))
    assert status in (403, 404) and rows == []
