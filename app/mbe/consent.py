"""The consent of an MBE client as a scope that binds (issue 14, item 4).

The Erstkontakt records the consent (``einwilligung``, ``einwilligung_datum``,
``einwilligung_umfang``: "speicherung" / "weitergabe" / "kontakt"). Optional keys narrow it:
``einwilligung_partnerarten`` (the partner types sharing is allowed with; absent or empty = every
type) and ``einwilligung_bis`` (ISO date the consent ends). ``einwilligung_widerrufen`` (ISO date)
marks a withdrawn consent. A referral of an MBE case to a partner is allowed only while the consent
covers sharing with that partner's type (checked in ``app.network.services.refer``).
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import inspect, select

from app.cases.consent import Consent, contact_allowed, of, today  # noqa: F401  (the MBE names)
from app.engine.models import CaseEvent, ProcessInstance
from app.erasure.services import CONSENT_WITHDRAWN, erase_case
from app.extensions import db
from app.mbe import clients
from app.mbe.access import is_mbe_case
from app.mbe.models import CaseClient


def referral_refusal(instance: ProcessInstance, partner) -> str | None:
    """Check for ``app.network.services.refer``: the German reason an MBE case may not be brought
    to ``partner``, None when its consent covers it (other processes: always None)."""
    if not is_mbe_case(instance):
        return None
    consent = of(instance.data)
    day = today()
    if consent.withdrawn is not None:
        return _("Die Einwilligung wurde widerrufen: Der Fall darf an keinen Partner weitergegeben werden.")
    if not consent.given:
        return _("Ohne Einwilligung der ratsuchenden Person darf der Fall nicht an Partner weitergegeben werden.")
    if not consent.active_on(day):
        return _("Die Einwilligung ist abgelaufen: Der Fall darf nicht mehr an Partner weitergegeben werden.")
    if not consent.covers_sharing_with(partner.typ, day):
        return _("Die Einwilligung umfasst keine Weitergabe an diese Art von Partner.")
    return None


def withdraw(instance: ProcessInstance, user, day: date, note: str) -> int:
    """The client withdrew the consent on ``day``: the personal data go at once. Every case of
    the client is erased (``app.erasure.services.erase_case`` with the reason "consent withdrawn":
    case data, workflow state, history, drafts, journal texts, documents, appointments, plans …)
    and stays as an anonymous, running case; the client row is deleted; the anonymous statistics
    rows stay. The withdrawal itself is recorded (date, note, who) in the history of ``instance``
    and in the case data of every case, so further referrals are refused. Returns how many cases
    were anonymised. Only flushes."""
    client = clients.client_of(instance)
    cases = [instance]
    if client is not None:
        cases += [e.instance for e in clients.cases_of([client.id]).get(client.id, []) if e.instance.id != instance.id]
    for case in cases:
        erase_case(case, reason=CONSENT_WITHDRAWN, actor=user)
        case.data = {**(case.data or {}), "einwilligung": False, "einwilligung_widerrufen": day.isoformat()}
    if client is not None and not inspect(client).was_deleted and not db.session.scalar(
            select(CaseClient.instance_id).where(CaseClient.client_id == client.id).limit(1)):
        db.session.delete(client)
    db.session.add(CaseEvent(instance_id=instance.id, kind="mbe_consent_withdrawn", title="", actor_id=user.id,
                             data={"widerrufen_am": day.isoformat(), "notiz": note.strip()[:1000]}))
    db.session.flush()
    return len(cases)
