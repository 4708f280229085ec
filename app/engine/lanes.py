"""Lane rules: where the user tasks of a lane go.

A lane names a kind of participant; the rule says which team or person that is for one case.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.auth.models import Team, User
from app.extensions import db

OWNER_TEAM = "owner_team"  # the team that started the case (Fallverantwortung)
TEAM = "team"  # a fixed team, by key (a group task)
USER_FROM_DATA = "user_from_data"  # a user named by a field of the case data
STARTER = "starter"  # the person who started the case
OWNER_TEAM_LEADS = "owner_team_leads"  # the leads (Leitung) of the owner team, as a group

LANE_RULES: dict[str, tuple[str, str | None]] = {
    "Fachbereich": (OWNER_TEAM, None),
    "Koordinierungsstelle": (TEAM, "k201"),
    "Alltagsbegleitung": (USER_FROM_DATA, "ehrenamtliche"),
    "MBE": (STARTER, None),
    "Erfassung": (STARTER, None),  # quick capture: the person recording (beratungskontakt)
    "Leitung": (OWNER_TEAM_LEADS, None),
}

# What a participant reached only through a USER_FROM_DATA lane (a volunteer) may see of the
# case file. Everything else (internal notes, assessments) stays with the professionals.
LIMITED_FIELDS = {
    "zielgruppe", "familienname", "vornamen", "anschrift", "sprachen", "kinder_anzahl",
    "ziele", "ehrenamtliche", "stunden_pro_woche", "beginn", "ende", "datum",
}


@dataclass
class Route:
    team: Team | None = None
    user: User | None = None
    for_leads: bool = False


class RoutingError(Exception):
    pass


def route(lane: str | None, instance) -> Route:
    """Resolve a lane to a candidate team or an assignee for one case (a ProcessInstance)."""
    kind, arg = LANE_RULES.get(lane or "", (OWNER_TEAM, None))
    data = instance.data or {}
    if kind == OWNER_TEAM:
        return Route(team=instance.owner_team)
    if kind == OWNER_TEAM_LEADS:
        return Route(team=instance.owner_team, for_leads=True)
    if kind == TEAM:
        team = db.session.scalar(select(Team).where(Team.key == arg))
        if team is None:
            raise RoutingError(f"Team „{arg}“ für die Bahn „{lane}“ ist nicht eingerichtet.")
        return Route(team=team)
    if kind == USER_FROM_DATA:
        username = data.get(arg or "")
        user = db.session.scalar(select(User).where(User.username == username)) if username else None
        if user is None:
            raise RoutingError(f"Für die Bahn „{lane}“ ist keine Person festgelegt ({arg}).")
        return Route(user=user)
    return Route(user=instance.responsible or instance.started_by)  # STARTER: until handed over
