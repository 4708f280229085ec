"""Writing the anonymous statistics rows of an MBE case when one of its tasks is completed.

Called from the engine's completion hook (same transaction). Rows hold categories only,
never names or free text, so the statistics are plain GROUP BY queries over indexed rows.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.engine.clock import engine_now
from app.engine.models import ProcessInstance, Task
from app.extensions import db
from app.mbe.models import MbeCaseStat, MbeStatFact
from app.timeutil import office_zone

UNKNOWN = "unbekannt"
AGE_GROUPS = [(0, 26, "unter_27"), (27, 34, "27_34"), (35, 44, "35_44"), (45, 54, "45_54"),
              (55, 64, "55_64"), (65, 200, "65_plus")]
ASSESSED = ("erreicht", "teilweise", "nicht_erreicht", "angepasst")


def age_group(value) -> str:
    try:
        age = int(value)
    except (TypeError, ValueError):
        return UNKNOWN
    return next((key for low, high, key in AGE_GROUPS if low <= age <= high), UNKNOWN)


def _text(value, limit: int = 80) -> str:
    text = str(value).strip() if value not in (None, "") else ""
    return text[:limit] if text else UNKNOWN


def _day(value) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return engine_now().astimezone(office_zone()).date()


def record(instance: ProcessInstance, task: Task, data: dict) -> None:
    """Update the statistics rows of ``instance`` after ``task`` was completed with ``data``."""
    case_data = instance.data or {}
    stat = db.session.get(MbeCaseStat, instance.id)
    if stat is None:
        if task.bpmn_id != "erstkontakt":
            return  # statistics count cases from their first contact on
        stat = MbeCaseStat(instance_id=instance.id, team_id=instance.owner_team_id)
        db.session.add(stat)
    if task.bpmn_id == "erstkontakt":
        stat.altersgruppe = age_group(case_data.get("alter"))
        stat.geschlecht = _text(case_data.get("geschlecht"), 40)
        stat.herkunftsland = _text(case_data.get("herkunftsland"))
        stat.aufenthaltsstatus = _text(case_data.get("aufenthaltsstatus"))
    if case_data.get("mbe_ergebnis") == "verwiesen":
        stat.art = "verweis"
    elif case_data.get("mbe_modus") in ("beratung", "case_management"):
        stat.art = case_data["mbe_modus"]
    if instance.ended_at is not None:
        stat.abschlussgrund = ("verweisberatung" if case_data.get("mbe_ergebnis") == "verwiesen"
                               else _text(case_data.get("abschlussgrund")))
    if task.bpmn_id == "beratung":
        day = _day(data.get("datum"))
        for topic in sorted({str(t) for t in data.get("themen") or [] if t}):
            db.session.add(MbeStatFact(instance_id=instance.id, team_id=instance.owner_team_id,
                                       kind="thema", day=day, value=topic[:80]))
    if "ziele" in data or "ueberpruefungen" in data or task.bpmn_id in ("ueberpruefung", "abschluss"):
        _record_goals(instance, case_data, _day(data.get("datum")))


def _record_goals(instance: ProcessInstance, case_data: dict, day: date) -> None:
    """One fact per goal of the plan with its latest assessed status; the day is when that
    status was recorded (kept while the status does not change)."""
    existing = {f.source: f for f in db.session.scalars(
        select(MbeStatFact).where(MbeStatFact.instance_id == instance.id, MbeStatFact.kind == "ziel"))}
    seen = set()
    for index, goal in enumerate(case_data.get("ziele") or []):
        if not isinstance(goal, dict) or goal.get("status") not in ASSESSED:
            continue
        source = f"ziel-{index}"
        seen.add(source)
        area, status = _text(goal.get("bereich")), str(goal["status"])
        fact = existing.get(source)
        if fact is None:
            db.session.add(MbeStatFact(instance_id=instance.id, team_id=instance.owner_team_id, kind="ziel",
                                       day=day, category=area, value=status, source=source))
        elif (fact.category, fact.value) != (area, status):
            fact.category, fact.value, fact.day = area, status, day
    for source, fact in existing.items():
        if source not in seen:
            db.session.delete(fact)
