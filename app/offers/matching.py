"""Matching offers for a young adult's case: which offers of the catalogue the person may take
up, ranked by fit with reasons, and which are excluded, each with its German reason.

The person is read from the case file as the young adults' forms wrote it: age from
``geburtsdatum`` on the office's today, ``aufenthaltsstatus``, ``leistungssystem``, the German
level from ``sprachkenntnisse`` (entries whose ``sprache`` is Deutsch; "Muttersprache" counts
above C2) and the needs from the open goals of the integration plan (``ziele``: their
``bereich``). An offer is *accessible* when every target condition admits the person; it is
*available* when it is also not over and has a free place. Only available offers match.

Ranking (higher first): fit with the plan's open goal areas (the strongest reason), then free
places, then an early start; ties by start date and title.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.offers.models import LEVELS, Offer
from app.timeutil import office_zone, utcnow
from forms.junge_erwachsene import AUFENTHALTSSTATUS, LEISTUNGSSYSTEME, ZIELBEREICHE, age_on

#: Which kinds of offer serve which goal area of the integration plan (a need).
NEED_KINDS: dict[str, tuple[str, ...]] = {
    "sprache": ("sprachkurs",),
    "schule": ("schule",),
    "ausbildung": ("ausbildung", "berufsvorbereitung"),
    "arbeit": ("beschaeftigung", "berufsvorbereitung"),
    "aufenthalt": ("beratung",),
    "leistungen": ("beratung",),
    "wohnen": ("beratung",),
    "gesundheit": ("beratung",),
    "teilhabe": ("beratung",),
}
OPEN_GOAL_STATES = (None, "", "offen", "teilweise", "nicht_erreicht", "angepasst")
NATIVE = "muttersprache"


def office_today() -> datetime.date:
    return utcnow().astimezone(office_zone()).date()


@dataclass(frozen=True)
class Person:
    """What matching reads of a case (no names)."""

    alter: int | None
    aufenthaltsstatus: str | None
    leistungssystem: str | None
    deutsch: int | None  # index into LEVELS (len(LEVELS) for a native speaker); None: not recorded
    bedarfe: tuple[str, ...]  # open goal areas of the plan, in plan order


def _date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def german_level(data: dict) -> int | None:
    best = None
    for entry in data.get("sprachkenntnisse") or []:
        if not isinstance(entry, dict) or str(entry.get("sprache") or "").strip().casefold() != "deutsch":
            continue
        niveau = str(entry.get("niveau") or "")
        rank = len(LEVELS) if niveau == NATIVE else (LEVELS.index(niveau) if niveau in LEVELS else None)
        if rank is not None and (best is None or rank > best):
            best = rank
    return best


def needs_of(data: dict) -> tuple[str, ...]:
    areas: list[str] = []
    for goal in data.get("ziele") or []:
        if isinstance(goal, dict) and goal.get("status") in OPEN_GOAL_STATES:
            area = str(goal.get("bereich") or "")
            if area in NEED_KINDS and area not in areas:
                areas.append(area)
    return tuple(areas)


def person_of(data: dict, today: datetime.date) -> Person:
    born = _date(data.get("geburtsdatum"))
    return Person(alter=age_on(born, today) if born else None,
                  aufenthaltsstatus=data.get("aufenthaltsstatus") or None,
                  leistungssystem=data.get("leistungssystem") or None,
                  deutsch=german_level(data), bedarfe=needs_of(data))


def exclusions(offer: Offer, person: Person, today: datetime.date, *, availability: bool = True) -> list[str]:
    """Why ``person`` cannot take up ``offer`` (empty: they can). Target conditions first; with
    ``availability`` also the offer's dates and places."""
    reasons = []
    statuses, systems = dict(AUFENTHALTSSTATUS), dict(LEISTUNGSSYSTEME)
    if offer.aufenthaltsstatus and person.aufenthaltsstatus not in offer.aufenthaltsstatus:
        if person.aufenthaltsstatus:
            reasons.append(_("nicht zugänglich bei %(status)s",
                             status=statuses.get(person.aufenthaltsstatus, person.aufenthaltsstatus)))
        else:
            reasons.append(_("Aufenthaltsstatus noch nicht erfasst"))
    if offer.leistungssysteme and person.leistungssystem not in offer.leistungssysteme:
        if person.leistungssystem:
            reasons.append(_("nicht zugänglich im Leistungssystem %(system)s",
                             system=systems.get(person.leistungssystem, person.leistungssystem)))
        else:
            reasons.append(_("Leistungssystem noch nicht erfasst"))
    if person.alter is not None and offer.alter_min is not None and person.alter < offer.alter_min:
        reasons.append(_("erst ab %(n)s Jahren", n=offer.alter_min))
    if person.alter is not None and offer.alter_max is not None and person.alter > offer.alter_max:
        reasons.append(_("nur bis %(n)s Jahre", n=offer.alter_max))
    if offer.sprachniveau_min in LEVELS and (person.deutsch is None
                                             or person.deutsch < LEVELS.index(offer.sprachniveau_min)):
        reasons.append(_("erst ab Sprachniveau %(niveau)s", niveau=offer.sprachniveau_min))
    if availability:
        if offer.ende is not None and offer.ende < today:
            reasons.append(_("abgelaufen"))
        elif offer.frei == 0:
            reasons.append(_("keine Plätze frei"))
    return reasons


