"""Demo: two running young adults' cases with a partner invited (jobcenter1, abh1), each with a
plan goal naming them, so their inbox shows a goal on the first login."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app.auth.models import User
from app.demo import demo_cases_loaded
from app.engine.models import RUNNING, ProcessInstance
from app.extensions import db
from app.partners import services
from app.plans import services as plans
from app.timeutil import office_zone

# partner, categories, goal (area, wording, days to the deadline)
DEMO_INVITATIONS = (
    ("jobcenter1", ["stammdaten", "leistungen", "plan", "angebote"],
     ("arbeit", "Förderung der Berufsvorbereitung prüfen und bewilligen", 45)),
    ("abh1", ["stammdaten", "aufenthalt", "plan"],
     ("aufenthalt", "Beschäftigungserlaubnis für das Praktikum erteilen", 30)),
)


def seed_demo(_sender=None, *, instances: list[ProcessInstance], users: dict[str, User], now: datetime,
              **_kw) -> int:
    def user(name: str) -> User | None:
        return users.get(name) or db.session.scalar(select(User).where(User.username == name))

    kim = user("kim1")
    cases = [i for i in instances if services.is_je_case(i) and i.status == RUNNING and (i.data or {}).get("ziele")]
    if kim is None:
        return 0
    done = 0
    for instance, (name, categories, (area, goal, days)) in zip(cases, DEMO_INVITATIONS, strict=False):
        partner = user(name)
        if partner is None or services.consent_gap(instance.data, services.partner_type(partner) or "", categories):
            continue
        deadline = (now + timedelta(days=days)).astimezone(office_zone()).date().isoformat()
        plans.add_goal(instance, kim, {"bereich": area, "ziel": goal, "frist": deadline,
                                       "verantwortlich": partner.display_name}, "In der Fallkonferenz vereinbart")
        services.invite(instance, kim, partner, categories)
        done += 1
    return done


demo_cases_loaded.connect(seed_demo)
