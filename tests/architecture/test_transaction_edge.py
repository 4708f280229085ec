"""One transaction edge (issue 12): views, API and CLI commit once, in ``app/transaction.py``.

The scan reads the source (so it also sees calls inside functions); the behaviour tests go
through real routes: a view that fails after writing leaves nothing written, a commit that
loses a race answers 409 (page and JSON), an engine failure 422 (page and JSON).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import jsonify
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app import transaction
from app.auth.models import User
from app.engine import service
from app.extensions import db
from app.inbox import api as api_routes
from app.inbox import routes as inbox_routes
from tests.conftest import login
from tests.engine.conftest import engine_case, fixture_lanes  # noqa: F401 - the process of group_task
from tests.engine.test_claims_concurrency import add_members, api_post, assignee, group_task, history, tokens_for

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "app").rglob("*.py"))

# Who may end a transaction, and why. Everything else only flushes.
ALLOWED = {
    ("app/transaction.py", "commit"): "the edge itself (requests, unit_of_work)",
    ("app/transaction.py", "rollback"): "the edge itself",
    ("app/timers/services.py", "rollback"): "worker loop: a failed round leaves a clean session "
                                             "(each due case is its own unit_of_work)",
    ("app/notify/mailer.py", "commit"): "worker loop on its own session: lease and result per mail",
    ("app/engine/locking.py", "rollback"): "write_conflicts: a failed flush must be rolled back "
                                           "before the conflict message can be made",
}


def _ends(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("commit", "rollback") and not node.args:
            yield node.lineno, node.func.attr


def test_the_scan_sees_the_routes_and_the_cli():
    names = {p.relative_to(ROOT).as_posix() for p in SOURCES}
    assert {"app/modeler/routes.py", "app/cli.py", "app/auth/cli.py", "app/inbox/api.py"} <= names
    assert any(_ends(ROOT / "app/transaction.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_commit_or_rollback_outside_the_edge_and_the_worker_loops(path):
    rel = path.relative_to(ROOT).as_posix()
    wrong = [f"line {line}: .{what}()" for line, what in _ends(path) if (rel, what) not in ALLOWED]
    assert wrong == [], "commit at the edge (app/transaction.py); services and views only flush"


def test_every_view_runs_through_the_edge(app):
    bare = [e for e, view in app.view_functions.items()
            if e != "static" and not getattr(view, "__transaction_edge__", False)]
    assert bare == []


# --- the edge's rules, on views of their own -------------------------------------------------

def _rename(to: str) -> None:
    db.session.scalar(select(User).where(User.username == "fb36")).display_name = to
    db.session.flush()


def _name(app) -> str:
    with app.app_context():
        return db.session.scalar(select(User.display_name).where(User.username == "fb36"))


@pytest.fixture
def edge_app(app):
    def ok():
        _rename("committed")
        return "", 204

    def refused():
        _rename("refused")
        return jsonify({"error": {"code": "validation_failed", "message": "no"}}), 422

    def kept():
        _rename("kept")
        transaction.keep()
        return "", 401

    def boom():
        _rename("boom")
        raise RuntimeError("after the write")

    for name, view in (("ok", ok), ("refused", refused), ("kept", kept), ("boom", boom)):
        app.add_url_rule(f"/api/v1/edge-test/{name}", f"edge_test_{name}",
                         transaction.transactional(view), methods=["POST"])
    return app


@pytest.mark.parametrize(("name", "status", "stored"), [
    ("ok", 204, "committed"),  # success: committed
    ("refused", 422, None),  # an error answer: rolled back
    ("kept", 401, "kept"),  # an error answer that must count (failed sign-in): keep()
])
def test_the_answer_decides_commit_or_rollback(edge_app, name, status, stored):
    before = _name(edge_app)
    response = edge_app.test_client().post(f"/api/v1/edge-test/{name}")
    assert response.status_code == status
    assert _name(edge_app) == (stored or before)


def test_an_exception_after_a_write_leaves_nothing_written(edge_app):
    before = _name(edge_app)
    edge_app.config["PROPAGATE_EXCEPTIONS"] = False
    response = edge_app.test_client().post("/api/v1/edge-test/boom")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert _name(edge_app) == before


# --- real routes ------------------------------------------------------------------------------

def _claim_then(monkeypatch, module, exc: Exception) -> None:
    """The service writes the claim (flushed), then something fails in the same request."""
    original = service.claim_task

    def claim_then_fail(task, user):
        original(task, user)
        raise exc

    monkeypatch.setattr(module.service, "claim_task", claim_then_fail)


@pytest.mark.usefixtures("engine_case")
def test_web_view_failing_after_its_write_saves_nothing(app, monkeypatch):
    names = add_members(app, 1)
    client = login(app.test_client(), names[0])
    task_id = group_task(app)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    _claim_then(monkeypatch, inbox_routes, RuntimeError("a bug after the write"))
    response = client.post(f"/aufgaben/{task_id}/uebernehmen", data={"next": "/aufgaben"})
    assert response.status_code == 500
    assert "Es wurde nichts gespeichert." in response.get_data(as_text=True)
    assert assignee(app, task_id) == (None, "open") and history(app, task_id, "claimed") == []


@pytest.mark.usefixtures("engine_case")
def test_engine_error_is_a_422_page_and_saves_nothing(app, monkeypatch):
    names = add_members(app, 1)
    client = login(app.test_client(), names[0])
    task_id = group_task(app)
    _claim_then(monkeypatch, inbox_routes, service.EngineError("Das Skript ist stehen geblieben."))
    response = client.post(f"/aufgaben/{task_id}/uebernehmen", data={"next": "/aufgaben"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Das Skript ist stehen geblieben." in page and "<html" in page
    assert assignee(app, task_id) == (None, "open") and history(app, task_id, "claimed") == []


@pytest.mark.usefixtures("engine_case")
def test_engine_error_is_a_422_json_error_and_saves_nothing(app, monkeypatch):
    names = add_members(app, 1)
    token = tokens_for(app, names)[names[0]]
    task_id = group_task(app)
    _claim_then(monkeypatch, api_routes, service.EngineError("Das Skript ist stehen geblieben."))
    status, body = api_post(app, token, f"/tasks/{task_id}/claim")()
    assert (status, body["error"]) == (422, {"code": "engine_error", "message": "Das Skript ist stehen geblieben."})
    assert assignee(app, task_id) == (None, "open") and history(app, task_id, "claimed") == []


def _commit_loses(monkeypatch) -> None:
    """The request's commit loses against a concurrent one (a version check at the final flush)."""
    def lost(*_args, **_kwargs):
        raise StaleDataError("UPDATE process_instance: 0 rows matched")

    monkeypatch.setattr(db.session, "commit", lost)


