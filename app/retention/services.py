"""Retention after closing: the period per process, legal holds, due cases and the erasure run.

The period: each process declares how many months a closed case is kept
(``aufbewahrung_monate`` in ``processes/<key>.privacy.toml``, next to the text ``loeschfrist``);
the process owner may set another one in the browser (``ProcessModel.retention_months``). A
process without a period erases nothing (the record of processing flags it).

A case is due when it is closed (``completed`` or ``terminated``; withdrawn cases are completed
ones), its closing date plus the period has come, it was not erased yet and no legal hold is
active. Month arithmetic keeps the day of the month where it exists and otherwise takes the
month's last day (closed 31 January, one month: erased from 28/29 February, same time of day).
Finding due cases is an indexed range over ``ix_instance_closed`` (status, ended_at, team,
version) per process; the exact date is then checked per row.

The run (``flask retention run``, and the timer worker once per office day) erases each due case
with ``app.erasure.services.erase_case`` in a unit of work of its own, so a case that fails is
rolled back, logged and counted, and does not stop the others. Erasure is recorded by
``erase_case`` (a case event ``erased`` with the reason, never the erased data); the run logs
only its counts.
"""

from __future__ import annotations

import calendar
import logging
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from app import timeutil, transaction
from app.auth.access import access_level
from app.auth.models import ROLE_DATENSCHUTZ, ROLE_LEITUNG, Team, User
from app.engine import events
from app.engine.lanes import LANES_DIR
from app.engine.models import COMPLETED, TERMINATED, CaseEvent, ProcessInstance, ProcessModel, ProcessVersion
from app.erasure.services import RETENTION, erase_case
from app.extensions import db
from app.retention import accountdata
from app.retention.models import LegalHold, RetentionRun

log = logging.getLogger(__name__)

#: Statuses of a closed case (a withdrawn case is ``completed`` with the outcome "zurueckgezogen").
CLOSED = (COMPLETED, TERMINATED)
#: The case event ``erase_case`` writes.
ERASED = "erased"
MIN_MONTHS, MAX_MONTHS = 1, 120
#: Days the upcoming-erasures list looks ahead.
AHEAD_DAYS = 31
#: Month arithmetic can move a date by up to 3 days (31 Jan + 1 month = 28 Feb): the SQL range
#: is widened by this much, the exact date is checked per row.
SLACK = timedelta(days=4)
PERIOD_KEY = "aufbewahrung_monate"
#: Case history entries of hold decisions (the reason stays in ``legal_hold``, not in the history).
HOLD_SET, HOLD_RELEASED = "legal_hold_set", "legal_hold_released"
events.register(HOLD_SET, _l("Löschsperre gesetzt"))
events.register(HOLD_RELEASED, _l("Löschsperre aufgehoben"))


# --- the period ------------------------------------------------------------------------------

def privacy_dir() -> Path:
    return Path(current_app.config.get("PRIVACY_DIR") or LANES_DIR)


_declared: dict[Path, tuple[int, int | None]] = {}  # file -> (mtime_ns, months): read once per change


