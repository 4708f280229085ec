"""A case whose timer step fails never stops the timer worker: it is postponed with its error
(shown to supervisors in the monitor and to process owners on the model page) while the other
cases' timers fire; the worker survives database errors and restarts itself."""

from __future__ import annotations

import threading
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.auth.models import Team, User
from app.engine import service
from app.engine.models import ProcessInstance, ProcessModel
from app.extensions import db
from app.timers import services as timers
from tests.flows import instance, open_task

FIXTURES = Path(__file__).parent / "fixtures"
TIMER_PROBE = (FIXTURES / "timer_probe.bpmn").read_text(encoding="utf-8")
POISONS = {
    "base_exception": "raise Exception.mro()[1]('x')",
    "c_level": "ergebnis = all(map(sorted, [range(1000000)] * 100))",
}


def _model(key: str, script: str) -> ProcessModel:
    model = ProcessModel(key=key, name=f"Zeitgeber {key}", start_departments="FB36",
                         start_role="fachkraft", reference_prefix="ZG")
    db.session.add(model)
    db.session.flush()
    xml = TIMER_PROBE.replace("SKRIPT", script).replace('id="timer_probe"', f'id="{key}"')
    owner = db.session.scalar(select(User).where(User.username == "prozess"))
    service.import_version(model, xml, owner, "test")
    return model


def _start(app, key: str, script: str) -> int:
    with app.test_request_context():
        model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == key)) or _model(key, script)
        user = db.session.scalar(select(User).where(User.username == "fb36"))
        team = db.session.scalar(select(Team).where(Team.key == "asd"))
        case = service.start_instance(model, user, team)
        db.session.commit()
        return case.id


@pytest.fixture
def cases(app):
    """Two poisoned cases, due first, and a good one, due a minute later."""
    poisoned = {name: _start(app, f"poison_{name}", script) for name, script in POISONS.items()}
    good = _start(app, "good_timer", "ergebnis = 1")
    with app.app_context():
        base = db.session.get(ProcessInstance, good).next_timer_due.replace(tzinfo=UTC)
        for case_id in poisoned.values():
            db.session.get(ProcessInstance, case_id).next_timer_due = base - timedelta(minutes=1)
        db.session.commit()
    return poisoned, good, base


def test_poisoned_cases_are_postponed_and_the_good_timer_fires(app, cases):
    poisoned, good, due = cases
    moment = due + timedelta(minutes=1)
    with app.app_context():
        assert timers.fire_due(moment) == 1
    assert open_task(app, good, "nach_dem_timer") is not None
    for name, case_id in poisoned.items():
        case = instance(app, case_id)
        assert case.status == "running"
        assert case.next_timer_due.replace(tzinfo=UTC) == moment + timers.RETRY_AFTER, name
        assert case.error_message.startswith("Der Prozess konnte nicht fortgesetzt werden"), name
        assert open_task(app, case_id, "nach_dem_timer") is None
    assert "Zeitlimit" in instance(app, poisoned["c_level"]).error_message
    assert "nicht erlaubte Ausnahme" in instance(app, poisoned["base_exception"]).error_message

    # Retried after RETRY_AFTER: still failing, postponed again, the error stays visible.
    with app.app_context():
        assert timers.fire_due(moment + timers.RETRY_AFTER) == 0
    assert instance(app, poisoned["base_exception"]).error_message


def test_the_worker_lives_on_through_poisoned_cases(app, cases, monkeypatch):
    poisoned, good, due = cases
    monkeypatch.setattr(timers, "utcnow", lambda: due + timedelta(minutes=1))  # the worker's clock
    stop = threading.Event()
    rounds: list[int] = []
    real_fire_due = timers.fire_due

    def counting_fire_due(now=None, limit=1000):
        fired = real_fire_due(now, limit)
        rounds.append(fired)
        if len(rounds) >= 3:
            stop.set()
        return fired

    monkeypatch.setattr(timers, "fire_due", counting_fire_due)

    def work():
        with app.app_context():
            timers.supervise(stop, interval=0.01)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive()
    assert rounds[0] == 1 and rounds[1:] == [0, 0]  # the good case once; poisoned ones wait
    assert open_task(app, good, "nach_dem_timer") is not None
    for case_id in poisoned.values():
        assert instance(app, case_id).error_message