@dataclass
class Match:
    offer: Offer
    reasons: list[str] = field(default_factory=list)
    score: int = 0
    goals: list[str] = field(default_factory=list)  # the plan's goal areas the offer serves


@dataclass
class Matching:
    person: Person
    matches: list[Match]
    excluded: list[Match]


def _start_reason(offer: Offer, today: datetime.date) -> tuple[str, int]:
    if offer.beginn is None:
        return _("Einstieg jederzeit"), 3
    days = (offer.beginn - today).days
    if days < 0:
        return _("läuft bereits, Einstieg möglich"), 2
    if days == 0:
        return _("Beginn heute"), 3
    if days == 1:
        return _("Beginn morgen"), 3
    if days < 14:
        return _("Beginn in %(n)s Tagen", n=days), 3
    weeks = days // 7
    return _("Beginn in %(n)s Wochen", n=weeks), (2 if days <= 42 else 1)


def rank(offer: Offer, person: Person, today: datetime.date) -> Match:
    """An accessible, available offer with its reasons and its score."""
    labels = dict(ZIELBEREICHE)
    match = Match(offer)
    for area in person.bedarfe:
        if offer.art in NEED_KINDS[area]:
            match.goals.append(area)
            match.reasons.append(_("passt zum Ziel %(ziel)s", ziel=labels[area]))
    match.score += 100 * len(match.goals)
    free = offer.frei
    if free is None:
        match.reasons.append(_("Plätze frei"))
        match.score += 10
    else:
        match.reasons.append(_("Plätze frei: %(n)s", n=free))
        match.score += 10 + min(free, 9)
    text, points = _start_reason(offer, today)
    match.reasons.append(text)
    match.score += 10 * points
    return match


def catalogue(organisation_id: int) -> list[Offer]:
    """The active offers of an organisation's catalogue."""
    return list(db.session.scalars(
        select(Offer).options(selectinload(Offer.provider))
        .where(Offer.organisation_id == organisation_id, Offer.active.is_(True)).order_by(Offer.titel, Offer.id)))


def match(data: dict, organisation_id: int, today: datetime.date | None = None,
          offers: list[Offer] | None = None) -> Matching:
    """The matching offers (best first, with reasons) and the excluded ones (with reasons)."""
    today = today or office_today()
    person = person_of(data, today)
    matches, excluded = [], []
    for offer in offers if offers is not None else catalogue(organisation_id):
        reasons = exclusions(offer, person, today)
        if reasons:
            excluded.append(Match(offer, reasons))
        else:
            matches.append(rank(offer, person, today))
    matches.sort(key=lambda m: (-m.score, m.offer.beginn or today, m.offer.titel.casefold(), m.offer.id))
    excluded.sort(key=lambda m: (m.offer.titel.casefold(), m.offer.id))
    return Matching(person, matches, excluded)


def covers(offer: Offer, person: Person, area: str, today: datetime.date) -> bool:
    """Does ``offer`` cover the need ``area`` of ``person`` (right kind, accessible, available)?"""
    return offer.art in NEED_KINDS.get(area, ()) and not exclusions(offer, person, today)
