"""Who sees the alliance figures: the teams that run the young adults' case management.

The figures are anonymous and masked, but they are the team's own reporting to the alliance
(Bündniskerngruppe), so they are shown to the people of the teams that may start the process
``junge_erwachsene`` (its start departments; demo: team KIM) — the leads (``kimleitung``) and
the case managers holding the process's start role (``kim1``) — over the cases of exactly those
teams. Leads of other teams, MBE, process owners, the data protection officer, administrators and
partner accounts do not see them: the alliance receives the figures from the team (CSV export).
"""

from __future__ import annotations

from sqlalchemy import select

from app.auth.models import LEAD, MEMBER, Membership, Team, User
from app.engine.models import ProcessModel
from app.extensions import db

PROCESS_KEY = "junge_erwachsene"


def figure_teams(user: User) -> list[Team]:
    """The teams whose figures ``user`` may see (empty: none)."""
    if not getattr(user, "is_authenticated", False):
        return []
    model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == PROCESS_KEY))
    if model is None or not model.departments:
        return []
    kinds = [LEAD, MEMBER] if model.start_role and user.has_role(model.start_role) else [LEAD]
    return list(db.session.scalars(
        select(Team).join(Membership, Membership.team_id == Team.id)
        .where(Membership.user_id == user.id, Membership.kind.in_(kinds), Team.department.in_(model.departments))
        .order_by(Team.id)))


def may_see(user: User) -> bool:
    return bool(figure_teams(user))
