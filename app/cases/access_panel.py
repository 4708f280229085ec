"""The case panel "Zugriffe auf diese Akte": the latest reads of this case from the access log,
for the people responsible for it (issue 14, item 1: "the responsible counsellor sees the log of
their own case"). Showing the panel writes no log row: the case view's own row covers the visit.
"""

from __future__ import annotations

from app.accesslog import search
from app.auth.models import User
from app.cases.services import HISTORY, CasePanel, case_panels
from app.engine.models import FULL, ProcessInstance

SHOWN = 20


def is_responsible(user: User, instance: ProcessInstance) -> bool:
    """The case's responsible person (the starter until a handover; the MBE counsellor), the
    leads of the owning team, and — unless the case is confidential (MBE) — its members.
    Volunteers and substitutes are not responsible (they work on, not for, the case)."""
    if user.id == (instance.responsible_id or instance.started_by_id):
        return True
    team = instance.owner_team_id
    if team is None:
        return False
    if team in user.lead_team_ids:
        return True
    return team in user.member_team_ids and not instance.version.model.confidential


@case_panels.connect
def _access_panel(instance: ProcessInstance, user=None, level=None, **_kw) -> CasePanel | None:
    if user is None or level != FULL or not is_responsible(user, instance):
        return None
    return CasePanel("accesslog/_case_panel.html", HISTORY, 90, {
        "rows": search.latest_for_case(instance.id, SHOWN), "shown": SHOWN,
        "action_label": search.action_label, "object_label": search.object_label, "via_label": search.via_label,
    })
