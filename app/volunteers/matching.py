"""Ranking volunteers for a case (step "Vermittlung").

A volunteer's profile (the tables ``volunteer_profile``, ``volunteer_language`` and
``volunteer_training``, see ``VolunteerProfile.as_dict``) reaches the ranking as a dict with these
keys (all optional):

``sprachen``
    list of str, the languages the volunteer speaks, e.g. ``["Deutsch", "Arabisch"]``.
``stunden_pro_woche``
    number, hours per week the volunteer is available.
``orte``
    list of str, places the volunteer can reach, e.g. ``["Musterstadt"]``.
``schulungen``
    dict of completed trainings, ``"a"`` / ``"b"`` / ``"c"`` / ``"d"`` → ISO date
    (a: subject matter by FB 36/31, b: role by 201, c: reflection meetings, d: the district's
    support services).
``schweigepflicht_am``
    ISO date of the signed confidentiality declaration (§ 78 SGB X) or null.
``fuehrungszeugnis_am``
    ISO date of the extended police clearance certificate or null.
``status``
    ``"aktiv"`` | ``"pausiert"`` | ``"ausgeschieden"``.

Only active volunteers with a signed declaration and training b are eligible. The rest are
ranked by fit; the choice stays with 201.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _

from app.auth.models import User

STATUS_AKTIV = "aktiv"
STATUSES = ("aktiv", "pausiert", "ausgeschieden")
OPTIONAL_TRAININGS = ("a", "c", "d")

# Weights: a shared language counts most, then availability, place, trainings, workload.
W_LANGUAGE = 50
W_HOURS = 20
W_PLACE = 10
W_TRAINING = 2
W_ASSIGNMENT = 5


@dataclass
class Match:
    user: User
    score: int = 0
    reasons: list[str] = field(default_factory=list)
    eligible: bool = True


def rank_volunteers(case_data: dict, volunteers: list[User], open_assignments: dict[int, int],
                    profiles: dict[int, dict]) -> list[Match]:
    """Eligible volunteers best first, then the ineligible ones (by name) with the reasons.

    ``profiles``: user id → profile dict (a volunteer without one is not eligible).
    """
    family_languages = _language_set(case_data.get("sprachen"))
    needed = _number(case_data.get("stunden_pro_woche"))
    address_words = _words(case_data.get("anschrift"))
    matches = [_match(u, profiles.get(u.id) or {}, family_languages, needed, address_words,
                      open_assignments.get(u.id, 0))
               for u in volunteers]

    def key(m: Match) -> tuple:
        return (not m.eligible, -m.score if m.eligible else 0,
                m.user.display_name.casefold(), m.user.username)

    return sorted(matches, key=key)


def _match(user: User, profile: dict[str, Any], family_languages: set[str], needed: float | None,
           address_words: set[str], assignments: int) -> Match:
    trainings = profile.get("schulungen") or {}
    excluded = []
    status = profile.get("status") or STATUS_AKTIV
    if status != STATUS_AKTIV:
        excluded.append(_("Status: %(status)s", status=status_label(status)))
    if not profile.get("schweigepflicht_am"):
        excluded.append(_("Schweigepflichterklärung fehlt"))
    if not trainings.get("b"):
        excluded.append(_("Schulung b fehlt"))
    if excluded:
        return Match(user=user, score=0, reasons=excluded, eligible=False)

    score, reasons = 0, []
    shared = [lang for lang in _list(profile.get("sprachen")) if lang.casefold() in family_languages]
    if shared:
        score += W_LANGUAGE + 5 * (len(shared) - 1)
        reasons.append(_("spricht %(sprachen)s", sprachen=", ".join(shared)))
    hours = _number(profile.get("stunden_pro_woche"))
    if hours is not None:
        text = _("%(stunden)s Std./Woche", stunden=_fmt(hours))
        if needed is not None:
            if hours >= needed:
                score += W_HOURS
            else:
                text = _("nur %(stunden)s von %(bedarf)s Std./Woche", stunden=_fmt(hours),
                         bedarf=_fmt(needed))
        reasons.append(text)
    places = [o for o in _list(profile.get("orte")) if _words(o) and _words(o) <= address_words]
    if places:
        score += W_PLACE
        reasons.append(_("erreicht %(orte)s", orte=", ".join(places)))
    done = [t for t in OPTIONAL_TRAININGS if trainings.get(t)]
    if done:
        score += W_TRAINING * len(done)
        reasons.append(_("weitere Schulungen: %(liste)s", liste=", ".join(done)))
    score -= W_ASSIGNMENT * assignments
    if assignments:
        reasons.append(ngettext("%(num)s laufender Einsatz", "%(num)s laufende Einsätze",
                                assignments))
    else:
        reasons.append(_("kein laufender Einsatz"))
    return Match(user=user, score=score, reasons=reasons)


def status_label(status: str) -> str:
    return {"aktiv": _("aktiv"), "pausiert": _("pausiert"),
            "ausgeschieden": _("ausgeschieden")}.get(status, status)


def _list(value: Any) -> list[str]:
    return [str(v).strip() for v in value if str(v).strip()] if isinstance(value, list) else []


def _language_set(text: Any) -> set[str]:
    if not isinstance(text, str):
        return set()
    return {part.strip().casefold() for part in text.split(",") if part.strip()}


def _words(text: Any) -> set[str]:
    return set(re.findall(r"\w+", text.casefold())) if isinstance(text, str) else set()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _fmt(value: float) -> str:
    return format_decimal(value, "0.#")  # the reader's locale: "2,5" / "2.5"
