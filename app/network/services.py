"""Partner directory, yearly ratings and referrals. Services flush; the route commits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.engine import events as event_kinds
from app.engine.models import CaseEvent, ProcessInstance
from app.erasure.services import case_erasing
from app.extensions import db
from app.network.models import PARTNER_TYPES, Partner, PartnerContact, PartnerYear, Referral
from app.timeutil import utcnow

event_kinds.register("referral", _l("Partner eingebunden"))  # history entries written below


def partners(organisation_id: int, *, typ: str | None = None, active_only: bool = False) -> list[Partner]:
    query = select(Partner).options(selectinload(Partner.contacts)).where(Partner.organisation_id == organisation_id)
    if typ:
        query = query.where(Partner.typ == typ)
    if active_only:
        query = query.where(Partner.active.is_(True))
    return list(db.session.scalars(query.order_by(Partner.name, Partner.id)))


def get_partner_or_404(organisation_id: int, partner_id: int) -> Partner:
    from flask import abort

    partner = db.session.get(Partner, partner_id)
    if partner is None or partner.organisation_id != organisation_id:
        abort(404)  # another organisation's directory does not exist for this user
    return partner


def save_partner(partner: Partner | None, organisation_id: int, *, name: str, typ: str, anschrift: str | None = "",
                 notiz: str | None = "", intensitaet: int, wichtigkeit: int, kontakte: list[dict] | None = None,
                 year: int | None = None) -> Partner:
    """Create or update a partner; the ratings are also written as the rating of ``year``
    (default: this year). Other years' ratings stay untouched."""
    if typ not in PARTNER_TYPES:
        raise ValueError(typ)
    if partner is None:
        partner = Partner(organisation_id=organisation_id)
        db.session.add(partner)
    partner.name, partner.typ = name.strip(), typ
    partner.anschrift, partner.notiz = (anschrift or "").strip(), (notiz or "").strip()
    partner.intensitaet, partner.wichtigkeit = int(intensitaet), int(wichtigkeit)
    if kontakte is not None:
        partner.contacts.clear()
        for c in kontakte:
            if (c.get("name") or "").strip():
                partner.contacts.append(PartnerContact(
                    name=c["name"].strip(), funktion=(c.get("funktion") or "").strip(),
                    telefon=(c.get("telefon") or "").strip(), email=(c.get("email") or "").strip()))
    db.session.flush()
    rate_year(partner, year or date.today().year)
    return partner


def set_active(partner: Partner, active: bool) -> bool:
    """Deactivate or reactivate a partner; returns whether anything changed. An inactive partner
    is no longer offered for new referrals (nor suggested for MBE goals, nor carried over into a
    new year's map); its past referrals and past maps stay as they are."""
    if partner.active is active:
        return False
    partner.active = active
    db.session.flush()
    return True


def rate_year(partner: Partner, year: int) -> PartnerYear:
    row = db.session.scalar(select(PartnerYear).where(PartnerYear.partner_id == partner.id, PartnerYear.jahr == year))
    if row is None:
        row = PartnerYear(partner_id=partner.id, organisation_id=partner.organisation_id, jahr=year)
        db.session.add(row)
    row.name, row.typ = partner.name, partner.typ
    row.intensitaet, row.wichtigkeit = partner.intensitaet, partner.wichtigkeit
    row.updated_at = utcnow()
    db.session.flush()
    return row


def carry_over(organisation_id: int, year: int) -> int:
    """Rate every active partner without a rating in ``year`` with its current rating (the yearly
    update of the map starts from last year's picture). Returns how many were added."""
    rated = select(PartnerYear.partner_id).where(PartnerYear.organisation_id == organisation_id,
                                                 PartnerYear.jahr == year)
    todo = db.session.scalars(select(Partner).where(Partner.organisation_id == organisation_id,
                                                    Partner.active.is_(True), Partner.id.not_in(rated)))
    count = 0
    for partner in todo:
        rate_year(partner, year)
        count += 1
    return count


def year_rows(organisation_id: int, year: int) -> list[PartnerYear]:
    return list(db.session.scalars(
        select(PartnerYear).where(PartnerYear.organisation_id == organisation_id, PartnerYear.jahr == year)
        .order_by(PartnerYear.typ, PartnerYear.name, PartnerYear.id)
    ))


