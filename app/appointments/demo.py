"""Invented appointments for the demo cases (called by the demo loader with the cases it made)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta

from app.appointments import services
from app.appointments.models import Appointment
from app.auth.models import User
from app.engine.models import RUNNING, ProcessInstance
from app.timeutil import aware, office_zone

# (days from now, office time, hours, kind, place); invented places only.
PLAN = (
    (1, time(10, 0), 1, "vorgespraech", "Stadtteilbüro Nord, Raum 2"),
    (3, time(14, 30), 1, "zwischengespraech", "Koordinierungsstelle 201, Besprechungsraum"),
    (-6, time(9, 0), 1, "hausbesuch", "Hausbesuch bei der Familie"),
    (8, time(11, 0), 2, "begleitung", "Bürgerbüro Mitte"),
    (2, time(15, 0), 1, "ueberpruefung", "Beratungsstelle, Zimmer 4"),
)


def seed_demo(instances: Iterable[ProcessInstance], users: Mapping[str, User] | Iterable[User],
              now: datetime) -> list[Appointment]:
    """A few appointments on running demo cases, with participants drawn from each case's
    participants (one cancelled, one in the past). Idempotent per case: a case that has
    appointments already gets none. Returns the appointments made."""
    known = {u.id for u in (users.values() if isinstance(users, Mapping) else users)}
    made: list[Appointment] = []
    today = aware(now).astimezone(office_zone()).date()
    running = [i for i in instances if i.status == RUNNING]
    for instance, (days, at, hours, kind, place) in zip(running, PLAN, strict=False):
        if services.case_appointments(instance, instance.started_by, "full"):
            continue
        people = [u for u in services.case_people(instance) if not known or u.id in known]
        if not people:
            continue
        if kind not in _kinds_for(instance):
            kind = "termin"
        starts = services.at_office_time(today + timedelta(days=days), at)
        actor = instance.started_by if instance.started_by in people else people[0]
        chosen = [actor, *[u for u in people if u is not actor][:2]]
        made.append(services.book(instance, actor, kind=kind, starts_at=starts,
                                  ends_at=starts + timedelta(hours=hours), place=place, participants=chosen))
    if len(made) >= 4:
        services.cancel(made[3], made[3].created_by)
    return made


def _kinds_for(instance: ProcessInstance) -> set[str]:
    key = instance.version.model.key
    step_kinds = {o.kind for o in services.STEP_OFFERS if o.process == key}
    return step_kinds | {"termin", "hausbesuch", "begleitung", "beratung", "fallkonferenz"}
