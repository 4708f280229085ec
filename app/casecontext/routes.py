"""The assignment facts in the case header (a case-view panel)."""

from __future__ import annotations

from app.casecontext.sections import AB, assignment
from app.cases.services import HEADER, CasePanel, case_panels, visible_data


@case_panels.connect
def _assignment_header(instance, user=None, level=None, **_kwargs) -> CasePanel | None:
    """Volunteer, Einsatz from–to, hours per week and hours recorded, once a volunteer is chosen."""
    key = instance.version.model.key
    if key != AB:
        return None
    facts = assignment(instance, visible_data(instance.data, level, key))
    return CasePanel("casecontext/_header.html", HEADER, 10, facts) if facts else None