def years(organisation_id: int) -> list[int]:
    rows = db.session.scalars(select(PartnerYear.jahr).where(PartnerYear.organisation_id == organisation_id)
                              .group_by(PartnerYear.jahr))
    return sorted({*rows, date.today().year}, reverse=True)


class ReferralRefused(ValueError):
    """A referral the case's consent does not cover; ``str(error)`` is the German message."""


ReferralCheck = Callable[[ProcessInstance, Partner], "str | None"]
_referral_checks: list[ReferralCheck] = []


def register_referral_check(check: ReferralCheck) -> None:
    """Features that guard referrals (MBE consent) register a check returning a German refusal
    message, or None when the referral is allowed. Idempotent."""
    if check not in _referral_checks:
        _referral_checks.append(check)


def refusal(instance: ProcessInstance, partner: Partner) -> str | None:
    """Why ``instance`` may not be brought to ``partner``; None if it may."""
    for check in _referral_checks:
        reason = check(instance, partner)
        if reason:
            return reason
    return None


def refer(instance: ProcessInstance, partner: Partner, user: User, anlass: str | None) -> Referral:
    """Record that the case was brought to ``partner``; it also goes into the case history.
    Every referral passes here: raises ``ReferralRefused`` (nothing written) when a registered
    check (e.g. the MBE client's consent) does not cover it."""
    reason = refusal(instance, partner)
    if reason:
        raise ReferralRefused(reason)
    referral = Referral(instance_id=instance.id, partner_id=partner.id, anlass=(anlass or "").strip(),
                        created_by_id=user.id)
    db.session.add(referral)
    db.session.add(CaseEvent(instance_id=instance.id, kind="referral", title=partner.name, actor_id=user.id,
                             data={"partner": partner.name, "anlass": referral.anlass}))
    db.session.flush()
    return referral


def refer_named_partners(instance: ProcessInstance, user: User, goals: list) -> list[Referral]:
    """Goals (MBE Förderplan) name their responsible partner in free text; a name that is an
    active partner of ``user``'s organisation's directory (compared without case and outer
    spaces) becomes a referral of the case — once per partner and case, however many goals or
    reviews name it. Other names stay free text only, as do partners the case's consent does not
    cover (no referral, nothing shared)."""
    if user.organisation_id is None:
        return []
    wanted: dict[str, dict] = {}
    for goal in goals or []:
        name = str(goal.get("partner") or "").strip() if isinstance(goal, dict) else ""
        if name:
            wanted.setdefault(name.casefold(), goal)
    if not wanted:
        return []
    directory = db.session.scalars(select(Partner).where(Partner.organisation_id == user.organisation_id,
                                                         Partner.active.is_(True)).order_by(Partner.id))
    known = set(db.session.scalars(select(Referral.partner_id).where(Referral.instance_id == instance.id)))
    created = []
    for partner in directory:
        goal = wanted.get(partner.name.strip().casefold())
        if goal is None or partner.id in known or refusal(instance, partner):
            continue
        known.add(partner.id)
        anlass = f"Förderziel: {str(goal.get('ziel') or '').strip()}"[:1000]
        created.append(refer(instance, partner, user, anlass))
    return created


def referrals(instance_id: int) -> list[Referral]:
    return list(db.session.scalars(
        select(Referral).options(selectinload(Referral.partner), selectinload(Referral.created_by))
        .where(Referral.instance_id == instance_id).order_by(Referral.created_at, Referral.id)
    ))


def referral_counts(organisation_id: int) -> dict[int, int]:
    rows = db.session.execute(
        select(Referral.partner_id, func.count(Referral.id)).join(Partner, Partner.id == Referral.partner_id)
        .where(Partner.organisation_id == organisation_id).group_by(Referral.partner_id))
    return dict(rows.all())


@case_erasing.connect
def _erase_referrals(instance: ProcessInstance, **_kw) -> dict[str, int]:
    """Erasure of the case's personal data (app/erasure): the occasion written with each referral
    goes; that the case was referred to a partner, and when, stays (network statistics)."""
    count = 0
    for referral in db.session.scalars(select(Referral).where(Referral.instance_id == instance.id)):
        if referral.anlass:
            referral.anlass = ""
            count += 1
    db.session.flush()
    return {"verweisungen": count}
