"""Small BPMN fixtures for the engine tests (tests/engine/fixtures/).

Engine tests check engine features (lanes, claims, optimistic locking, loops, timers, the
crisis message, versions, the sandbox), not the content of a shipped process. They run on
processes of their own, published as their own process models, so a process owner editing
``processes/*.bpmn`` cannot break them (tests/engine/test_no_shipped_processes.py checks this).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.engine import lanes, service
from app.engine.models import ProcessInstance, ProcessModel, ProcessVersion
from app.extensions import db

FIXTURES = Path(__file__).parent / "fixtures"
#: The processes shipped in processes/ (their keys): engine tests start no case of theirs.
SHIPPED_KEYS = frozenset(path.stem for path in lanes.LANES_DIR.glob("*.bpmn"))
#: The small case process: lanes, a group task, loops, a timer, a gateway, a script, a crisis.
ENGINE_CASE = "engine_case"


def fixture_xml(key: str) -> str:
    return (FIXTURES / f"{key}.bpmn").read_text(encoding="utf-8")


def publish_fixture(key: str, xml: str | None = None, comment: str = "Test-Fixture") -> ProcessModel:
    """Publish ``tests/engine/fixtures/<key>.bpmn`` (or ``xml``) as a new version of the process
    model ``key``, creating the model on first use; flushes (the caller commits). Inside an app
    and request context."""
    model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == key))
    if model is None:
        model = ProcessModel(key=key, name=f"Test {key}", start_departments="FB36",
                             start_role="", reference_prefix="TE")
        db.session.add(model)
        db.session.flush()
    owner = db.session.scalar(select(User).where(User.username == "prozess"))
    service.import_version(model, fixture_xml(key) if xml is None else xml, owner, comment)
    return model


@pytest.fixture
def fixture_lanes():
    """The lanes of the fixtures (``tests/engine/fixtures/*.lanes.toml``), for this test only
    (tests about the shipped declarations see only those)."""
    with lanes.declared(FIXTURES) as declared:
        yield declared


@pytest.fixture
def engine_case(app, fixture_lanes) -> str:
    """The process model ``engine_case`` (tests/engine/fixtures/engine_case.bpmn), published at
    version 1; returns its key."""
    with app.test_request_context():
        publish_fixture(ENGINE_CASE)
        db.session.commit()
    return ENGINE_CASE


def shipped_cases() -> int:
    """How many cases of shipped processes the database holds (inside an app context)."""
    return db.session.scalar(
        select(func.count(ProcessInstance.id))
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
        .join(ProcessModel, ProcessModel.id == ProcessVersion.model_id)
        .where(ProcessModel.key.in_(SHIPPED_KEYS))) or 0


def assert_no_shipped_case_started(before: int, test: str) -> None:
    started = shipped_cases() - before
    assert started == 0, f"{test} started {started} case(s) of a shipped process; use a fixture"


@pytest.fixture(autouse=True)
def no_case_of_a_shipped_process(request):
    """Fail an engine test that starts a case of a shipped process: it belongs on a fixture.
    Checked for tests with the ``app`` fixture (the others have no database)."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        before = shipped_cases()
    yield
    with app.app_context():
        assert_no_shipped_case_started(before, request.node.nodeid)
