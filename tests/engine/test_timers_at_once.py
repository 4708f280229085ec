"""Due timers fired by several workers at once fire exactly once each: batched claims with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL (two workers in parallel), workers one after the other
on SQLite (no row locks); a controlled clock, no waiting."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from app.auth.models import Team, User
from app.engine import service
from app.engine.models import CaseEvent, ProcessInstance, ProcessModel, Task
from app.extensions import db
from app.timers.services import fire_due
from tests.conftest import PG_URL

FIXTURES = Path(__file__).parent / "fixtures"


def _timer_cases(app, n: int) -> list[int]:
    """``n`` cases of a small process waiting at a one-hour timer (then a script and a user task)."""
    with app.test_request_context():
        model = ProcessModel(key="timer_many", name="Viele Zeitgeber", start_departments="FB36",
                             start_role="fachkraft", reference_prefix="ZV")
        db.session.add(model)
        db.session.flush()
        xml = ((FIXTURES / "timer_probe.bpmn").read_text(encoding="utf-8").replace("SKRIPT", "ergebnis = 1")
               .replace('id="timer_probe"', 'id="timer_many"'))
        service.import_version(model, xml, None, "test")
        user = db.session.scalar(select(User).where(User.username == "fb36"))
        team = db.session.scalar(select(Team).where(Team.key == "asd"))
        ids = [service.start_instance(model, user, team).id for _ in range(n)]
        db.session.commit()
        return ids


def test_due_timers_fire_exactly_once_with_several_workers(app, clock):
    clock.set(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    cases = _timer_cases(app, 20)
    moment = clock.now + timedelta(hours=1, seconds=1)  # all twenty due at the same instant
    counts: list[int] = []
    if PG_URL:  # two workers at once, claiming small batches so that they interleave
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def work():
            try:
                with app.app_context():
                    barrier.wait()
                    counts.append(fire_due(moment, batch=3))
                    db.session.remove()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not errors, errors
    else:  # SQLite: one writer at a time; the second worker finds what the first left
        with app.app_context():
            counts.append(fire_due(moment, limit=7, batch=3))
            counts.append(fire_due(moment, batch=3))
            counts.append(fire_due(moment, batch=3))
    assert sum(counts) == 20 and counts[-1] >= 0
    if not PG_URL:
        assert counts == [7, 13, 0]
    with app.app_context():
        fired = dict(db.session.execute(
            select(CaseEvent.instance_id, func.count()).where(CaseEvent.instance_id.in_(cases),
                                                              CaseEvent.kind == "timer")
            .group_by(CaseEvent.instance_id)).all())
        rows = dict(db.session.execute(
            select(Task.instance_id, func.count()).where(Task.instance_id.in_(cases),
                                                         Task.bpmn_id == "nach_dem_timer")
            .group_by(Task.instance_id)).all())
        still_due = db.session.scalar(select(func.count()).select_from(ProcessInstance).where(
            ProcessInstance.id.in_(cases), ProcessInstance.next_timer_due.is_not(None)))
    assert fired == {case_id: 1 for case_id in cases}
    assert rows == {case_id: 1 for case_id in cases}
    assert still_due == 0
    with app.app_context():  # nothing left to fire
        assert fire_due(moment + timedelta(minutes=1)) == 0
