"""Keeping the catalogue and proposing an offer into a case. Services flush; the edge commits.

Proposing never writes the case data: it records the case event ``angebot_vorgeschlagen`` (the
history names the offer) and, when the case's offers step or review is open, adds the offer as
a "vorgeschlagen" entry to that task's draft — the form shows it prefilled, and it reaches the
case only when the case manager completes the task (through the engine, like every entry).
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.engine import events, service
from app.engine.models import ACTIVE_TASK_STATES, BPMN_TASK, RUNNING, CaseEvent, ProcessInstance, Task
from app.extensions import db
from app.network.models import Partner
from app.offers import matching
from app.offers.models import Offer
from app.timeutil import utcnow

PROPOSED = "angebot_vorgeschlagen"
#: The steps whose form lists the case's offers (forms/junge_erwachsene.py, field ``angebote``).
OFFER_FORMS = ("junge_erwachsene.angebote", "junge_erwachsene.ueberpruefung")
FIELDS = ("titel", "art", "beschreibung", "alter_min", "alter_max", "aufenthaltsstatus", "leistungssysteme",
          "sprachniveau_min", "plaetze", "plaetze_belegt", "beginn", "ende", "active")

events.register(PROPOSED, _l("Angebot aus dem Katalog vorgeschlagen"))


def offers(organisation_id: int, *, art: str | None = None, status: str | None = None,
           provider_id: int | None = None, active: bool | None = None) -> list[Offer]:
    """The organisation's offers, filtered: kind, an admitted residence status (offers open to
    every status included), provider, active or not."""
    query = select(Offer).options(selectinload(Offer.provider)).where(Offer.organisation_id == organisation_id)
    if art:
        query = query.where(Offer.art == art)
    if provider_id:
        query = query.where(Offer.provider_id == provider_id)
    if active is not None:
        query = query.where(Offer.active.is_(active))
    found = list(db.session.scalars(query.order_by(Offer.titel, Offer.id)))
    if status:  # a JSON list: filtered here (a catalogue holds tens of offers, not thousands)
        found = [o for o in found if not o.aufenthaltsstatus or status in o.aufenthaltsstatus]
    return found


def get_offer_or_404(organisation_id: int, offer_id: int) -> Offer:
    offer = db.session.get(Offer, offer_id)
    if offer is None or offer.organisation_id != organisation_id:
        abort(404)  # another organisation's catalogue does not exist for this user
    return offer


def providers(organisation_id: int, keep: int | None = None) -> list[Partner]:
    """Partners of the organisation's directory that may provide offers (active, or ``keep``)."""
    query = select(Partner).where(Partner.organisation_id == organisation_id)
    query = query.where(Partner.active.is_(True) | (Partner.id == keep)) if keep else \
        query.where(Partner.active.is_(True))
    return list(db.session.scalars(query.order_by(Partner.name, Partner.id)))


def save_offer(offer: Offer | None, organisation_id: int, provider: Partner, values: dict[str, Any]) -> Offer:
    """Create or update an offer from validated values (the form's data)."""
    if provider.organisation_id != organisation_id:
        raise ValueError("provider of another organisation")
    if offer is None:
        offer = Offer(organisation_id=organisation_id)
        db.session.add(offer)
    for name in FIELDS:
        if name in values:
            setattr(offer, name, values[name])
    offer.titel = (offer.titel or "").strip()
    offer.beschreibung = (offer.beschreibung or "").strip()
    offer.aufenthaltsstatus = list(offer.aufenthaltsstatus or [])
    offer.leistungssysteme = list(offer.leistungssysteme or [])
    offer.sprachniveau_min = offer.sprachniveau_min or None
    offer.plaetze_belegt = offer.plaetze_belegt or 0
    offer.provider_id = provider.id
    offer.updated_at = utcnow()
    db.session.flush()
    return offer


def set_active(offer: Offer, active: bool) -> bool:
    if offer.active is active:
        return False
    offer.active = active
    offer.updated_at = utcnow()
    db.session.flush()
    return True


def proposals(instance_id: int) -> dict[int, CaseEvent]:
    """The catalogue offers proposed into a case: offer id -> the (latest) event."""
    found: dict[int, CaseEvent] = {}
    for event in db.session.scalars(select(CaseEvent).where(
            CaseEvent.instance_id == instance_id, CaseEvent.kind == PROPOSED).order_by(CaseEvent.id)):
        offer_id = (event.data or {}).get("offer_id")
        if isinstance(offer_id, int):
            found[offer_id] = event
    return found


def offer_entry(offer: Offer) -> dict[str, Any]:
    """The offer as an entry of the case's offers list (forms/junge_erwachsene.py AngebotForm)."""
    entry = {"art": offer.art, "bezeichnung": offer.titel[:200], "traeger": offer.provider.name[:200],
             "status": "vorgeschlagen"}
    if offer.beginn is not None:
        entry["datum"] = offer.beginn.isoformat()
    return entry


def open_offer_task(instance: ProcessInstance) -> Task | None:
    return db.session.scalar(select(Task).where(
        Task.instance_id == instance.id, Task.kind == BPMN_TASK, Task.status.in_(ACTIVE_TASK_STATES),
        Task.form_key.in_(OFFER_FORMS)).order_by(Task.id).limit(1))


class ProposalRefused(Exception):
    """The offer cannot be proposed into this case (German message)."""


def propose(instance: ProcessInstance, offer: Offer, user: User) -> Task | None:
    """Propose ``offer`` into the case; returns the open task whose form now lists it (or None)."""
    if instance.status != RUNNING:
        raise ProposalRefused(_l("Der Fall ist abgeschlossen; es können keine Angebote mehr vorgeschlagen werden."))
    if not offer.active:
        raise ProposalRefused(_l("Dieses Angebot ist nicht mehr aktiv."))
    if offer.id in proposals(instance.id):
        raise ProposalRefused(_l("Dieses Angebot wurde dem Fall bereits vorgeschlagen."))
    today = matching.office_today()
    reasons = matching.exclusions(offer, matching.person_of(instance.data or {}, today), today)
    if reasons:
        raise ProposalRefused(_l("Dieses Angebot passt nicht: %(gruende)s.", gruende="; ".join(reasons)))
    entry = offer_entry(offer)
    task = open_offer_task(instance)
    service.record(instance, PROPOSED, offer.titel[:200], user,
                   {"offer_id": offer.id, "titel": offer.titel, "art": offer.art, "traeger": offer.provider.name,
                    "beginn": entry.get("datum"), "aufgabe": task.id if task is not None else None})
    if task is not None:
        draft = dict(task.draft or {})
        current = draft.get("angebote")
        if not isinstance(current, list):
            current = (instance.data or {}).get("angebote") or []
        draft["angebote"] = [*[dict(e) for e in current if isinstance(e, dict)], entry]
        task.draft = draft
    db.session.flush()
    return task
