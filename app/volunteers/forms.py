"""Profile forms: the volunteer's own corrections, and 201's full form built on top of it.

Languages are entered as one line with an optional level per language, e.g.
``Deutsch (C1), Arabisch (Muttersprache)``; stored as ``sprachen`` (names, used by matching)
and ``sprachniveaus`` (name → level).
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from app.volunteers.matching import STATUSES
from app.volunteers.work_forms import CommaDecimalField, choices
from forms.base import AppForm, StopOnInvalidInput

LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2", "Muttersprache")
WEEKDAYS = (("mo", _l("Montag")), ("di", _l("Dienstag")), ("mi", _l("Mittwoch")),
            ("do", _l("Donnerstag")), ("fr", _l("Freitag")), ("sa", _l("Samstag")), ("so", _l("Sonntag")))
TRAINING_KEYS = ("a", "b", "c", "d")
_LANGUAGE = re.compile(r"^(?P<name>[^()]+?)\s*(?:\((?P<level>[^()]*)\))?$")


def split_list(text: str | None) -> list[str]:
    """'Deutsch, Arabisch' → ['Deutsch', 'Arabisch'] (blank parts dropped, duplicates too)."""
    parts = [p.strip() for p in (text or "").split(",")]
    return list(dict.fromkeys(p for p in parts if p))


def join_list(values: Any) -> str:
    return ", ".join(str(v) for v in values) if isinstance(values, list) else ""


def parse_languages(text: str | None) -> tuple[list[str], dict[str, str]]:
    """'Deutsch (C1), Arabisch' → (['Deutsch', 'Arabisch'], {'Deutsch': 'C1'}).

    Raises ValueError with the offending part when a level is not one of LEVELS.
    """
    names: list[str] = []
    levels: dict[str, str] = {}
    for part in split_list(text):
        match = _LANGUAGE.match(part)
        if match is None:
            raise ValueError(part)
        name, level = match.group("name").strip(), (match.group("level") or "").strip()
        if level:
            canonical = next((lv for lv in LEVELS if lv.casefold() == level.casefold()), None)
            if canonical is None:
                raise ValueError(part)
            levels[name] = canonical
        if name not in names:
            names.append(name)
    return names, levels


def join_languages(profile: dict) -> str:
    levels = profile.get("sprachniveaus") or {}
    return ", ".join(f"{name} ({levels[name]})" if levels.get(name) else str(name)
                     for name in profile.get("sprachen") or [])


class ProfileForm(AppForm):
    sprachen = StringField(
        _l("Sprachen"), [Length(max=200, message=_l("Bitte höchstens %(max)d Zeichen eingeben."))],
        description=_l("Mehrere Sprachen durch Komma trennen, das Niveau in Klammern, "
                       "z. B. „Deutsch (C1), Arabisch (Muttersprache)“. Niveaus: A1–C2, Muttersprache."),
    )
    stunden_pro_woche = CommaDecimalField(
        _l("Verfügbar (Stunden pro Woche)"),
        [StopOnInvalidInput(), Optional(),
         NumberRange(0, 40, message=_l("Bitte eine Zahl zwischen 0 und 40 angeben."))],
        places=None,
    )
    wochentage = SelectMultipleField(_l("Verfügbar an diesen Wochentagen"), choices=choices(WEEKDAYS),
                                     validate_choice=True)
    orte = StringField(
        _l("Orte, die Sie erreichen können"),
        [Length(max=300, message=_l("Bitte höchstens %(max)d Zeichen eingeben."))],
        description=_l("Mehrere Orte durch Komma trennen."),
    )

    def validate_sprachen(self, field) -> None:
        try:
            parse_languages(field.data)
        except ValueError as exc:
            raise ValidationError(_l("„%(teil)s“: Bitte das Niveau als A1, A2, B1, B2, C1, C2 oder "
                                     "Muttersprache angeben.", teil=str(exc))) from None

    def fill(self, profile: dict) -> None:
        """Put the stored profile into the (unsubmitted) form."""
        self.sprachen.data = join_languages(profile)
        self.stunden_pro_woche.data = profile.get("stunden_pro_woche")
        self.wochentage.data = list(profile.get("wochentage") or [])
        self.orte.data = join_list(profile.get("orte"))

    def changes(self) -> dict:
        """The validated form as profile keys (JSON-plain)."""
        names, levels = parse_languages(self.sprachen.data)
        hours = self.stunden_pro_woche.data
        return {"sprachen": names, "sprachniveaus": levels,
                "stunden_pro_woche": (int(hours) if hours == int(hours) else float(hours))
                if hours is not None else None,
                "wochentage": [d for d, _label in WEEKDAYS if d in (self.wochentage.data or [])],
                "orte": split_list(self.orte.data)}


def _date_field(label) -> DateField:
    # Optional() first: an empty optional date ends the checks with no error; StopOnInvalidInput
    # after it keeps the conversion message only for text that is not a date.
    return DateField(label, [Optional(), StopOnInvalidInput()])


class CoordinationProfileForm(ProfileForm):
    """201's form: the volunteer's own fields plus trainings, declarations and status."""

    schulung_a = _date_field(_l("Schulung a – Fachliches (FB 36/31), am"))
    schulung_b = _date_field(_l("Schulung b – Rolle im Einsatz (201), am"))
    schulung_c = _date_field(_l("Schulung c – Reflexionstreffen / Stammtisch, zuletzt am"))
    schulung_d = _date_field(_l("Schulung d – Hilfsangebote im Kreis, am"))
    schweigepflicht_am = _date_field(_l("Schweigepflichterklärung (§ 78 SGB X) unterschrieben am"))
    fuehrungszeugnis_am = _date_field(_l("Erweitertes Führungszeugnis vorgelegt am"))
    status = SelectField(_l("Status"), [DataRequired(_l("Bitte einen Status wählen."))],
                         choices=choices([("aktiv", _l("aktiv")), ("pausiert", _l("pausiert")),
                                          ("ausgeschieden", _l("ausgeschieden"))]))

    def fill(self, profile: dict) -> None:
        from datetime import date

        super().fill(profile)
        trainings = profile.get("schulungen") or {}

        def as_date(value):
            try:
                return date.fromisoformat(value) if value else None
            except (TypeError, ValueError):
                return None

        for key in TRAINING_KEYS:
            getattr(self, f"schulung_{key}").data = as_date(trainings.get(key))
        self.schweigepflicht_am.data = as_date(profile.get("schweigepflicht_am"))
        self.fuehrungszeugnis_am.data = as_date(profile.get("fuehrungszeugnis_am"))
        self.status.data = profile.get("status") if profile.get("status") in STATUSES else "aktiv"

    def changes(self) -> dict:
        result = super().changes()

        def iso(field):
            return field.data.isoformat() if field.data else None

        result["schulungen"] = {k: iso(getattr(self, f"schulung_{k}")) for k in TRAINING_KEYS
                                if getattr(self, f"schulung_{k}").data}
        result["schweigepflicht_am"] = iso(self.schweigepflicht_am)
        result["fuehrungszeugnis_am"] = iso(self.fuehrungszeugnis_am)
        result["status"] = self.status.data
        return result


class NewVolunteerForm(AppForm):
    """201 creates a volunteer's account (role ehrenamt) and an empty profile."""

    display_name = StringField(_l("Name"), [DataRequired(_l("Bitte den Namen angeben.")),
                                            Length(max=200, message=_l("Bitte höchstens %(max)d Zeichen eingeben."))])
    username = StringField(
        _l("Benutzername"),
        [DataRequired(_l("Bitte einen Benutzernamen angeben.")),
         Regexp(r"^[a-z0-9][a-z0-9._-]{2,79}$", message=_l(
             "Bitte 3 bis 80 Kleinbuchstaben, Ziffern, Punkt, Binde- oder Unterstrich verwenden."))],
        description=_l("Zum Anmelden, z. B. „vorname.nachname“."))
    email = StringField(_l("E-Mail-Adresse"), [Optional(), Length(max=200, message=_l(
        "Bitte höchstens %(max)d Zeichen eingeben.")), Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l(
            "Bitte eine gültige E-Mail-Adresse angeben."))],
        description=_l("Für Einladungen und Benachrichtigungen."))

    def validate_username(self, field) -> None:
        from app.volunteers.services import username_taken

        if field.data and username_taken(field.data):
            raise ValidationError(_l("Diesen Benutzernamen gibt es schon."))