def default_months(key: str) -> int | None:
    """``aufbewahrung_monate`` of ``<key>.privacy.toml`` (None: not declared or not a whole
    number of months in range). The case view asks on every page: the file is read again only
    when it changed."""
    path = privacy_dir() / f"{key}.privacy.toml"
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return None
    known = _declared.get(path)
    if known is not None and known[0] == stamp:
        return known[1]
    try:
        months = _months_in(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        log.warning("cannot read %s: no retention period for %s", path, key)
        months = None
    _declared[path] = (stamp, months)
    return months


def _months_in(raw: dict[str, Any]) -> int | None:
    value = raw.get(PERIOD_KEY)
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_MONTHS <= value <= MAX_MONTHS:
        return None
    return value


@dataclass(frozen=True)
class Period:
    """The running period of a process: ``months`` (None: nothing is erased), whether the process
    owner set it (``overridden``) and the declared default."""

    months: int | None
    overridden: bool
    default: int | None


def period_of(model: ProcessModel) -> Period:
    default = default_months(model.key)
    if model.retention_months is not None:
        return Period(model.retention_months, True, default)
    return Period(default, False, default)


def period_text(period: Period) -> str | None:
    """The period as the record of processing states it (None: no period)."""
    if period.months is None:
        return None
    text = _("%(n)s Monate nach Abschluss des Falls", n=period.months)
    if period.overridden:
        text += " " + _("(festgelegt von der Prozessverantwortung; Vorgabe: %(d)s)",
                        d=_("%(n)s Monate", n=period.default) if period.default else _("keine"))
    return text


def set_period(model: ProcessModel, months: int | None, user: User) -> None:
    """The process owner sets the period (None: back to the declared default). Only flushes."""
    old = model.retention_months
    model.retention_months = months
    db.session.flush()
    log.info("retention period of %s changed from %s to %s by %s", model.key, old, months, user.username)


# --- dates -----------------------------------------------------------------------------------

def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus ``months`` calendar months (negative: minus); a day the target month lacks
    becomes its last day."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def erasure_due(ended_at: datetime | None, months: int | None) -> datetime | None:
    """When a case closed at ``ended_at`` is erased (None: still running, or no period)."""
    if ended_at is None or months is None:
        return None
    return add_months(timeutil.aware(ended_at), months)


def _model_periods() -> list[tuple[ProcessModel, int, list[int]]]:
    """(model, months, version ids) of every process with a period."""
    result = []
    for model in db.session.scalars(select(ProcessModel).order_by(ProcessModel.key)):
        months = period_of(model).months
        if months is None:
            continue
        versions = list(db.session.scalars(select(ProcessVersion.id).where(ProcessVersion.model_id == model.id)))
        if versions:
            result.append((model, months, versions))
    return result


def _not_erased():
    return ~exists().where(CaseEvent.instance_id == ProcessInstance.id, CaseEvent.kind == ERASED)


def _held():
    return exists().where(LegalHold.instance_id == ProcessInstance.id, LegalHold.released_at.is_(None))


def is_erased(instance: ProcessInstance) -> bool:
    return db.session.scalar(select(CaseEvent.id).where(CaseEvent.instance_id == instance.id,
                                                        CaseEvent.kind == ERASED).limit(1)) is not None


def _closed_between(versions: list[int], months: int, first: datetime | None, last: datetime,
                    team_ids: list[int] | None = None):
    """Closed, not erased cases of ``versions`` whose erasure date may lie in [first, last]
    (widened by SLACK; the caller checks the exact date)."""
    query = select(ProcessInstance.id, ProcessInstance.ended_at, ProcessInstance.reference,
                   ProcessInstance.owner_team_id, ProcessInstance.version_id).where(
        ProcessInstance.status.in_(CLOSED),
        ProcessInstance.ended_at <= add_months(last, -months) + SLACK,
        ProcessInstance.version_id.in_(versions),
        _not_erased(),
    )
    if first is not None:
        query = query.where(ProcessInstance.ended_at > add_months(first, -months) - SLACK)
    if team_ids is not None:
        query = query.where(ProcessInstance.owner_team_id.in_(team_ids))
    return query


def due_case_ids(now: datetime) -> list[int]:
    """Ids of every case due for erasure at ``now`` (closed, period over, not erased, not held)."""
    now = timeutil.aware(now)
    found: list[tuple[datetime, int]] = []
    for _model, months, versions in _model_periods():
        query = _closed_between(versions, months, None, now).where(~_held())
        for row in db.session.execute(query):
            due = erasure_due(row.ended_at, months)
            if due is not None and due <= now:
                found.append((due, row.id))
    return [case_id for _due, case_id in sorted(found)]


# --- the run ---------------------------------------------------------------------------------

@dataclass
class RunResult:
    erased: int = 0
    failed: int = 0
    account_rows: int = 0  # rows of account data deleted (app/retention/accountdata.py)


def _lock_due(case_id: int, now: datetime) -> ProcessInstance | None:
    """The case, locked for this unit of work, if it is still due (another run, a web request
    setting a hold or a withdrawal of consent may have come first)."""
    query = select(ProcessInstance).where(ProcessInstance.id == case_id, ProcessInstance.status.in_(CLOSED),
                                          _not_erased(), ~_held())
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=ProcessInstance)
    instance = db.session.scalars(query).first()
    if instance is None:
        return None
    months = period_of(instance.version.model).months
    due = erasure_due(instance.ended_at, months)
    return instance if due is not None and due <= now else None


