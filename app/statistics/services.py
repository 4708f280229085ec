"""Statistics for supervisors: SQL aggregates over the indexed rows, never loading a workflow.

Scope: the teams the user leads (role ``leitung``); cases count for the team that owns them
(Fallverantwortung), contacts of the counselling log for the team that recorded them. So the
municipal supervisor never sees cases of the welfare association's MBE service, and the MBE
lead sees only the MBE team's cases.

Cases of a confidential process model (``ProcessModel.confidential``, e.g. the MBE counselling)
never count here, whoever owns them and whoever asks, even a user who leads a municipal team
and the MBE team: neither as cases, nor through their tasks, crises, step durations or journal
entries. Their figures exist only in their own statistics with disclosure control
(app/mbe/statistics.py).
"""

from __future__ import annotations

import math
import statistics as pystats
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, String, and_, case, exists, func, literal, select

from app.auth.models import ROLE_LEITUNG, Team, User
from app.cases.services import counted_cases
from app.counselling.models import ContactRecord, ContactTopic
from app.engine.models import (
    ACTIVE_TASK_STATES,
    COMPLETED,
    DONE,
    TERMINATED,
    CaseEvent,
    ProcessInstance,
    ProcessModel,
    ProcessVersion,
    Task,
)
from app.engine.todos import TODO_BPMN_ID
from app.extensions import db
from app.journal.services import report_figures as journal_figures
from app.sqlhints import not_indexed
from app.statistics import aggregates
from app.timeutil import utcnow
from forms.beratungskontakt import ARTEN, HAUSBESUCH, TAETIGKEITEN, THEMEN, VERANSTALTUNG, VERANSTALTUNGSARTEN

# Crisis steps of the shipped processes: acknowledging the report, the supervisor's escalation.
ACK_STEPS = ("krise_quittieren",)
ESCALATION_STEPS = ("krise_eskalation",)
MAX_DAYS = 3700  # about ten years
# Up to this many completed steps in the period, durations come exactly from the task rows;
# beyond, from the daily aggregate rows (app/statistics/aggregates.py: exact counts and means,
# medians exact or within one bucket, < 4.4 %).
EXACT_UP_TO = 2_000


def _exact_up_to() -> int:
    return int(current_app.config.get("STATISTICS_EXACT_UP_TO", EXACT_UP_TO))


class StatisticsError(Exception):
    """Bad parameters (400) or a team outside the user's scope (403); ``field`` names the input."""

    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status, self.field, self.message = status, field, message


@dataclass
class Scope:
    teams: list[Team]
    date_from: date
    date_to: date

    @property
    def team_ids(self) -> list[int]:
        return [t.id for t in self.teams]


def may_see_statistics(user: User) -> bool:
    return user.has_role(ROLE_LEITUNG) and bool(user.lead_team_ids)


def lead_teams(user: User) -> list[Team]:
    if not user.has_role(ROLE_LEITUNG):
        return []
    ids = user.lead_team_ids
    return list(db.session.scalars(select(Team).where(Team.id.in_(ids or [-1])).order_by(Team.name)))


def _parse_date(raw: str | None, field: str) -> date | None:
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise StatisticsError(400, field, _("Bitte ein Datum im Format JJJJ-MM-TT angeben.")) from None


def resolve_scope(user: User, raw_from: str | None, raw_to: str | None, team_key: str | None) -> Scope:
    """Check the period and the team against the user's scope; defaults: this year up to today."""
    today = date.today()  # the office's day (app/timeutil.py sets the process time zone)
    date_from = _parse_date(raw_from, "from") or date(today.year, 1, 1)
    date_to = _parse_date(raw_to, "to") or max(today, date_from)
    if date_to < date_from:
        raise StatisticsError(400, "to", _("Das Ende des Zeitraums liegt vor seinem Beginn."))
    if (date_to - date_from).days > MAX_DAYS:
        raise StatisticsError(400, "to", _("Der Zeitraum darf höchstens zehn Jahre umfassen."))
    teams = lead_teams(user)
    if team_key:
        teams = [t for t in teams if t.key == team_key]
        if not teams:
            raise StatisticsError(403, "team", _("Für dieses Team sind Sie nicht als Leitung eingetragen."))
    return Scope(teams=teams, date_from=date_from, date_to=date_to)


