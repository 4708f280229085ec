"""Who keeps and reads the offers catalogue, and who sees the matching of a case (server-side).

The catalogue belongs to the municipal integration management (seed 003): the members and the
leads of teams whose department starts the young adults' process (``OFFER_DEPARTMENTS``; demo:
``kim1``, ``kimleitung``) keep and read the offers of their own organisation. Everyone else —
other FB teams, 201, MBE, volunteers, process owners, administrators, the data protection officer
and partner accounts — gets 403. The matching of a case is shown to the owning team's members and
leads with full access to that case (not to volunteers, partners or other teams).
"""

from __future__ import annotations

from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.models import ROLE_FACHKRAFT, ROLE_LEITUNG, User
from app.engine.models import FULL, ProcessInstance
from app.web.access import roles_required

OFFER_DEPARTMENTS = ("KIM",)
ROLES = (ROLE_FACHKRAFT, ROLE_LEITUNG)
DENIED = _l("Den Angebotskatalog pflegt das Kommunale Integrationsmanagement.")

#: Route decorator (app/web/access.py): the role; ``require_catalogue`` adds the team.
catalogue_required = roles_required(*ROLES, message=DENIED)


def may_use_catalogue(user: User) -> bool:
    if user.organisation_id is None or not user.has_role(*ROLES):
        return False
    return any(m.team.department in OFFER_DEPARTMENTS for m in user.memberships)


def require_catalogue(user: User) -> int:
    """The organisation whose catalogue ``user`` keeps; 403 for everyone else."""
    if user.organisation_id is None or not may_use_catalogue(user):
        abort(403, _("Den Angebotskatalog pflegt das Kommunale Integrationsmanagement."))
    return user.organisation_id


def may_match(user: User, instance: ProcessInstance, level: str | None) -> bool:
    """May ``user`` see (and propose from) the matching offers of ``instance``?"""
    return (level == FULL and instance.owner_team_id is not None
            and instance.owner_team_id in user.team_ids and may_use_catalogue(user))
