"""Who may export what (checked on the server, per object).

- **An MBE client**: the counsellor responsible for the client (of each running case of the
  client; without a running case, of the newest case) and the leads of the client's MBE team or of
  a team owning one of the client's cases. Another MBE staff member who may see the client (e.g.
  the counsellor of an earlier case) gets 403; everyone else — colleagues, substitutes, other
  services, the data protection officer, administrators — does not see the client (404). The
  export holds every case of the client, also one a colleague is responsible for: the answer to
  the person is the service's, not one counsellor's.
- **A case without a client record**: members and leads of the case-owning team who read the case
  with full access (not a volunteer, not a substitute standing in for an absent colleague: 403);
  anyone who may not see the case: 404.
"""

from __future__ import annotations

from enum import Enum

from app.auth.access import data_level
from app.auth.models import User
from app.engine.models import FULL, ProcessInstance
from app.mbe import clients
from app.mbe.access import lead_teams, responsible_of
from app.mbe.models import Client


class Right(Enum):
    ALLOWED = "allowed"
    FORBIDDEN = "forbidden"  # sees the person or case, may not export: 403
    HIDDEN = "hidden"  # may not see it at all: 404


def client_right(user: User, client: Client | None) -> Right:
    """May ``user`` export everything held about ``client``?"""
    if client is None or not user.is_authenticated or client.organisation_id != user.organisation_id:
        return Right.HIDDEN
    cases = clients.cases_of([client.id]).get(client.id, [])
    led = {t.id for t in lead_teams(user)}
    if client.team_id in led or any(e.instance.owner_team_id in led for e in cases):
        return Right.ALLOWED
    running = [e for e in cases if e.instance.ended_at is None]
    responsible = {responsible_of(e.instance).id for e in (running or cases[:1])}
    if user.id in responsible:
        return Right.ALLOWED
    if clients.sees_client(user, client, cases, led):
        return Right.FORBIDDEN
    return Right.HIDDEN


def case_right(user: User, instance: ProcessInstance | None) -> Right:
    """May ``user`` export ``instance`` (a case without a client record) on its own?"""
    if instance is None or not user.is_authenticated:
        return Right.HIDDEN
    level = data_level(user, instance)
    if level is None:
        return Right.HIDDEN
    owning = instance.owner_team_id is not None and instance.owner_team_id in user.team_ids
    return Right.ALLOWED if level == FULL and owning else Right.FORBIDDEN
