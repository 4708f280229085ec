"""Volunteers: loading the pool, counting running assignments, profile updates."""

from __future__ import annotations

from flask import g, has_app_context
from sqlalchemy import func, select

from app.auth.models import ROLE_EHRENAMT, User
from app.engine.models import ACTIVE_TASK_STATES, ProcessInstance, Task
from app.extensions import db
from app.volunteers.matching import Match, rank_volunteers

#: The volunteer's repeatable task: an open one means the assignment is running.
ASSIGNMENT_TASK = "rueckmeldung"


def active_volunteers() -> list[User]:
    users = db.session.scalars(
        select(User).where(User.active.is_(True), User.roles_csv.contains(ROLE_EHRENAMT))
        .order_by(User.display_name)
    )
    return [u for u in users if ROLE_EHRENAMT in u.roles]


def open_assignments(user_ids: list[int]) -> dict[int, int]:
    """User id → number of running cases where the user is the chosen volunteer."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(Task.assignee_id, func.count(func.distinct(Task.instance_id)))
        .where(Task.assignee_id.in_(user_ids), Task.bpmn_id == ASSIGNMENT_TASK,
               Task.status.in_(ACTIVE_TASK_STATES))
        .group_by(Task.assignee_id)
    )
    return {user_id: count for user_id, count in rows if user_id is not None}


def matches_for(instance: ProcessInstance) -> list[Match]:
    """All active volunteers ranked for the case; ineligible ones last, marked as such.

    Computed once per request and case (the task page needs it for the table and the form).
    """
    cache = g.setdefault("_volunteer_matches", {}) if has_app_context() else {}
    key = (instance.id, instance.row_version)
    if key not in cache:
        cache[key] = _rank(instance)
    return cache[key]


def _rank(instance: ProcessInstance) -> list[Match]:
    volunteers = active_volunteers()
    counts = open_assignments([u.id for u in volunteers])
    return rank_volunteers(dict(instance.data or {}), volunteers, counts)


def update_profile(user: User, changes: dict) -> None:
    """Merge ``changes`` (profile keys) into the profile; keys not given stay as they are
    (the volunteer's own form never touches the fields kept by 201)."""
    profile = dict(user.profile or {})
    profile.update(changes)
    user.profile = profile
    db.session.flush()


def all_volunteers(status: str | None = None) -> list[User]:
    """Every volunteer account (201's list), optionally only those with ``status``.

    The status lives in the profile JSON; it is filtered in Python over the (small) set of
    volunteer accounts — never DISTINCT or comparisons on the JSON column in SQL (PostgreSQL).
    """
    users = db.session.scalars(
        select(User).where(User.roles_csv.contains(ROLE_EHRENAMT)).order_by(User.display_name, User.id)
    )
    result = [u for u in users if ROLE_EHRENAMT in u.roles]
    if status:
        result = [u for u in result if ((u.profile or {}).get("status") or "aktiv") == status]
    return result


def get_volunteer_or_404(user_id: int) -> User:
    from flask import abort

    user = db.session.get(User, user_id)
    if user is None or ROLE_EHRENAMT not in user.roles:
        abort(404)
    return user
