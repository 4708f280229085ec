"""Who in the MBE service may do what (checked on the server, per request and object)."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from app.auth.models import LEAD, MEMBER, ROLE_MBE, Membership, Team, User
from app.engine.models import ProcessInstance
from app.extensions import db

MBE_DEPARTMENT = "MBE"
PROCESS_KEY = "mbe_beratung"


def _teams(user: User, kind: str) -> list[Team]:
    return list(db.session.scalars(
        select(Team).join(Membership, Membership.team_id == Team.id)
        .where(Membership.user_id == user.id, Membership.kind == kind,
               Team.department == MBE_DEPARTMENT).order_by(Team.id)
    ))


def counsellor_teams(user: User) -> list[Team]:
    """MBE teams in which ``user`` works as a counsellor."""
    return _teams(user, MEMBER) if user.has_role(ROLE_MBE) else []


def lead_teams(user: User) -> list[Team]:
    """MBE teams that ``user`` leads."""
    return _teams(user, LEAD)


def is_mbe_staff(user: User) -> bool:
    return bool(counsellor_teams(user) or lead_teams(user))


def require_staff(user: User) -> None:
    """404 for everyone outside the MBE service: the pages do not exist for them."""
    if not user.is_authenticated or not is_mbe_staff(user):
        abort(404)


def require_lead(user: User) -> list[Team]:
    teams = lead_teams(user) if user.is_authenticated else []
    if not teams:
        abort(404)
    return teams


def counsellors(team: Team) -> list[User]:
    """Active counsellors of ``team`` (members holding the MBE role)."""
    users = db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == team.id, Membership.kind == MEMBER, User.active.is_(True))
        .order_by(User.display_name)
    )
    return [u for u in users if u.has_role(ROLE_MBE)]


def is_mbe_case(instance: ProcessInstance) -> bool:
    return instance.version.model.key == PROCESS_KEY


def responsible_of(instance: ProcessInstance) -> User:
    return instance.responsible or instance.started_by
