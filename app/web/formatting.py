"""Template filters for dates, numbers and amounts, all through Flask-Babel (the reader's locale).

``datum`` (date or date and time), ``datumzeit`` (always with the time), ``zahl`` (decimal
number, optional fixed digits), ``prozent`` (a share given in percent points, 12.5 → "12,5 %"),
``betrag`` (euros with two decimals). Views hand numbers to templates; they do not format them.
``csv_zahl`` is for German CSV exports (decimal comma whatever the reader's language).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal

from app.timeutil import aware


def _as_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10]) if len(value) <= 10 else datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def datum(value: Any) -> str:
    """A date ("04.12.2026"), or a date and time in the office's zone ("04.12.26, 17:40")."""
    if not value:
        return ""
    value = _as_date(value)
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return format_datetime(aware(value), "short")
    return format_date(value, "medium")


def datumzeit(value: Any) -> str:
    """A point in time with date and time (a bare date is shown as a date)."""
    return datum(value)


def zahl(value: Any, digits: int | None = None) -> str:
    """A number in the reader's locale; ``digits`` fixes the decimals, else up to three, and
    trailing zeros are dropped (2.50 → "2,5")."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    pattern = "#,##0" + ("." + "0" * digits if digits else "") if digits is not None else "#,##0.###"
    return format_decimal(value, pattern)


def menge(value: Any) -> str:
    """A quantity without grouping (hours, kilometres: "1000,5"), trailing zeros dropped."""
    if value is None or value == "":
        return ""
    return format_decimal(value, "0.###")


def prozent(value: Any, digits: int = 1) -> str:
    """A share in percent points (12.5 → "12,5 %" in German, "12.5%" in English)."""
    if value is None or value == "":
        return ""
    from flask_babel import format_percent

    return format_percent(float(value) / 100, "#,##0" + ("." + "#" * digits if digits else "") + " %")


def csv_zahl(value: Any, digits: int | None = None) -> str:
    """A number for a German CSV export (semicolons, decimal comma: opens as numbers in German
    Excel whatever the reader's language): no grouping, ``digits`` fixed decimals, else up to
    three with trailing zeros dropped (2.50 → "2,5")."""
    if value is None or value == "":
        return ""
    from babel.numbers import format_decimal as babel_decimal

    pattern = "0" if digits == 0 else "0." + ("0" * digits if digits else "###")
    return babel_decimal(value, pattern, locale="de_DE")


def betrag(value: Any) -> str:
    """An amount in euros with two decimals ("1.234,50 €")."""
    if value is None or value == "":
        return ""
    return format_decimal(value, "#,##0.00") + " €"


FILTERS = {"datum": datum, "datumzeit": datumzeit, "zahl": zahl, "menge": menge, "prozent": prozent,
           "betrag": betrag}


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(FILTERS)
