"""Who covers whom today, and entering / ending an absence."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.absence.models import Absence
from app.auth import deputies
from app.auth.models import MEMBER, Membership, User
from app.extensions import db
from app.timeutil import utcnow


def today() -> date:
    return date.today()


def covered_user_ids(user: User, on: date | None = None) -> list[int]:
    """The people whose personal tasks ``user`` works on today (absences ending by themselves)."""
    on = on or today()
    cache = getattr(user, "_covered_cache", None)
    if cache is not None and cache[0] == on:
        return cache[1]
    ids = list(db.session.scalars(
        select(Absence.user_id).where(
            Absence.substitute_id == user.id, Absence.starts_on <= on, Absence.ends_on >= on)
    ))
    user._covered_cache = (on, ids)  # per request: the user object lives one request
    return ids


deputies.provide(covered_user_ids)  # access checks and the engine ask through app.auth.deputies


def colleagues(user: User) -> list[User]:
    """Members of the user's teams who can stand in for them."""
    team_ids = user.member_team_ids
    if not team_ids:
        return []
    members = select(Membership.user_id).where(Membership.team_id.in_(team_ids),
                                               Membership.kind == MEMBER)
    return list(db.session.scalars(
        select(User).where(User.id.in_(members), User.id != user.id, User.active.is_(True))
        .order_by(User.display_name)
    ))


def enter_absence(user: User, substitute: User, starts_on: date, ends_on: date, note: str,
                  actor: User) -> Absence:
    absence = Absence(user=user, substitute=substitute, starts_on=starts_on, ends_on=ends_on,
                      note=note, created_by=actor)
    db.session.add(absence)
    db.session.flush()
    return absence


def end_absence(absence: Absence) -> None:
    """End the cover now: from today on the substitute sees nothing more (the row stays as
    the record of who covered whom when)."""
    absence.ends_on = min(absence.ends_on, today() - timedelta(days=1))
    absence.ended_early_at = utcnow()
    db.session.flush()


def absences_of(user: User) -> list[Absence]:
    return list(db.session.scalars(
        select(Absence).where((Absence.user_id == user.id) | (Absence.substitute_id == user.id))
        .order_by(Absence.starts_on.desc())
    ))