def erase_due(now: datetime | None = None) -> RunResult:
    """Erase every case due at ``now`` (default: now), each in its own unit of work."""
    now = timeutil.aware(now) if now is not None else timeutil.utcnow()
    result = RunResult()
    for case_id in due_case_ids(now):
        try:
            with transaction.unit_of_work():  # rolled back if it raises
                instance = _lock_due(case_id, now)
                if instance is None:
                    continue
                erase_case(instance, reason=RETENTION)
            result.erased += 1
        except Exception:  # noqa: BLE001 - one case that fails must not stop the others
            transaction.discard()  # also after a failed commit: the next case starts clean
            log.exception("erasure of case %s failed", case_id)
            result.failed += 1
    return result


def run(now: datetime | None = None, *, via: str = "cli") -> RunResult:
    """One erasure run, recorded in ``retention_run`` (counts only)."""
    with transaction.unit_of_work():
        record = RetentionRun(via=via, started_at=timeutil.utcnow())
        db.session.add(record)
        db.session.flush()
        record_id = record.id
    return _finish(record_id, erase_due(now), now)


def _finish(record_id: int, result: RunResult, now: datetime | None = None) -> RunResult:
    try:  # the account data whose period is over (app/retention/accountdata.py)
        result.account_rows = accountdata.sweep(now).total
    except Exception:  # noqa: BLE001 - the case erasures are done; the next day's run catches up
        transaction.discard()
        log.exception("deleting old account data failed")
    with transaction.unit_of_work():
        record = db.session.get(RetentionRun, record_id)
        if record is not None:
            record.finished_at, record.erased, record.failed = timeutil.utcnow(), result.erased, result.failed
    log.info("retention run: %d case(s) erased, %d failed", result.erased, result.failed)
    return result


def office_day(moment: datetime) -> date:
    return timeutil.aware(moment).astimezone(timeutil.office_zone()).date()


class DailyRun:
    """The timer worker's erasure run, at most once per office day.

    Each worker process remembers the day it last saw run, so the loop asks the database only
    once per day; the day itself is claimed by inserting its ``retention_run`` row (unique
    ``day``): of several workers exactly one wins, the others see the conflict and skip.
    """

    def __init__(self) -> None:
        self.last_day: date | None = None

    def __call__(self, now: datetime | None = None) -> RunResult | None:
        now = timeutil.aware(now) if now is not None else timeutil.utcnow()
        day = office_day(now)
        if self.last_day == day:
            return None
        record_id = self._claim(day, now)
        self.last_day = day
        if record_id is None:
            return None
        return _finish(record_id, erase_due(now), now)

    @staticmethod
    def _claim(day: date, now: datetime) -> int | None:
        try:
            with transaction.unit_of_work():
                if db.session.scalar(select(RetentionRun.id).where(RetentionRun.day == day)) is not None:
                    return None
                record = RetentionRun(day=day, via="worker", started_at=now)
                db.session.add(record)
                db.session.flush()  # a second worker's row for the same day fails here
                return record.id
        except IntegrityError:
            return None


daily_run = DailyRun()


def last_run() -> RetentionRun | None:
    return db.session.scalar(select(RetentionRun).order_by(RetentionRun.started_at.desc()).limit(1))


# --- legal hold ------------------------------------------------------------------------------

class HoldError(Exception):
    """A hold that cannot be set or released (409 / 404), with a German message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def may_hold(user: User, instance: ProcessInstance) -> bool:
    """The case's supervisors (role leitung, leading its team) and the data protection officer."""
    if user.has_role(ROLE_DATENSCHUTZ):
        return True
    return user.has_role(ROLE_LEITUNG) and instance.owner_team_id is not None \
        and instance.owner_team_id in user.lead_team_ids


def hold_access(user: User, instance_id: int) -> tuple[ProcessInstance | None, int]:
    """The case and 200 if ``user`` may set or release its hold; 404 if the case does not exist
    for them (they may not see it), 403 if they see it but may not decide."""
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None:
        return None, 404
    if may_hold(user, instance):
        return instance, 200
    return None, (404 if access_level(user, instance) is None else 403)


def active_hold(instance: ProcessInstance) -> LegalHold | None:
    return db.session.scalar(select(LegalHold).where(LegalHold.instance_id == instance.id,
                                                     LegalHold.released_at.is_(None)))


