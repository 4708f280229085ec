"""The timer worker: fires the timers of cases whose next due time has come.

Each case's earliest timer is kept in ``process_instance.next_timer_due`` (indexed) whenever
the case is saved, so finding due work is one indexed query. On PostgreSQL several workers
(and web requests) may run at once: a worker claims a batch of due cases with
``FOR UPDATE SKIP LOCKED`` and commits the batch before claiming the next, so no case is fired
twice and a crash loses nothing (the rows are simply still due). SQLite has no row locks: run one
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


BATCH = 20  # due cases one worker claims (and commits) at a time


def _claim_due(now: datetime, skip: set[int], batch: int) -> list[ProcessInstance]:
    """Up to ``batch`` due cases, earliest first. On PostgreSQL their rows are locked
    (``FOR UPDATE SKIP LOCKED``) until the batch commits: other workers take the next ones."""
    query = (
        select(ProcessInstance)
        .where(ProcessInstance.status == RUNNING, ProcessInstance.next_timer_due <= now)
        .order_by(ProcessInstance.next_timer_due, ProcessInstance.id)
        .limit(batch)
    )
    if skip:
        query = query.where(ProcessInstance.id.not_in(skip))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(db.session.scalars(query))


class _BatchLost(Exception):
    """The batch's transaction was rolled back as a whole (a lost race): its cases stay due."""


def fire_due(now: datetime | None = None, limit: int = 1000, batch: int = BATCH) -> int:
    """Fire every timer due at ``now`` (default: real now); returns the number of cases moved.

    Cases are claimed ``batch`` at a time and committed together (one commit per batch, not
    per case); each case runs in its own savepoint, so a failing case is rolled back alone,
    postponed by RETRY_AFTER with its error and does not stop the others. Several workers on
    PostgreSQL share the due cases without firing one twice (the claimed rows stay locked until
    the batch commits).
    """
    now = now or utcnow()
    done = 0
    failed: set[int] = set()
    while done < limit:
        fired_here = 0
        try:
            with unit_of_work():  # commits the batch; rolled back if it raises
                instances = _claim_due(now, failed, min(batch, limit - done))
                if not instances:
                    return done
                for instance in instances:
                    fired_here += _fire_one(instance, now, failed)
        except _BatchLost:
            continue  # the cases of the batch are still due; the conflicting one is skipped
        done += fired_here
    return done


def _fire_one(instance: ProcessInstance, now: datetime, failed: set[int]) -> int:
    """Fire one claimed case inside the batch's transaction; 1 if it moved on."""
    instance_id = instance.id
    try:
        with db.session.begin_nested():  # a failure rolls back this case only
            service.fire_timers(instance, now)
        return 1
    except service.ConflictError as exc:  # a concurrent change won; the whole transaction is gone
        failed.add(instance_id)
        raise _BatchLost from exc
    except service.EngineError as exc:
        failed.add(instance_id)
        _postpone(instance_id, now, str(exc))
    except Exception as exc:  # noqa: BLE001 - one broken case must not stop the others
        log.exception("timer of case %s failed unexpectedly", instance_id)
        failed.add(instance_id)
        _postpone(instance_id, now, gettext("Der Zeitgeber des Falls ist fehlgeschlagen: %(detail)s",
                                            detail=type(exc).__name__))
    return 0


def _postpone(instance_id: int, now: datetime, message: str) -> None:
    """Try the case again after RETRY_AFTER and keep its error for supervisors and process
    owners (monitor); written in the batch's transaction (after the case's savepoint was rolled
    back). If even that fails, the case simply stays due."""
    log.warning("timer of case %s failed: %s", instance_id, message)
    try:
        with db.session.begin_nested():
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
