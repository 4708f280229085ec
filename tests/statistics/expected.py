"""Independent counts over the raw rows (plain Python over every row; no GROUP BY)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.counselling.models import ContactRecord
from app.engine.models import CaseEvent, ProcessInstance, Task
from app.extensions import db
from app.timeutil import aware, utcnow


def expected(date_from: date, date_to: date, team_keys: set[str]) -> dict:
    zone = ZoneInfo("Europe/Berlin")
    start = datetime.combine(date_from, time.min, zone).astimezone(UTC)
    end = datetime.combine(date_to + timedelta(days=1), time.min, zone).astimezone(UTC)
    cases = {c.id: c for c in db.session.scalars(select(ProcessInstance)) if c.owner_team.key in team_keys}
    # counselling contacts are counted as contacts, withdrawn cases nowhere: neither is a case
    real = [c for c in cases.values() if c.version.model.key != "beratungskontakt" and c.outcome != "zurueckgezogen"]
    started = Counter(c.version.model.key for c in real if start <= aware(c.started_at) < end)
    closed = Counter((c.version.model.key, c.outcome) for c in real
                     if c.ended_at and start <= aware(c.ended_at) < end)
    tasks = [t for t in db.session.scalars(select(Task)) if t.instance_id in cases]
    now = utcnow()
    open_tasks = Counter(t.bpmn_id for t in tasks if t.status in ("open", "claimed"))
    overdue = Counter(t.bpmn_id for t in tasks
                      if t.status in ("open", "claimed") and t.due_at and aware(t.due_at) < now)
    hours = defaultdict(list)
    for t in tasks:
        if t.status == "completed" and start <= aware(t.completed_at) < end:
            hours[t.bpmn_id].append((aware(t.completed_at) - aware(t.created_at)).total_seconds() / 3600)
    crises = [e for e in db.session.scalars(select(CaseEvent))
              if e.kind == "crisis" and e.instance_id in cases and start <= aware(e.created_at) < end]
    contacts = [c for c in db.session.scalars(select(ContactRecord))
                if c.team.key in team_keys and date_from <= c.datum <= date_to]
    topics = Counter(t.topic for c in contacts if c.art != "veranstaltung" for t in c.topics)
    minutes = Counter()
    for c in contacts:
        minutes[c.taetigkeit] += c.dauer_minuten
    events = [c for c in contacts if c.art == "veranstaltung"]
    visits = [c for c in contacts if c.art == "hausbesuch"]
    return {
        "started": dict(started), "closed": dict(closed), "open": dict(open_tasks), "overdue": dict(overdue),
        "median_hours": {k: round(statistics.median(v), 2) for k, v in hours.items()},
        "mean_hours": {k: round(statistics.fmean(v), 2) for k, v in hours.items()},
        "crises": len(crises),
        "consultations": sum(1 for c in contacts if c.art != "veranstaltung"),
        "topics": dict(topics), "kinds": dict(Counter(c.art for c in contacts)),
        "minutes": dict(minutes), "events": len(events), "participants": sum(c.teilnehmende for c in events),
        "home_visits": len(visits),
        "per_week": round(len(visits) / (((date_to - date_from).days + 1) / 7), 2),
    }
