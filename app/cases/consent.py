"""Consent recorded in a case's data: the shape the Erstkontakt of MBE records (and later
processes reuse), read without knowing the process.

``einwilligung`` (given), ``einwilligung_umfang``: "speicherung" / "weitergabe" / "kontakt";
optional ``einwilligung_partnerarten`` (the partner types sharing is allowed with; absent or empty
= every type) and ``einwilligung_bis`` (ISO date the consent ends); ``einwilligung_widerrufen``
(ISO date) marks a withdrawn consent. What binds where: app/mbe/consent.py (referrals) and
``contact_allowed`` below (the contact fields of the case view, ``services.visible_data``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from app.timeutil import office_zone, utcnow


@dataclass(frozen=True)
class Consent:
    given: bool
    processing: bool = False
    sharing: bool = False
    contact: bool = False
    partner_types: frozenset[str] = field(default_factory=frozenset)  # empty: every type
    until: date | None = None
    withdrawn: date | None = None

    def active_on(self, day: date) -> bool:
        return self.given and self.withdrawn is None and (self.until is None or day <= self.until)

    def covers_sharing_with(self, partner_type: str, day: date) -> bool:
        return (self.active_on(day) and self.sharing
                and (not self.partner_types or partner_type in self.partner_types))


def _date(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _set(value) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value}) if value else frozenset()
    return frozenset(str(v) for v in value or ())


def of(data: dict | None) -> Consent:
    """The consent recorded in a case's data (the Erstkontakt's fields)."""
    data = data or {}
    if not data.get("einwilligung"):
        return Consent(given=False, withdrawn=_date(data.get("einwilligung_widerrufen")))
    scope = _set(data.get("einwilligung_umfang"))
    return Consent(given=True, processing="speicherung" in scope, sharing="weitergabe" in scope,
                   contact="kontakt" in scope, partner_types=_set(data.get("einwilligung_partnerarten")),
                   until=_date(data.get("einwilligung_bis")), withdrawn=_date(data.get("einwilligung_widerrufen")))


def today() -> date:
    return utcnow().astimezone(office_zone()).date()


def contact_allowed(data: dict | None, day: date | None = None) -> bool:
    """May the client's contact data (phone, address) be used today? For a case that records a
    consent (MBE), only while it is active and covers "Kontaktaufnahme per Telefon oder Post";
    for case data without a consent record (other processes) the question does not arise."""
    data = data or {}
    if "einwilligung" not in data and "einwilligung_widerrufen" not in data:
        return True
    consent = of(data)
    return consent.contact and consent.active_on(day or today())