def test_supervisor_restarts_a_broken_worker_loop(app):
    stop = threading.Event()
    calls: list[str] = []

    def flaky_loop(stop_event, interval):
        calls.append("round")
        if len(calls) == 1:
            raise RuntimeError("database went away")
        if len(calls) == 2:
            raise BaseException("something worse")
        stop_event.set()

    with app.app_context():
        timers.supervise(stop, interval=0.01, round_fn=flaky_loop)
    assert calls == ["round", "round", "round"]


def test_a_database_error_in_one_case_postpones_only_that_case(app, cases, monkeypatch):
    poisoned, good, due = cases
    real = service.fire_timers

    def broken_for_one(case, now):
        if case.id == poisoned["base_exception"]:
            raise RuntimeError("deadlock detected")
        return real(case, now)

    monkeypatch.setattr(service, "fire_timers", broken_for_one)
    with app.app_context():
        timers.fire_due(due + timedelta(minutes=1))
    assert open_task(app, good, "nach_dem_timer") is not None
    assert "RuntimeError" in instance(app, poisoned["base_exception"]).error_message


def test_errors_are_shown_to_supervisors_and_process_owners(app, cases, login_as):
    poisoned, _, due = cases
    with app.app_context():
        timers.fire_due(due + timedelta(minutes=1))
    case_id = poisoned["base_exception"]
    reference = instance(app, case_id).reference

    monitor = login_as("leitung").get(f"/monitor/faelle/{case_id}")
    assert monitor.status_code == 200
    assert "Fehler bei einem automatischen Schritt" in monitor.get_data(as_text=True)
    assert "nicht erlaubte Ausnahme" in monitor.get_data(as_text=True)
    listing = login_as("leitung").get("/monitor").get_data(as_text=True)
    assert "(Fehler)" in listing

    owner_page = login_as("prozess").get("/prozessmodelle/poison_base_exception").get_data(as_text=True)
    assert "Fälle mit Fehlern" in owner_page and reference in owner_page
    good_page = login_as("prozess").get("/prozessmodelle/good_timer").get_data(as_text=True)
    assert "Fälle mit Fehlern" not in good_page

    # A caseworker sees neither (the monitor is for supervisors, models for process owners).
    assert login_as("fb36").get(f"/monitor/faelle/{case_id}").status_code == 403
    assert login_as("fb36").get("/prozessmodelle/poison_base_exception").status_code == 403


def test_a_step_that_goes_through_clears_the_error(app, cases):
    _, good, due = cases
    with app.app_context():
        db.session.get(ProcessInstance, good).error_message = "Ein früherer Fehler"
        db.session.commit()
        assert timers.fire_due(due + timedelta(minutes=1)) == 1
    assert instance(app, good).error_message is None


def test_process_owners_do_not_read_the_message_of_a_confidential_case(app, cases, login_as):
    """The engine message may quote case data; in a confidential procedure (MBE) only the
    supervisors in the monitor read it, the process owner sees that a case fails."""
    poisoned, _, due = cases
    with app.app_context():
        timers.fire_due(due + timedelta(minutes=1))
        db.session.scalar(select(ProcessModel).where(ProcessModel.key == "poison_base_exception")).confidential = True
        db.session.commit()
    page = login_as("prozess").get("/prozessmodelle/poison_base_exception").get_data(as_text=True)
    assert instance(app, poisoned["base_exception"]).reference in page
    assert "nicht erlaubte Ausnahme" not in page
    assert "sieht nur die Leitung im Monitor" in page
