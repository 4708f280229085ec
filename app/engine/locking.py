"""The optimistic lock and "one winner" writes.

Every change of a case bumps the case's row version (``touch``), so two requests that computed
from the same state cannot both be saved; claims and reassignments write their task row only if
it is still as the request saw it (``take_row``). A write that lost a race is rolled back here and
raised as a ConflictError (HTTP 409) saying what became of the task. Changes when the locking
rules or the databases' race signals change, not when the engine's steps do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import gettext as _
from sqlalchemy import inspect, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.attributes import flag_modified, set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.engine.errors import ConflictError
from app.engine.models import ACTIVE_TASK_STATES, CANCELLED, PAUSED, ProcessInstance, Task
from app.extensions import db

# PostgreSQL's "another transaction was in the way": serialization failure, deadlock detected,
# lock not available (lock_timeout).
_PG_RACES = frozenset({"40001", "40P01", "55P03"})


def is_write_conflict(exc: BaseException) -> bool:
    """Did a write fail only because a concurrent request changed or locked the same rows?"""
    if isinstance(exc, StaleDataError):
        return True
    if isinstance(exc, DBAPIError):
        if (getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)) in _PG_RACES:
            return True
        return "database is locked" in str(exc.orig)  # SQLite: the busy timeout ran out
    return False


@contextmanager
def write_conflicts(task: Task | None = None) -> Iterator[None]:
    """Turn a write that lost against a concurrent request into a ConflictError (HTTP 409).

    The session is rolled back *before* the message is made: after a failed flush every
    attribute access raises PendingRollbackError, and translating the message may read the
    user's locale (an API caller's ``User.locale``), which was the 500 of the losing claims.
    """
    task_id = task.id if task is not None else None  # unreadable once the flush has failed
    try:
        yield
    except (StaleDataError, DBAPIError) as exc:
        if not is_write_conflict(exc):
            raise
        db.session.rollback()
        raise task_conflict(task_id) from exc


def flush(task: Task | None = None) -> None:
    """Flush the change; a lost race becomes a ConflictError about ``task`` (if given)."""
    with write_conflicts(task):
        db.session.flush()


def touch(instance: ProcessInstance, task: Task | None = None) -> None:
    """Bump the row version so concurrent changes of the same case conflict."""
    db.session.add(instance)
    flag_modified(instance, "status")
    flush(task)


def lock_case(instance: ProcessInstance) -> None:
    """Take the case's optimistic lock for a change made outside the engine (e.g. a handover):
    a concurrent change of the same case then conflicts (ConflictError) instead of both winning."""
    touch(instance)


def take_row(task: Task, seen: dict, **values) -> None:
    """Write ``values`` to the row of ``task`` only if its columns are still ``seen`` (what this
    request checked, e.g. status and assignee): "check, then write" of claims and reassignments
    made atomic.

    First the case's row version is bumped (every change of a task row does that, so that a
    completion computed from an older case state conflicts; PostgreSQL thereby locks the case
    before the task, in the order of a completion's flush: no deadlock). Then one conditional
    UPDATE: of concurrent requests exactly one finds the row unchanged (PostgreSQL re-checks
    the WHERE clause after waiting for the row lock, SQLite has one writer at a time); the
    others get a ConflictError. Without ``values`` the row is only locked until the commit.
    """
    touch(task.instance, task)
    unchanged = [getattr(Task, k).is_(None) if v is None else getattr(Task, k) == v for k, v in seen.items()]
    statement = (update(Task).where(Task.id == task.id, *unchanged)
                 .values(**(values or {"status": seen["status"]}))
                 .execution_options(synchronize_session=False))
    with write_conflicts(task):
        taken = db.session.execute(statement).rowcount  # type: ignore[attr-defined]  # 2.1 stubs: Result for DML
    if taken != 1:
        raise task_conflict(task.id)
    for key, value in values.items():
        set_committed_value(task, key, value)
    if "assignee_id" in values:
        db.session.expire(task, ["assignee"])


#: Key in the task's ORM state info: the case's row version when the task row and the case row
#: came in one SELECT (``read_with_case``).
_READ_WITH_CASE = "read_with_case_version"


def read_with_case(task: Task) -> None:
    """Note that ``task`` and its case were just read by one statement (one snapshot): as long
    as the case's row version is still the one read then, the task row needs no fresh read."""
    inspect(task).info[_READ_WITH_CASE] = task.instance.row_version


def check_unchanged(task: Task, instance: ProcessInstance) -> None:
    """Is the task row still as this request read it? Read fresh *after* the case row: a change
    of the task committed later also bumped the case's row version (claims, reassignments and
    completions all do), so the version check of the final flush catches it; one committed
    before is seen here. So a completion never overwrites a claim it did not see.

    No fresh read is needed when the task came in the same statement as the case row and the
    case's row version is still that one (``read_with_case``): any later change of the task
    bumped the version, which the final flush checks."""
    version = instance.row_version  # loaded (if expired) before the fresh read
    if version is not None and inspect(task).info.get(_READ_WITH_CASE) == version:
        return
    if fresh_row(task.id) != (task.status, task.assignee_id):
        raise task_conflict(task.id)


def fresh_row(task_id: int | None) -> tuple[str, int | None] | None:
    """(status, assignee id) of a task row as committed, bypassing the session's copy."""
    row = db.session.execute(select(Task.status, Task.assignee_id).where(Task.id == task_id)).first()
    return (row.status, row.assignee_id) if row is not None else None


def task_conflict(task_id: int | None) -> ConflictError:
    """The answer to a request that lost a race, saying what became of the task (read fresh;
    only on a healthy session, i.e. after the rollback of a failed write)."""
    fresh = fresh_row(task_id) if task_id is not None else None
    status, assignee_id = fresh or (None, None)
    if status == CANCELLED:
        return ConflictError(_("Diese Aufgabe wurde abgebrochen."))
    if status == PAUSED:
        return ConflictError(_("Dieser Fall ist angehalten; die Aufgabe kann erst nach der Fortsetzung "
                               "bearbeitet werden."))
    if status is not None and status not in ACTIVE_TASK_STATES:
        return ConflictError(_("Diese Aufgabe ist bereits erledigt."))
    if assignee_id is not None:
        return ConflictError(_("Diese Aufgabe wurde bereits von einer anderen Person übernommen."))
    return ConflictError(_("Der Fall wurde gleichzeitig von einer anderen Person geändert."))