def _lock(instance: ProcessInstance) -> None:
    """Wait for an erasure run that holds the case (PostgreSQL), so a hold is never set on a
    case being erased in the same moment."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(ProcessInstance.id).where(ProcessInstance.id == instance.id).with_for_update())


def set_hold(instance: ProcessInstance, user: User, reason: str) -> LegalHold:
    """Put the case on legal hold. Only flushes; HoldError 409 when it is held or erased already."""
    _lock(instance)
    if active_hold(instance) is not None:
        raise HoldError(409, _("Für diesen Fall besteht bereits eine Löschsperre."))
    if is_erased(instance):
        raise HoldError(409, _("Die personenbezogenen Daten dieses Falls sind bereits gelöscht."))
    hold = LegalHold(instance_id=instance.id, reason=reason.strip(), created_by_id=user.id,
                     created_at=timeutil.utcnow())
    db.session.add(hold)
    db.session.add(CaseEvent(instance_id=instance.id, kind=HOLD_SET, title="", actor_id=user.id,
                             created_at=timeutil.utcnow()))
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # a simultaneous request set one first (unique active hold)
        raise HoldError(409, _("Für diesen Fall besteht bereits eine Löschsperre.")) from None
    return hold


def release_hold(instance: ProcessInstance, user: User) -> LegalHold:
    """Release the active hold (the row stays, with who and when). HoldError 404 without one."""
    hold = active_hold(instance)
    if hold is None:
        raise HoldError(404, _("Für diesen Fall besteht keine Löschsperre."))
    hold.released_by_id, hold.released_at = user.id, timeutil.utcnow()
    db.session.add(CaseEvent(instance_id=instance.id, kind=HOLD_RELEASED, title="", actor_id=user.id,
                             created_at=timeutil.utcnow()))
    db.session.flush()
    return hold


def hold_json(hold: LegalHold) -> dict:
    return {
        "id": hold.id, "process_instance_id": hold.instance_id, "reason": hold.reason,
        "held_by": hold.created_by.username if hold.created_by else None,
        "held_at": timeutil.iso(hold.created_at),
        "released_by": hold.released_by.username if hold.released_by else None,
        "released_at": timeutil.iso(hold.released_at),
    }


# --- what a case shows, what supervisors see ahead -------------------------------------------

@dataclass(frozen=True)
class CaseRetention:
    months: int | None
    due: datetime | None
    erased: bool
    hold: LegalHold | None

    @property
    def due_day(self) -> date | None:
        return office_day(self.due) if self.due is not None else None


def case_retention(instance: ProcessInstance) -> CaseRetention:
    months = period_of(instance.version.model).months
    return CaseRetention(months, erasure_due(instance.ended_at, months) if instance.status in CLOSED else None,
                         is_erased(instance), active_hold(instance))


@dataclass(frozen=True)
class Upcoming:
    id: int
    reference: str
    process: str
    team: str
    closed: date
    due: date
    hold: bool


def upcoming(user: User, now: datetime | None = None, limit: int = 1000) -> list[Upcoming]:
    """Closed cases whose erasure date falls from the start of today to ``AHEAD_DAYS`` ahead:
    of the teams ``user`` leads, or of every team for the data protection officer. Held cases
    are listed (marked), erased ones not."""
    now = timeutil.aware(now) if now is not None else timeutil.utcnow()
    first = timeutil.day_bounds(office_day(now), office_day(now))[0]
    last = now + timedelta(days=AHEAD_DAYS)
    team_ids = None if user.has_role(ROLE_DATENSCHUTZ) else user.lead_team_ids
    if team_ids == []:
        return []
    found: list[tuple[datetime, Upcoming]] = []
    teams = {t.id: t.name for t in db.session.scalars(select(Team))}
    for model, months, versions in _model_periods():
        query = _closed_between(versions, months, first, last, team_ids).add_columns(_held().label("held"))
        for row in db.session.execute(query.limit(limit)):
            due = erasure_due(row.ended_at, months)
            if due is not None and first <= due <= last:
                found.append((due, Upcoming(row.id, row.reference, model.name, teams.get(row.owner_team_id, "–"),
                                            office_day(row.ended_at), office_day(due), bool(row.held))))
    found.sort(key=lambda item: (item[0], item[1].reference))
    return [item for _due, item in found[:limit]]
