"""The timer worker: fires the timers of cases whose next due time has come.

Each case's earliest timer is kept in ``process_instance.next_timer_due`` (indexed) whenever
the case is saved, so finding due work is one indexed query. On PostgreSQL several workers
(and web requests) may run at once: a worker takes one due case at a time with
``FOR UPDATE SKIP LOCKED`` and commits it before taking the next, so no case is fired twice
and a crash loses nothing (the row is simply still due). SQLite has no row locks: run one
worker there.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select

from app.appointments.services import remind_due as remind_appointments
from app.engine import service
from app.engine.models import RUNNING, ProcessInstance
from app.extensions import db
from app.notify.mailer import send_outbox
from app.notify.services import remind_overdue
from app.ops import heartbeat
from app.retention.services import daily_run as daily_retention_run
from app.timeutil import utcnow
from app.transaction import unit_of_work

log = logging.getLogger(__name__)

RETRY_AFTER = timedelta(minutes=5)  # a case whose timer step fails is retried after this


def _take_one_due(now: datetime, skip: set[int]) -> ProcessInstance | None:
    query = (
        select(ProcessInstance)
        .where(ProcessInstance.status == RUNNING, ProcessInstance.next_timer_due <= now)
        .order_by(ProcessInstance.next_timer_due)
        .limit(1)
    )
    if skip:
        query = query.where(ProcessInstance.id.not_in(skip))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return db.session.scalars(query).first()


def fire_due(now: datetime | None = None, limit: int = 1000) -> int:
    """Fire every timer due at ``now`` (default: real now); returns the number of cases moved.

    One transaction per case: a failing case is rolled back, postponed by RETRY_AFTER and does
    not stop the others.
    """
    now = now or utcnow()
    done = 0
    failed: set[int] = set()
    for _ in range(limit):
        instance = _take_one_due(now, failed)
        if instance is None:
            break
        instance_id = instance.id
        try:
            with unit_of_work():  # rolled back if it raises
                service.fire_timers(instance, now)
            done += 1
        except service.ConflictError:  # a web request changed the case first: try again next round
            failed.add(instance_id)
        except service.EngineError as exc:
            failed.add(instance_id)
            _postpone(instance_id, now, str(exc))
        except Exception as exc:  # noqa: BLE001 - one broken case must not stop the others
            log.exception("timer of case %s failed unexpectedly", instance_id)
            failed.add(instance_id)
            _postpone(instance_id, now, gettext("Der Zeitgeber des Falls ist fehlgeschlagen: %(detail)s",
                                                detail=type(exc).__name__))
    return done


def _postpone(instance_id: int, now: datetime, message: str) -> None:
    """Try the case again after RETRY_AFTER and keep its error for supervisors and process
    owners (monitor). If even that fails (the database is gone), the case simply stays due."""
    log.warning("timer of case %s failed: %s", instance_id, message)
    try:
        with unit_of_work():
            instance = db.session.get(ProcessInstance, instance_id)
            if instance is not None:
                instance.next_timer_due = now + RETRY_AFTER
                instance.error_message = message[:2000]
    except Exception:  # noqa: BLE001
        log.exception("could not postpone case %s", instance_id)


def notify_round(now: datetime | None = None) -> tuple[int, int]:
    """One overdue reminder per overdue task and one reminder per appointment that is near
    (APPOINTMENT_REMINDER_HOURS), then send (or retry) the outbox.
    Returns (tasks and appointments reminded, mails sent)."""
    now = now or utcnow()
    with unit_of_work():
        reminded = remind_overdue(now)
        reminded += remind_appointments(now, current_app.config["APPOINTMENT_REMINDER_HOURS"])
    return reminded, send_outbox(now=max(now, utcnow()))  # the new mails are due from now on


def supervise(stop: threading.Event, interval: float = 1.0, round_fn=None) -> None:
    """Run the worker loop until ``stop``; if the loop itself ever breaks (anything but the
    interpreter being shut down), log it and start it again after a growing pause (up to a
    minute), so a bad moment of the database or a bug in one round never ends the timers."""
    pause = interval
    while not stop.is_set():
        try:
            (round_fn or run_worker)(stop, interval)
            return
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # noqa: BLE001 - restart instead of dying
            log.exception("timer worker stopped unexpectedly; restarting in %.0f s", pause)
            try:
                db.session.remove()
            except Exception:  # noqa: BLE001
                pass
            stop.wait(pause)
            pause = min(pause * 2, 60.0)


def _heartbeat() -> None:
    """Tell /readyz that the worker is alive (app/ops): one row per worker, once per round."""
    try:
        with unit_of_work():
            heartbeat.beat("timers")
    except Exception:  # noqa: BLE001 - a missing beat shows up in /readyz; the round goes on
        log.exception("heartbeat failed")
    finally:
        db.session.remove()


def run_worker(stop: threading.Event, interval: float = 1.0) -> None:
    """Fire due timers, erase the cases past their retention period (once per office day), remind
    overdue tasks and send mails every ``interval`` seconds until ``stop`` is set."""
    while not stop.is_set():
        _heartbeat()
        try:
            fired = fire_due()
            if fired:
                log.info("fired timers of %d case(s)", fired)
        except Exception:  # noqa: BLE001 - the worker must survive a bad round (e.g. DB restart)
            log.exception("timer round failed")
            db.session.rollback()
        finally:
            db.session.remove()
        try:
            daily_retention_run()  # at most once per office day; logs its counts (app/retention)
        except Exception:  # noqa: BLE001 - the next day's run (or the next worker start) catches up
            log.exception("retention run failed")
            db.session.rollback()
        finally:
            db.session.remove()
        try:
            reminded, sent = notify_round()
            if reminded or sent:
                log.info("reminded %d overdue task(s), sent %d mail(s)", reminded, sent)
        except Exception:  # noqa: BLE001 - mails stay pending and are retried next round
            log.exception("notification round failed")
            db.session.rollback()
        finally:
            db.session.remove()
        stop.wait(interval)
