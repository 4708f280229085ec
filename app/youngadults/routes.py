"""The case view's section of a young adult's case: situation, offers and transitions."""

from __future__ import annotations

from flask import Blueprint

from app.cases.services import MAIN, CasePanel, case_panels, visible_data
from app.engine.models import FULL
from app.youngadults import services
from forms.junge_erwachsene import (
    ANGEBOTSARTEN,
    ANGEBOTSSTATUS,
    AUFENTHALTSSTATUS,
    LEISTUNGSSYSTEME,
    STELLENARTEN,
    UEBERGAENGE,
)

bp = Blueprint("youngadults", __name__, template_folder="../templates")


def labels(pairs) -> dict[str, str]:
    return {key: str(label) for key, label in pairs}


def panel_context(instance, data: dict) -> dict:
    """What the section shows: the current situation, the offers and the recorded transitions."""
    transitions = []
    for event in services.transitions_of(instance.id):
        info = event.data or {}
        spec = UEBERGAENGE.get(str(info.get("art")), {})
        items = dict(spec.get("checkliste", []))
        transitions.append({"event": event, "art": str(spec.get("label", info.get("art"))),
                            "datum": info.get("datum"), "notiz": info.get("notiz"),
                            "erledigt": [str(items.get(i, i)) for i in info.get("erledigt") or []],
                            "offen": [str(items.get(i, i)) for i in info.get("offen") or []]})
    return {"data": data, "transitions": transitions, "status_labels": labels(AUFENTHALTSSTATUS),
            "system_labels": labels(LEISTUNGSSYSTEME), "office_labels": labels(STELLENARTEN),
            "offer_labels": labels(ANGEBOTSARTEN), "offer_status": labels(ANGEBOTSSTATUS)}


@case_panels.connect
def _young_adult_panel(instance, user=None, level=None, **_kwargs) -> CasePanel | None:
    if level != FULL or not services.is_young_adult_case(instance):
        return None
    data = visible_data(instance.data, level, services.PROCESS_KEY)
    if not data.get("aufenthaltsstatus") and not data.get("angebote"):
        return None  # nothing beyond the intake yet
    return CasePanel("youngadults/_panel.html", MAIN, 80, panel_context(instance, data))
