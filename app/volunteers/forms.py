"""The volunteer's own profile corrections (languages, hours, places)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, StringField
from wtforms.validators import Length, NumberRange, Optional


def split_list(text: str | None) -> list[str]:
    """'Deutsch, Arabisch' → ['Deutsch', 'Arabisch'] (blank parts dropped, duplicates too)."""
    parts = [p.strip() for p in (text or "").split(",")]
    return list(dict.fromkeys(p for p in parts if p))


def join_list(values: Any) -> str:
    return ", ".join(str(v) for v in values) if isinstance(values, list) else ""


class ProfileForm(FlaskForm):
    sprachen = StringField(
        _l("Sprachen"), [Length(max=200, message=_l("Bitte höchstens %(max)d Zeichen eingeben."))],
        description=_l("Mehrere Sprachen durch Komma trennen."),
    )
    stunden_pro_woche = DecimalField(
        _l("Verfügbar (Stunden pro Woche)"),
        [Optional(), NumberRange(0, 40, message=_l("Bitte eine Zahl zwischen 0 und 40 angeben."))],
        places=None,
    )
    orte = StringField(
        _l("Orte, die Sie erreichen können"),
        [Length(max=300, message=_l("Bitte höchstens %(max)d Zeichen eingeben."))],
        description=_l("Mehrere Orte durch Komma trennen."),
    )
