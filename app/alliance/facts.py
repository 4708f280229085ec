"""Keeping the anonymous row of a young adult's case (``AllianceCaseFact``) up to date.

Receivers of the engine's signals, in the transaction of the step: a case enters the figures
with its intake when the person belongs to the target group (18 to 27); every later step copies
the current residence status and benefits system; the first offer of training or employment is
kept with its day (the offer's own date, or the day it was recorded when it has none or lies in
the future); the closing gives the outcome.
"""

from __future__ import annotations

from datetime import date

from app.alliance.models import UNKNOWN, AllianceCaseFact
from app.engine import signals
from app.engine.clock import engine_now
from app.engine.models import WITHDRAWN, ProcessInstance, Task
from app.extensions import db
from app.timeutil import office_zone

PROCESS_KEY = "junge_erwachsene"
#: The seed's aim: an offer of training or employment (forms/junge_erwachsene.py ANGEBOTSARTEN).
TRAINING_OR_WORK = ("ausbildung", "beschaeftigung")
#: An offer counts as received when it was made, taken up or completed (not when it was declined).
RECEIVED = ("vorgeschlagen", "angenommen", "abgeschlossen")


def _is_young_adult_case(instance: ProcessInstance) -> bool:
    return instance.version.model.key == PROCESS_KEY


def _today() -> date:
    return engine_now().astimezone(office_zone()).date()


def _day(value) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _category(value, limit: int = 40) -> str:
    text = str(value).strip() if value not in (None, "") else ""
    return text[:limit] or UNKNOWN


def first_offer(offers, today: date) -> date | None:
    """The day of the earliest offer of training or employment among ``offers`` (case data)."""
    days = []
    for offer in offers if isinstance(offers, list) else []:
        if isinstance(offer, dict) and offer.get("art") in TRAINING_OR_WORK and offer.get("status") in RECEIVED:
            day = _day(offer.get("datum")) or today
            days.append(min(day, today))
    return min(days, default=None)


@signals.task_completed.connect
def _on_completed(instance: ProcessInstance, task: Task | None = None, data: dict | None = None,
                  **_kwargs) -> None:
    if task is None or not _is_young_adult_case(instance):
        return
    case_data = instance.data or {}
    fact = db.session.get(AllianceCaseFact, instance.id)
    if fact is None:
        if task.bpmn_id != "aufnahme" or not case_data.get("zustaendig") or instance.owner_team_id is None:
            return  # the figures count the target group from its intake on
        fact = AllianceCaseFact(instance_id=instance.id, team_id=instance.owner_team_id)
        db.session.add(fact)
    if task.bpmn_id == "aufnahme":
        fact.aufnahme_datum = _day(case_data.get("aufnahme_datum"))
    fact.aufenthaltsstatus = _category(case_data.get("aufenthaltsstatus"))
    fact.leistungssystem = _category(case_data.get("leistungssystem"))
    offered = first_offer(case_data.get("angebote"), _today())
    if offered is not None and (fact.erstes_angebot is None or offered < fact.erstes_angebot):
        fact.erstes_angebot = offered


@signals.case_closed.connect
def _on_closed(instance: ProcessInstance, outcome: str | None = None, **_kwargs) -> None:
    fact = db.session.get(AllianceCaseFact, instance.id)
    if fact is None:
        return
    if outcome == WITHDRAWN:  # started by mistake: no figure counts it
        db.session.delete(fact)
    else:
        fact.ergebnis = _category(outcome)