def _utc_bounds(scope: Scope) -> tuple[datetime, datetime]:
    """The period as [start, end) in UTC, the days counted in the office's time zone."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Berlin"))
    start = datetime.combine(scope.date_from, time.min, zone).astimezone(UTC)
    end = datetime.combine(scope.date_to + timedelta(days=1), time.min, zone).astimezone(UTC)
    return start, end


def _seconds_between(later, earlier):
    """SQL: seconds from ``earlier`` to ``later`` (SQLite and PostgreSQL)."""
    if db.engine.dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


# --- the teams' cases as id lists ---------------------------------------------------------
#
# Task and history rows reach "their" case by ``instance_id IN (SELECT id FROM process_instance
# WHERE owner_team_id IN ... [AND version_id IN ...])``: the database builds each id list once
# from an instance index, then checks every row of one pass over a covering task index. A join
# instead fetches each case row (with its workflow state) from the table: seconds at 100,000 cases.


class Owned:
    """The cases owned by the scope's teams, grouped by process (model key)."""

    def __init__(self, team_ids: list[int]) -> None:
        self.team_ids = team_ids or [-1]
        self.hidden_models = confidential_models()
        hidden = confidential_versions()
        # confidential cases never count (see the module docstring)
        self.condition: ColumnElement[bool] = and_(ProcessInstance.owner_team_id.in_(self.team_ids),
                                                   *([ProcessInstance.version_id.not_in(hidden)] if hidden else []))
        has_cases = exists().where(ProcessInstance.version_id == ProcessVersion.id, self.condition)
        versions: dict[str, list[int]] = {}
        for key, version_id in db.session.execute(
                select(ProcessModel.key, ProcessVersion.id).join(ProcessVersion.model).where(has_cases)
                .order_by(ProcessModel.key, ProcessVersion.id)):
            versions.setdefault(key, []).append(version_id)
        self.versions = versions  # model key -> versions with cases of the teams

    def ids(self, version_ids: list[int] | None = None):
        query = select(ProcessInstance.id).where(self.condition)
        return query if version_ids is None else query.where(ProcessInstance.version_id.in_(version_ids))

    def owns_task(self) -> ColumnElement[bool]:
        """SQL: the task row's case belongs to the teams, from the row's own copies of the case's
        owner team and model (no look-up of the case)."""
        return and_(Task.owner_team_id.in_(self.team_ids),
                    *([Task.model_id.not_in(self.hidden_models)] if self.hidden_models else []))

    def contains(self, instance_id):
        """SQL: the row's case belongs to the teams."""
        return not_indexed(instance_id).in_(self.ids())

    def model_key(self, instance_id):
        """SQL: the model key of the row's case (one of ``self.versions``), or NULL."""
        if len(self.versions) <= 1:
            return literal(next(iter(self.versions), None), String)
        return case(*[(not_indexed(instance_id).in_(self.ids(v)), literal(k, String))
                      for k, v in self.versions.items()], else_=literal(None, String))


def confidential_models() -> list[int]:
    return list(db.session.scalars(select(ProcessModel.id).where(ProcessModel.confidential.is_(True))))


def model_keys() -> dict[int, str]:
    return {model_id: key for model_id, key in db.session.execute(select(ProcessModel.id, ProcessModel.key))}


def confidential_versions() -> list[int]:
    """Versions of confidential process models: their cases stay out of these statistics."""
    return list(db.session.scalars(select(ProcessVersion.id).join(ProcessVersion.model)
                                   .where(ProcessModel.confidential.is_(True))))


def compute(scope: Scope) -> dict:
    """Every figure of the statistics page for ``scope`` as JSON-plain data."""
    start, end = _utc_bounds(scope)
    owned = Owned(scope.team_ids)
    return {
        "period": {"from": scope.date_from.isoformat(), "to": scope.date_to.isoformat()},
        "teams": [{"key": t.key, "name": t.name} for t in scope.teams],
        "cases_started": _cases_started(owned.condition, start, end),
        "cases_closed": _cases_closed(owned.condition, start, end),
        "open_tasks": _open_tasks(owned),
        "crises": _crises(owned, scope, start, end),
        "step_durations": _step_durations(owned, scope, start, end),
        **_contacts(scope),
        # Journal entries of the teams' cases (never those of confidential cases such as MBE).
        "journal": journal_figures(scope.team_ids, scope.date_from, scope.date_to, public_only=True),
    }


