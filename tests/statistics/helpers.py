"""Data for the statistics tests: contacts with known figures, cases through the services."""

from __future__ import annotations

from datetime import date, timedelta

from tests.flows import to_form


def contact(**overrides) -> dict:
    """JSON-plain valid input of the capture form (a consultation today)."""
    data = {"datum": date.today().isoformat(), "art": "sprechstunde", "themen": ["behoerden"],
            "dauer_minuten": 30, "taetigkeit": "beratung", "nachverfolgung": False}
    return {**data, **overrides}


def contact_form(**overrides) -> dict:
    data = contact(**overrides)
    form = to_form({k: v for k, v in data.items() if k != "themen"})
    form["themen"] = data["themen"]
    return form


def days_ago(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()
