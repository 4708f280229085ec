"""Timers live in the database and fire on time: the end date of an assignment makes the
closing meeting due, `flask timers fire-due --now` fires what is due at a moment, and the
worker fires a due timer within seconds.

The assignments run on the small test process tests/engine/fixtures/engine_case.bpmn (a timer
boundary event at the end date on the looped "gespraech"), not on a shipped process."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.auth.models import Team, User
from app.engine import service
from app.engine.models import CaseEvent, ProcessInstance, ProcessModel, Task
from app.extensions import db
from app.timers import services as timer_services
from app.timers.services import fire_due, run_worker
from tests.conftest import PG_URL
from tests.flows import complete_web, instance, open_task, valid_data

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def running_assignment(engine_case, start_case, complete):
    """running_assignment(ende) -> an engine_case case in its loop of meetings, the end date
    ``ende`` set (the timer armed) and one meeting held."""

    def factory(ende: date) -> int:
        case_id = start_case("fb36", engine_case)
        complete(case_id, "erfassung", "fb36", valid_data("bedarfsermittlung"))
        complete(case_id, "vermittlung", "k201", valid_data("vermittlung"))
        complete(case_id, "vorbereitung", "fb36", {"ende": ende.isoformat()})
        complete(case_id, "gespraech", "k201", valid_data("zwischengespraech"))
        return case_id

    return factory


def _fire(app, moment: datetime) -> int:
    with app.app_context():
        return fire_due(moment)


def _events(app, case_id: int, kind: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(CaseEvent.title).where(
            CaseEvent.instance_id == case_id, CaseEvent.kind == kind)))


def test_end_date_makes_the_closing_meeting_due(app, login_as, running_assignment):
    ende = date.today() + timedelta(days=30)
    case_id = running_assignment(ende)
    due = datetime(ende.year, ende.month, ende.day, 7, 0, tzinfo=UTC)  # 08:00 CET
    assert instance(app, case_id).next_timer_due.replace(tzinfo=UTC) == due

    assert _fire(app, due - timedelta(minutes=1)) == 0
    assert open_task(app, case_id, "abschluss") is None
    assert open_task(app, case_id, "gespraech") is not None

    assert _fire(app, due + timedelta(minutes=1)) == 1
    assert open_task(app, case_id, "abschluss") is not None
    assert open_task(app, case_id, "gespraech") is None  # the open meeting is cancelled
    assert open_task(app, case_id, "rueckmeldung") is not None  # the volunteer may still report
    assert _events(app, case_id, "timer") == ["Ende erreicht"]
    assert instance(app, case_id).next_timer_due is None
    assert _fire(app, due + timedelta(days=1)) == 0  # nothing fires twice

    page = login_as("fb36").get(f"/faelle/{case_id}").data.decode()
    assert "Termin erreicht: Ende erreicht" in page


def test_continuing_arms_the_timer_for_the_new_end_date(app, login_as, running_assignment):
    ende = date.today() + timedelta(days=10)
    case_id = running_assignment(ende)
    _fire(app, datetime(ende.year, ende.month, ende.day, 9, 0, tzinfo=UTC))
    neues_ende = ende + timedelta(days=60)
    data = valid_data("abschluss", ergebnis="fortfuehren", neues_ende=neues_ende.isoformat())
    assert complete_web(login_as("fb36"), case_id, "abschluss", data).status_code == 302
    new_due = datetime(neues_ende.year, neues_ende.month, neues_ende.day, 7, 0, tzinfo=UTC)
    assert instance(app, case_id).next_timer_due.replace(tzinfo=UTC) == new_due
    assert open_task(app, case_id, "gespraech") is not None
    assert _fire(app, new_due + timedelta(seconds=1)) == 1
    assert open_task(app, case_id, "abschluss") is not None


def test_fire_due_command(app, running_assignment):
    ende = date.today() + timedelta(days=5)
    case_id = running_assignment(ende)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["timers", "fire-due", "--now", f"{ende.isoformat()}T12:00:00+01:00"])
    assert result.exit_code == 0, result.output
    assert "cases moved on: 1" in result.output
    assert open_task(app, case_id, "abschluss") is not None
    bad = runner.invoke(args=["timers", "fire-due", "--now", "morgen"])
    assert bad.exit_code != 0 and "ISO-8601" in bad.output


def _start_short_timer_case(app) -> int:
    with app.test_request_context():
        model = ProcessModel(key="short_timer", name="Kurzer Timer", start_departments="FB36",
                             start_role="fachkraft", reference_prefix="KT")
        db.session.add(model)
        db.session.flush()
        service.import_version(model, (FIXTURES / "short_timer.bpmn").read_text(), None, "test")
        user = db.session.scalar(select(User).where(User.username == "fb36"))
        team = db.session.scalar(select(Team).where(Team.key == "asd"))
        case = service.start_instance(model, user, team)
        db.session.commit()
        return case.id


def test_worker_fires_a_due_timer_within_seconds(app, clock, monkeypatch):
    # The worker thread reads the test's clock: the two-second timer is due once the clock moves
    # on, not once two real seconds have passed.
    monkeypatch.setattr(timer_services, "utcnow", clock)
    case_id = _start_short_timer_case(app)
    assert instance(app, case_id).next_timer_due is not None
    clock.advance(seconds=3)
    stop = threading.Event()

    def work():
        with app.app_context():
            run_worker(stop, interval=0.2)

    worker = threading.Thread(target=work, daemon=True)
    started = time.monotonic()
    worker.start()
    try:
        while time.monotonic() - started < 10:
            if open_task(app, case_id, "nach_dem_timer") is not None:
                break
            time.sleep(0.1)
    finally:
        stop.set()
        worker.join(5)
    assert open_task(app, case_id, "nach_dem_timer") is not None


@pytest.mark.skipif(not PG_URL, reason="row locks (SKIP LOCKED) need PostgreSQL")
def test_parallel_workers_fire_each_case_once(app, running_assignment):
    ende = date.today() + timedelta(days=3)
    cases = [running_assignment(ende) for _ in range(4)]
    moment = datetime(ende.year, ende.month, ende.day, 12, 0, tzinfo=UTC)
    barrier = threading.Barrier(3)
    counts: list[int] = []

    def work():
        with app.app_context():
            barrier.wait()
            counts.append(fire_due(moment))
            db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(counts) == 4
    for case_id in cases:
        assert _events(app, case_id, "timer") == ["Ende erreicht"]
        with app.app_context():
            rows = db.session.scalars(select(Task).where(
                Task.instance_id == case_id, Task.bpmn_id == "abschluss")).all()
        assert len(rows) == 1
    with app.app_context():
        assert all(db.session.get(ProcessInstance, c).next_timer_due is None for c in cases)