def _per_model(counted, *groups):
    """Rows (model key, model name, *groups, count) from ``counted``: a subquery of case counts per
    version (and ``groups``). The cases are counted per version in one pass over an instance
    index; only those few rows meet the version and model tables (a join per case costs more
    than the count itself at 100,000 cases)."""
    return (select(ProcessModel.key, ProcessModel.name, *groups, func.sum(counted.c.n))
            .select_from(counted).join(ProcessVersion, ProcessVersion.id == counted.c.version_id)
            .join(ProcessModel, ProcessVersion.model_id == ProcessModel.id)
            .group_by(ProcessModel.key, ProcessModel.name, *groups))


def _cases_started(owned, start, end) -> list[dict]:
    counted = (select(ProcessInstance.version_id, func.count().label("n"))
               .where(owned, ProcessInstance.started_at >= start, ProcessInstance.started_at < end, *counted_cases())
               .group_by(ProcessInstance.version_id).subquery())
    rows = db.session.execute(_per_model(counted).order_by(ProcessModel.name)).all()
    return [{"process": key, "name": name, "count": int(count)} for key, name, count in rows]


def _cases_closed(owned, start, end) -> list[dict]:
    counted = (select(ProcessInstance.version_id, ProcessInstance.outcome, func.count().label("n"))
               .where(owned, ProcessInstance.status.in_((COMPLETED, TERMINATED)), *counted_cases(),
                      ProcessInstance.ended_at >= start, ProcessInstance.ended_at < end)
               .group_by(ProcessInstance.version_id, ProcessInstance.outcome).subquery())
    rows = db.session.execute(_per_model(counted, counted.c.outcome)
                              .order_by(ProcessModel.name, counted.c.outcome)).all()
    return [{"process": key, "name": name, "outcome": outcome or "", "count": int(count)}
            for key, name, outcome, count in rows]


def _by_model_and_step(owned: Owned, columns: list, where: list):
    """Rows (model key, step, *columns) grouped by process and step, from one pass over the
    task rows matching ``where`` whose case the teams own."""
    inner = select(owned.model_key(Task.instance_id).label("model_key"), Task.bpmn_id.label("step"),
                   *[c.label(f"c{i}") for i, c in enumerate(columns)]).where(
        *where, Task.bpmn_id != TODO_BPMN_ID,  # to-dos beside the workflow are no step of it
        owned.contains(Task.instance_id)).subquery()
    return inner


def _open_tasks(owned: Owned) -> dict:
    """Open tasks per process and step, and how many of them overdue: one range of the covering
    index ix_task_open_by_team (status, owner team, model, step, due date, title) per team."""
    now = utcnow()
    rows = db.session.execute(  # count(*): no task id needed, so the index covers it (PostgreSQL too)
        select(Task.model_id, Task.bpmn_id, func.max(Task.title), func.count(),
               func.sum(case((Task.due_at < now, 1), else_=0)))
        .where(Task.status.in_(ACTIVE_TASK_STATES), owned.owns_task(),
               Task.bpmn_id != TODO_BPMN_ID)  # to-dos beside the workflow are no step of it
        .group_by(Task.model_id, Task.bpmn_id)).all()
    keys = model_keys()
    steps = sorted(({"process": keys.get(model_id), "step": step, "title": title, "open": count,
                     "overdue": int(late or 0)} for model_id, step, title, count, late in rows),
                   key=lambda s: (s["process"] or "", s["step"]))
    return {"total": sum(s["open"] for s in steps), "overdue": sum(s["overdue"] for s in steps), "by_step": steps}


