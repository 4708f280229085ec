"""Durations as a process owner says them ("5 Tage") and as BPMN stores them (ISO 8601 ``P5D``).

One number and one unit; ``to_iso(5, "tage") == "P5D"`` and ``from_iso("P5D") == (5, "tage")``.
An ISO value that is not one number and one unit (``P1DT4H``) has no simple form: ``from_iso``
returns None and the editor shows the expert field instead.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

#: unit key -> (ISO designator, German label); order = order in the picker
UNITS: dict[str, tuple[str, object]] = {
    "minuten": ("TM", _l("Minuten")),
    "stunden": ("TH", _l("Stunden")),
    "tage": ("D", _l("Tage")),
    "wochen": ("W", _l("Wochen")),
    "monate": ("M", _l("Monate")),
    "jahre": ("Y", _l("Jahre")),
}
MAX_AMOUNT = 9999
_SIMPLE = re.compile(r"^P(?:(\d+)([YMWD])|T(\d+)([HM]))$")


def to_iso(amount: int, unit: str) -> str:
    """``(5, "tage")`` -> ``"P5D"``; ValueError for a unit not in UNITS or an amount outside 1..9999."""
    if unit not in UNITS:
        raise ValueError(f"unknown duration unit {unit!r}")
    if not isinstance(amount, int) or isinstance(amount, bool) or not 1 <= amount <= MAX_AMOUNT:
        raise ValueError(f"duration amount out of range: {amount!r}")
    designator = UNITS[unit][0]
    return f"PT{amount}{designator[1]}" if designator.startswith("T") else f"P{amount}{designator}"


def from_iso(value: str | None) -> tuple[int, str] | None:
    """``"P5D"`` -> ``(5, "tage")``; None when ``value`` is not one number with one unit."""
    match = _SIMPLE.match((value or "").strip().upper())
    if not match:
        return None
    if match.group(1):
        amount, designator = int(match.group(1)), match.group(2)
    else:
        amount, designator = int(match.group(3)), "T" + match.group(4)
    unit = next(k for k, (d, _) in UNITS.items() if d == designator)
    return (amount, unit) if 1 <= amount <= MAX_AMOUNT else None


def label(value: str | None) -> str | None:
    """``"P5D"`` -> ``"5 Tage"`` (German), None without a simple form."""
    simple = from_iso(value)
    if simple is None:
        return None
    return f"{simple[0]} {UNITS[simple[1]][1]}"
