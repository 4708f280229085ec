"""The gap report ("Förderlücken", seed 003): needs that no accessible offer covers.

For each running young adults' case of the organisation, each need (an open goal area of the
integration plan, see ``matching.NEED_KINDS``) is a gap when no active offer of the catalogue of
a fitting kind is accessible to the person and available (target conditions, dates, places).
The report counts people per residence status and need — counts of 1 and 2 are shown as "< 3",
no names — and lists, for the reader, only the affected cases they work on with full access.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.access import full_instance_ids
from app.auth.models import Team, User
from app.cases.services import counted_cases
from app.engine.models import RUNNING, ProcessInstance, ProcessModel, ProcessVersion
from app.extensions import db
from app.offers.matching import NEED_KINDS, catalogue, covers, exclusions, office_today, person_of
from forms.junge_erwachsene import AUFENTHALTSSTATUS, ZIELBEREICHE

PROCESS_KEY = "junge_erwachsene"
MASK_BELOW = 3
UNKNOWN = ""  # residence status not recorded yet


def masked(count: int) -> str:
    """A count as shown: "< 3" for 1 and 2 (a person could be recognised), else the number."""
    return "< 3" if 0 < count < MASK_BELOW else str(count)


@dataclass
class CaseGap:
    instance: ProcessInstance
    status: str
    need: str
    reasons: list[str]  # per offer of a fitting kind: "title: why not"; empty: no such offer


@dataclass
class GapReport:
    today: datetime.date
    cases: int  # running cases considered
    cells: Counter = field(default_factory=Counter)  # (status, need) -> people
    own: list[CaseGap] = field(default_factory=list)

    def rows(self) -> list[tuple[str, str, int]]:
        order_s = [k for k, _ in AUFENTHALTSSTATUS] + [UNKNOWN]
        order_n = [k for k, _ in ZIELBEREICHE]
        return sorted(((s, n, c) for (s, n), c in self.cells.items()),
                      key=lambda r: (order_s.index(r[0]) if r[0] in order_s else 99,
                                     order_n.index(r[1]) if r[1] in order_n else 99))


def running_cases(organisation_id: int) -> list[ProcessInstance]:
    teams = select(Team.id).where(Team.organisation_id == organisation_id)
    return list(db.session.scalars(
        select(ProcessInstance).join(ProcessVersion, ProcessInstance.version_id == ProcessVersion.id)
        .join(ProcessModel, ProcessVersion.model_id == ProcessModel.id)
        .where(ProcessModel.key == PROCESS_KEY, ProcessInstance.status == RUNNING,
               ProcessInstance.owner_team_id.in_(teams), *counted_cases())
        .options(selectinload(ProcessInstance.owner_team)).order_by(ProcessInstance.id)))


def report(organisation_id: int, user: User, today: datetime.date | None = None) -> GapReport:
    today = today or office_today()
    offers = catalogue(organisation_id)
    cases = running_cases(organisation_id)
    own_ids = set(db.session.scalars(full_instance_ids(user))) if cases else set()
    result = GapReport(today=today, cases=len(cases))
    for instance in cases:
        person = person_of(instance.data or {}, today)
        status = person.aufenthaltsstatus or UNKNOWN
        for need in person.bedarfe:
            if any(covers(offer, person, need, today) for offer in offers):
                continue
            result.cells[(status, need)] += 1
            if instance.id in own_ids:
                reasons = [f"{offer.titel}: {', '.join(exclusions(offer, person, today))}"
                           for offer in offers if offer.art in NEED_KINDS[need]]
                result.own.append(CaseGap(instance, status, need, reasons))
    return result