def _crises(owned: Owned, scope: Scope, start, end) -> dict:
    reported = db.session.scalar(
        select(func.count()).select_from(CaseEvent)
        .where(CaseEvent.kind == "crisis", CaseEvent.created_at >= start, CaseEvent.created_at < end,
               owned.contains(CaseEvent.instance_id))
    ) or 0
    in_period = (Task.created_at >= start) & (Task.created_at < end)
    escalated = db.session.scalar(
        select(func.count()).select_from(Task)
        .where(Task.bpmn_id.in_(ESCALATION_STEPS), in_period, owned.contains(Task.instance_id))
    ) or 0
    open_crisis_tasks = db.session.scalar(  # covering: ix_task_crisis_status
        select(func.count()).select_from(Task)
        .where(Task.crisis.is_(True), Task.status.in_(ACTIVE_TASK_STATES), owned.owns_task())
    ) or 0
    acks = aggregates.step_buckets(scope.team_ids, scope.date_from, scope.date_to, ACK_STEPS)
    merged = aggregates.Buckets()
    for group in acks.values():
        for bucket, (count, total, low, high) in group.parts.items():
            merged.add(bucket, int(count), total, low, high)
    if merged.count > _exact_up_to():
        # Many crises: the acknowledgements completed in the period, from the daily aggregates.
        acknowledged = merged.count
        mean: float | None = merged.mean / 60
        median: float | None = merged.median / 60
    else:  # the acknowledgements of the crises reported in the period, exactly
        minutes = [float(seconds) / 60 for (seconds,) in db.session.execute(  # PostgreSQL: Decimal
            select(_seconds_between(Task.completed_at, Task.created_at))
            .where(Task.bpmn_id.in_(ACK_STEPS), in_period, Task.status == DONE,
                   owned.contains(Task.instance_id))) if seconds is not None]
        acknowledged = len(minutes)
        mean = pystats.fmean(minutes) if minutes else None
        median = pystats.median(minutes) if minutes else None
    return {
        "reported": reported,
        "acknowledged": acknowledged,
        "escalated": escalated,
        "open_crisis_tasks": open_crisis_tasks,
        "ack_minutes_mean": _round(mean),
        "ack_minutes_median": _round(median),
    }


def _step_durations(owned: Owned, scope: Scope, start, end) -> list[dict]:
    """Mean and median time from a task's creation to its completion, per step.

    Many completions in the period: from the daily aggregate rows (see ``EXACT_UP_TO``). Few
    (or no aggregate rows yet): exactly from the task rows (``_exact_step_durations``).
    """
    buckets = aggregates.step_buckets(scope.team_ids, scope.date_from, scope.date_to)
    buckets = {k: b for k, b in buckets.items() if b.count}
    if sum(b.count for b in buckets.values()) <= _exact_up_to():
        return _exact_step_durations(owned, start, end)
    result = []
    for (key, step), group in sorted(buckets.items()):
        result.append({"process": key, "step": step, "title": group.title, "completed": group.count,
                       "mean_hours": _round(group.mean / 3600, 2),
                       "median_hours": _round(group.median / 3600, 2)})
    return result


def _exact_step_durations(owned: Owned, start, end) -> list[dict]:
    """Mean and median time from a task's creation to its completion, per step.

    PostgreSQL: count, mean and median (``percentile_cont``) as SQL aggregates. SQLite has no
    median: one plain query (no ORM, no GROUP BY sort) fetches each duration and Python counts,
    averages and takes the median.
    """
    seconds = _seconds_between(Task.completed_at, Task.created_at)
    where = [Task.status == DONE, Task.completed_at >= start, Task.completed_at < end]
    inner = _by_model_and_step(owned, [Task.title, seconds], where)
    stats: dict[tuple[str, str], tuple[str, int, float, float]] = {}
    if db.engine.dialect.name == "postgresql":
        rows = db.session.execute(
            select(inner.c.model_key, inner.c.step, func.max(inner.c.c0), func.count(), func.avg(inner.c.c1),
                   func.percentile_cont(0.5).within_group(inner.c.c1))
            .group_by(inner.c.model_key, inner.c.step))
        for key, step, title, count, mean, median in rows:
            stats[(key, step)] = (title, count, float(mean or 0), float(median or 0))
    else:
        # Plain DBAPI rows (strings and floats, nothing to convert): building a result row object
        # for each of some 100,000 durations would cost more than the query.
        groups: dict[tuple[str, str], tuple[set[str], list[float]]] = {}
        cursor_result = db.session.connection().execute(select(inner))
        try:
            durations = cursor_result.cursor.fetchall()
        finally:
            cursor_result.close()
        for key, step, title, value in durations:
            group = groups.get((key, step))
            if group is None:
                group = groups[(key, step)] = (set(), [])
            group[0].add(title)
            group[1].append(value or 0.0)
        for group_key, (titles, values) in groups.items():
            stats[group_key] = (max(titles), len(values), math.fsum(values) / len(values), pystats.median(values))
    result = []
    for (key, step), (title, count, mean, median) in sorted(stats.items()):
        result.append({"process": key, "step": step, "title": title, "completed": count,
                       "mean_hours": _round(max(mean, 0.0) / 3600, 2),
                       "median_hours": _round(max(median, 0.0) / 3600, 2)})
    return result


