"""Volunteers: loading the pool, counting running assignments, profile updates."""

from __future__ import annotations

import secrets

from flask import g, has_app_context
from sqlalchemy import func, select

from app.auth.models import ROLE_EHRENAMT, User
from app.auth.passwords import password_problems
from app.engine.models import ACTIVE_TASK_STATES, ProcessInstance, Task
from app.extensions import db
from app.volunteers.matching import STATUS_AKTIV, Match, rank_volunteers
from app.volunteers.models import VolunteerProfile

#: The volunteer's repeatable task: an open one means the assignment is running.
ASSIGNMENT_TASK = "rueckmeldung"


def active_volunteers() -> list[User]:
    users = db.session.scalars(
        select(User).where(User.active.is_(True), User.with_role(ROLE_EHRENAMT))
        .order_by(User.display_name)
    )
    return list(users)


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
    profiles = profiles_of([u.id for u in volunteers])
    return rank_volunteers(dict(instance.data or {}), volunteers, counts, profiles)


def profile_of(user: User) -> dict:
    """The user's volunteer profile as a plain dict (``{}`` when none was ever saved)."""
    row = db.session.get(VolunteerProfile, user.id)
    return row.as_dict() if row is not None else {}


def profiles_of(user_ids: list[int]) -> dict[int, dict]:
    """User id → profile dict for the users that have a profile (three queries for any number)."""
    if not user_ids:
        return {}
    rows = db.session.scalars(select(VolunteerProfile).where(VolunteerProfile.user_id.in_(user_ids)))
    return {row.user_id: row.as_dict() for row in rows}


def update_profile(user: User, changes: dict) -> None:
    """Set the profile keys in ``changes``; keys not given stay as they are
    (the volunteer's own form never touches the fields kept by 201)."""
    row = db.session.get(VolunteerProfile, user.id)
    if row is None:
        row = VolunteerProfile(user_id=user.id)
        db.session.add(row)
    row.apply(changes)
    db.session.flush()


def all_volunteers(status: str | None = None) -> list[User]:
    """Every volunteer account (201's list), optionally only those with ``status``
    (a volunteer without a profile or without a status counts as active)."""
    query = select(User).where(User.with_role(ROLE_EHRENAMT)).order_by(User.display_name, User.id)
    if status:
        query = query.outerjoin(VolunteerProfile, VolunteerProfile.user_id == User.id).where(
            func.coalesce(VolunteerProfile.status, STATUS_AKTIV) == status)
    return list(db.session.scalars(query))


def username_taken(username: str) -> bool:
    return db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())) is not None


def new_password(username: str) -> str:
    """A random initial password that meets the policy (app/auth/passwords.py)."""
    while True:
        password = secrets.token_urlsafe(12)  # 16 characters, about 96 bits
        if not password_problems(password, username):
            return password


def create_volunteer(created_by: User, *, username: str, display_name: str, email: str | None) -> tuple[User, str]:
    """A volunteer account (role ehrenamt, in 201's organisation) with an empty profile and a
    random initial password, returned once in plain text for 201 to hand over; only its hash
    is stored, and the volunteer must replace it by their own at the first login (as with an
    account an admin creates: app/auth/sessions.py ``enforce_password_change``)."""
    password = new_password(username)
    user = User(username=username.strip(), display_name=display_name.strip(), email=(email or "").strip() or None,
                organisation_id=created_by.organisation_id)
    user.roles = [ROLE_EHRENAMT]
    user.set_password(password)
    user.must_change_password = True  # 201 knows this one: the volunteer chooses their own first
    db.session.add(user)
    db.session.flush()
    db.session.add(VolunteerProfile(user_id=user.id, status=STATUS_AKTIV))
    db.session.flush()
    return user, password


def get_volunteer_or_404(user_id: int) -> User:
    from flask import abort

    user = db.session.get(User, user_id)
    if user is None or ROLE_EHRENAMT not in user.roles:
        abort(404)
    return user
