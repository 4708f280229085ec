"""Which parts of the case a task page shows, by process and BPMN task id (data, not code).

Each section is built from what the reader may see of the case (``visible_data``: a volunteer
gets only the limited fields of the process), so a section never shows more than the case view.
Add a step by adding a line to ``SECTIONS``; add a kind of section with a builder in ``BUILDERS``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import func, select

from app.auth.access import works_in_cover
from app.auth.models import User
from app.cases.services import cover_contact, field_labels, visible_data
from app.engine.models import CaseEvent, ProcessInstance, Task
from app.extensions import db
from app.offers.routes import task_matches
from app.volunteers.models import RETURNED, CaseMessage, ExpenseEntry
from forms import junge_erwachsene as je

AB, MBE, JE = "alltagsbegleitung", "mbe_beratung", "junge_erwachsene"

#: (process key, BPMN task id) → the sections of its task page, in order.
SECTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    (AB, "vermittlung"): ("bedarf", "familie", "ziele"),
    (AB, "vorgespraech"): ("ziele", "ehrenamt"),
    (AB, "zwischengespraech"): ("rueckmeldungen",),
    (AB, "rueckmeldung"): ("ziele",),  # the volunteer's report: what the assignment works towards
    (AB, "abschluss"): ("einsatz", "ziele"),
    (MBE, "ueberpruefung"): ("ziele",),
    (MBE, "abschluss"): ("ziele",),
    # Junge Erwachsene: strengths first; the plan and the offers at the review and the closing
    (JE, "faehigkeiten"): ("lage",),
    (JE, "fallkonferenz"): ("lage", "staerken"),
    (JE, "integrationsplan"): ("staerken", "zustaendigkeiten"),
    (JE, "angebote"): ("staerken", "ziele", "katalog"),
    (JE, "ueberpruefung"): ("lage", "ziele", "angebote", "katalog"),
    (JE, "abschluss"): ("ziele", "angebote"),
}

FAMILY_FIELDS = ("familienname", "vornamen", "zielgruppe", "anschrift", "sprachen", "kinder_anzahl")
ASSIGNMENT_FIELDS = ("ehrenamtliche", "stunden_pro_woche", "beginn", "ende")


def _need(instance: ProcessInstance, data: dict, user: User) -> dict | None:
    return {"bedarf": data["bedarf"]} if data.get("bedarf") else None


def _family(instance: ProcessInstance, data: dict, user: User) -> dict | None:
    shown = {k: data[k] for k in FAMILY_FIELDS if data.get(k) not in (None, "")}
    return shown or None


def _goals(instance: ProcessInstance, data: dict, user: User) -> dict | None:
    goals = [g for g in data.get("ziele") or [] if isinstance(g, dict)]
    key = instance.version.model.key
    return {"ziele": goals, "mbe": key in (MBE, JE), "je": key == JE} if goals else None


def _situation(instance: ProcessInstance, data: dict, user: User) -> dict | None:
    if not data.get("aufenthaltsstatus"):
        return None
    offices, statuses, systems = dict(je.STELLENARTEN), dict(je.AUFENTHALTSSTATUS), dict(je.LEISTUNGSSYSTEME)
    status, system = data["aufenthaltsstatus"], data.get("leistungssystem") or ""
    return {"aufenthaltsstatus": str(statuses.get(status, status)),
            "aufenthalt_paragraph": data.get("aufenthalt_paragraph") or "",
            "leistungssystem": str(systems.get(system, system)),
            "stellen": [{**s, "art": str(offices.get(str(s.get("art")), s.get("art")))}
                        for s in data.get("stellen") or [] if isinstance(s, dict)]}


def _strengths(instance: ProcessInstance, data: dict, user: User) -> dict | None:
    shown = {k: data[k] for k in ("staerken", "sprachkenntnisse", "interessen", "bedarfe") if data.get(k)}
    return shown or None


def _responsibilities(instance: ProcessInstance, data: dict, user: User) -> dict | None:
    rows = [r for r in data.get("zustaendigkeiten") or [] if isinstance(r, dict)]
    return {"zustaendigkeiten": rows} if rows else None


def _offers(instance: ProcessInstance, data: dict, user: User) -> dict | None:
    kinds, states = dict(je.ANGEBOTSARTEN), dict(je.ANGEBOTSSTATUS)
    rows = [{**r, "art": str(kinds.get(str(r.get("art")), r.get("art"))),
             "status": str(states.get(str(r.get("status")), r.get("status")))}
            for r in data.get("angebote") or [] if isinstance(r, dict)]
    return {"angebote": rows} if rows else None


def volunteer_of(data: dict) -> User | None:
    username = data.get("ehrenamtliche")
    return db.session.scalar(select(User).where(User.username == username)) if username else None


def _volunteer(instance: ProcessInstance, data: dict, user: User) -> dict | None:
    volunteer = volunteer_of(data)
    if volunteer is None:
        return None
    return {"user": volunteer, "begruendung": data.get("begruendung") or ""}


def _assignment(instance: ProcessInstance, data: dict, user: User) -> dict | None:
    return assignment(instance, data)


def _since_last_talk(instance: ProcessInstance) -> tuple:
    """The moment of the last completed Zwischengespräch (None: since the assignment began)."""
    return db.session.scalar(
        select(func.max(CaseEvent.created_at)).join(Task, CaseEvent.task_id == Task.id)
        .where(CaseEvent.instance_id == instance.id, CaseEvent.kind == "task_completed",
               Task.bpmn_id == "zwischengespraech"))


def _feedback(instance: ProcessInstance, data: dict, user: User) -> dict:
    since = _since_last_talk(instance)
    reports = select(CaseEvent).join(Task, CaseEvent.task_id == Task.id).where(
        CaseEvent.instance_id == instance.id, CaseEvent.kind == "task_completed", Task.bpmn_id == "rueckmeldung")
    messages = select(CaseMessage).where(CaseMessage.instance_id == instance.id)
    if since is not None:
        reports = reports.where(CaseEvent.created_at > since)
        messages = messages.where(CaseMessage.created_at > since)
    return {"since": since, "reports": list(db.session.scalars(reports.order_by(CaseEvent.id))),
            "messages": list(db.session.scalars(messages.order_by(CaseMessage.id)))}


BUILDERS: dict[str, Callable[[ProcessInstance, dict, User], dict | None]] = {
    "bedarf": _need, "familie": _family, "ziele": _goals, "ehrenamt": _volunteer,
    "rueckmeldungen": _feedback, "einsatz": _assignment,
    "lage": _situation, "staerken": _strengths, "zustaendigkeiten": _responsibilities, "angebote": _offers,
    "katalog": task_matches,  # matching offers of the catalogue (app/offers), for the owning team
}


def sections_for(task: Task, user: User, level: str) -> list[tuple[str, dict]]:
    """The context sections of ``task``'s page for ``user`` (name, content), empty ones left out."""
    instance = task.instance
    key = instance.version.model.key
    names = SECTIONS.get((key, task.bpmn_id), ())
    data = visible_data(instance.data, level, key)
    found = []
    for name in names:
        content = BUILDERS[name](instance, data, user)
        if content:
            found.append((name, content))
    shown = {k for _name, content in found for k in content}  # e.g. the family's address
    contact = {k: v for k, v in cover_contact(instance.data).items() if k not in shown}
    if contact and works_in_cover(user, task):
        # the substitute needs the client's contact data for this step (not on the case view)
        labels = field_labels()
        found.append(("kontakt", {"fields": [(labels.get(k, k), v) for k, v in contact.items()]}))
    return found


def recorded_hours(instance_id: int) -> Decimal:
    """Hours the volunteer entered as expenses for the case (returned entries do not count)."""
    total = db.session.scalar(select(func.sum(ExpenseEntry.stunden)).where(
        ExpenseEntry.instance_id == instance_id, ExpenseEntry.status != RETURNED))
    return Decimal(total or 0)


def assignment(instance: ProcessInstance, data: dict) -> dict | None:
    """Volunteer, period and weekly hours of an assignment, with the hours recorded so far."""
    volunteer = volunteer_of(data)
    if volunteer is None and not data.get("beginn"):
        return None
    return {"volunteer": volunteer, "beginn": data.get("beginn"), "ende": data.get("ende"),
            "stunden_pro_woche": data.get("stunden_pro_woche"), "erfasst": recorded_hours(instance.id)}