def _contacts(scope: Scope) -> dict:
    """Counselling log: consultations by topic and kind, home visits per week, events, working time."""
    base = (ContactRecord.team_id.in_(scope.team_ids or [-1]),
            ContactRecord.datum >= scope.date_from, ContactRecord.datum <= scope.date_to)
    consultation = ContactRecord.art != VERANSTALTUNG
    by_kind = dict(db.session.execute(
        select(ContactRecord.art, func.count(ContactRecord.id)).where(*base).group_by(ContactRecord.art)).all())
    by_topic = dict(db.session.execute(
        select(ContactTopic.topic, func.count(ContactTopic.id)).join(ContactRecord)
        .where(*base, consultation).group_by(ContactTopic.topic)).all())
    visits_per_day = db.session.execute(
        select(ContactRecord.datum, func.count(ContactRecord.id))
        .where(*base, ContactRecord.art == HAUSBESUCH).group_by(ContactRecord.datum)).all()
    events = db.session.execute(
        select(ContactRecord.veranstaltungsart, func.count(ContactRecord.id),
               func.coalesce(func.sum(ContactRecord.teilnehmende), 0))
        .where(*base, ContactRecord.art == VERANSTALTUNG).group_by(ContactRecord.veranstaltungsart)).all()
    minutes = dict(db.session.execute(
        select(ContactRecord.taetigkeit, func.coalesce(func.sum(ContactRecord.dauer_minuten), 0))
        .where(*base).group_by(ContactRecord.taetigkeit)).all())

    weeks: dict[str, int] = {}
    day = scope.date_from
    while day <= scope.date_to:  # every ISO week of the period, also those without visits
        year, week, _weekday = day.isocalendar()
        weeks.setdefault(f"{year}-W{week:02d}", 0)
        day += timedelta(days=1)
    for day, count in visits_per_day:
        day = day if isinstance(day, date) else date.fromisoformat(str(day))
        year, week, _weekday = day.isocalendar()
        weeks[f"{year}-W{week:02d}"] += count
    visits = sum(weeks.values())
    period_weeks = ((scope.date_to - scope.date_from).days + 1) / 7
    total_minutes = sum(int(v) for v in minutes.values())
    event_types = {key: (count, int(people or 0)) for key, count, people in events}  # SUM is coalesced
    return {
        "consultations": {
            "total": sum(c for art, c in by_kind.items() if art != VERANSTALTUNG),
            "by_topic": [{"topic": key, "label": str(label), "count": by_topic.get(key, 0)} for key, label in THEMEN],
            "by_kind": [{"kind": key, "label": str(label), "count": by_kind.get(key, 0)} for key, label in ARTEN],
        },
        "home_visits": {
            "total": visits,
            "per_week": round(visits / period_weeks, 2) if period_weeks else 0.0,
            "by_week": [{"week": week, "count": count} for week, count in weeks.items()],
        },
        "events": {
            "count": sum(c for c, _p in event_types.values()),
            "participants": sum(p for _c, p in event_types.values()),
            "by_type": [{"type": key, "label": str(label), "count": event_types.get(key, (0, 0))[0],
                         "participants": event_types.get(key, (0, 0))[1]} for key, label in VERANSTALTUNGSARTEN],
        },
        "working_time": {
            "total_minutes": total_minutes,
            "by_activity": [
                {"activity": key, "label": str(label), "minutes": int(minutes.get(key, 0)),
                 "share_percent": round(100 * int(minutes.get(key, 0)) / total_minutes, 1) if total_minutes else 0.0}
                for key, label in TAETIGKEITEN
            ],
        },
    }