@pytest.mark.usefixtures("engine_case")
def test_a_lost_commit_is_a_409_page_and_saves_nothing(app, monkeypatch):
    names = add_members(app, 1)
    client = login(app.test_client(), names[0])
    task_id = group_task(app)
    _commit_loses(monkeypatch)
    response = client.post(f"/aufgaben/{task_id}/uebernehmen", data={"next": "/aufgaben"})
    monkeypatch.undo()
    assert response.status_code == 409
    assert "Konflikt" in response.get_data(as_text=True)
    assert assignee(app, task_id) == (None, "open") and history(app, task_id, "claimed") == []


@pytest.mark.usefixtures("engine_case")
def test_a_lost_commit_is_a_409_json_error_and_saves_nothing(app, monkeypatch):
    names = add_members(app, 1)
    token = tokens_for(app, names)[names[0]]
    task_id = group_task(app)
    _commit_loses(monkeypatch)
    status, body = api_post(app, token, f"/tasks/{task_id}/claim")()
    monkeypatch.undo()
    assert (status, body["error"]["code"]) == (409, "conflict"), body
    assert body["error"]["message"]
    assert assignee(app, task_id) == (None, "open") and history(app, task_id, "claimed") == []


@pytest.mark.usefixtures("engine_case")
def test_forbidden_is_403_from_the_one_mapping(app, monkeypatch):
    names = add_members(app, 1)
    token = tokens_for(app, names)[names[0]]
    task_id = group_task(app)
    _claim_then(monkeypatch, api_routes, service.ForbiddenError("Nicht Ihre Aufgabe."))
    status, body = api_post(app, token, f"/tasks/{task_id}/claim")()
    assert (status, body["error"]) == (403, {"code": "forbidden", "message": "Nicht Ihre Aufgabe."})
    assert assignee(app, task_id) == (None, "open")


def test_cli_commits_per_unit_of_work(app):
    with app.app_context():
        with pytest.raises(RuntimeError), transaction.unit_of_work():
            _rename("half done")
            raise RuntimeError("stops the command")
    assert _name(app) != "half done"
    with app.app_context(), transaction.unit_of_work():
        _rename("done")
    assert _name(app) == "done"
