"""The instance monitor and the live diagram: SQL over process_instance, task, process_version.

Nothing here loads a workflow except for one case (its path). A supervisor sees the cases
owned by the teams they lead (Membership kind ``lead``) and nothing else: the municipal head
never sees MBE cases, the MBE head only those.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, case, exists, func, select
from sqlalchemy.orm import load_only, selectinload

from app.auth.models import (
    ROLE_LEITUNG,
    Team,
    User,
)
from app.cases.services import counted_cases, open_crisis_case_ids
from app.engine import events as event_kinds
from app.engine import service
from app.engine.interventions import CURRENT_TASK_STATES, PAUSED
from app.engine.models import (
    ACTIVE_TASK_STATES,
    DONE,
    CaseEvent,
    ProcessInstance,
    ProcessModel,
    ProcessVersion,
    Task,
)
from app.engine.todos import TODO_BPMN_ID
from app.extensions import db
from app.sqlhints import not_indexed
from app.timeutil import aware, utcnow
from app.web.paging import paginate_ids

PER_PAGE = 50
# What the list shows of a case: never the workflow state or the case file (JSON, kilobytes each).
# The title (family name / MBE client with consent): the supervisor leads the owning team, so they
# may see who the case is about.
LIST_COLUMNS = (ProcessInstance.id, ProcessInstance.reference, ProcessInstance.title, ProcessInstance.version_id,
                ProcessInstance.status, ProcessInstance.owner_team_id, ProcessInstance.started_at,
                ProcessInstance.ended_at, ProcessInstance.row_version, ProcessInstance.error_message)
SORTS = ("started_at", "reference", "status", "process", "team")


# --- who ---------------------------------------------------------------------------------

def led_team_ids(user: User) -> list[int]:
    """Teams whose cases ``user`` supervises (empty: not a supervisor)."""
    if not user.has_role(ROLE_LEITUNG):
        return []
    return sorted(user.lead_team_ids)


def led_teams(user: User) -> list[Team]:
    ids = led_team_ids(user)
    if not ids:
        return []
    return list(db.session.scalars(select(Team).where(Team.id.in_(ids)).order_by(Team.name)))


def can_intervene(user: User, instance: ProcessInstance) -> bool:
    """Only a lead of the team that owns the case (Fallverantwortung) steers it."""
    return instance.owner_team_id is not None and instance.owner_team_id in led_team_ids(user)


def visible_models(user: User) -> list[ProcessModel]:
    """Process models a supervisor watches: started by their departments, or with a case of
    one of their teams."""
    teams = led_teams(user)
    if not teams:
        return []
    departments = {t.department for t in teams}
    # EXISTS per version over the index (version_id, owner_team_id): a few index probes instead
    # of a DISTINCT over every case of the teams.
    with_cases = select(ProcessVersion.model_id).where(exists().where(
        ProcessInstance.version_id == ProcessVersion.id,
        ProcessInstance.owner_team_id.in_([t.id for t in teams])))
    models = db.session.scalars(select(ProcessModel).where(ProcessModel.versions.any())
                                .order_by(ProcessModel.name)).all()
    having = set(db.session.scalars(with_cases))
    return [m for m in models if m.id in having or departments & set(m.departments)]


# --- the instance list -------------------------------------------------------------------

@dataclass
class Filters:
    process: str | None = None  # model key
    version: int | None = None  # version number (with process)
    status: str | None = None
    team: str | None = None  # owner team key
    step: str | None = None  # BPMN id of a current task
    overdue: bool = False
    crisis: bool = False
    started_from: date | None = None
    started_to: date | None = None
    sort: str = "started_at"
    descending: bool = True
    page: int = 1
    per_page: int = PER_PAGE


@dataclass
class StepCount:
    bpmn_id: str
    title: str
    cases: int
    overdue: int


@dataclass
class MonitorResult:
    items: list[ProcessInstance]
    total: int
    page: int
    pages: int
    step_counts: list[StepCount]
    current: dict[int, list[Task]] = field(default_factory=dict)  # instance id -> its current tasks


def _local_midnight(day: date) -> datetime:
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Berlin"))
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def conditions(user: User, filters: Filters, now: datetime | None = None) -> list:
    """WHERE clauses on process_instance for the filters, within the user's teams."""
    now = now or utcnow()
    team_ids = led_team_ids(user)
    where: list[ColumnElement[bool]] = [ProcessInstance.owner_team_id.in_(team_ids or [-1]),
                                        *counted_cases(contacts=True)]  # withdrawn cases count nowhere
    if filters.team:
        team_id = db.session.scalar(select(Team.id).where(Team.key == filters.team))
        where.append(ProcessInstance.owner_team_id == (team_id if team_id in team_ids else -1))
    if filters.process or filters.version:
        versions = select(ProcessVersion.id)
        if filters.process:
            versions = versions.join(ProcessModel).where(ProcessModel.key == filters.process)
        if filters.version:
            versions = versions.where(ProcessVersion.number == filters.version)
        where.append(ProcessInstance.version_id.in_(list(db.session.scalars(versions)) or [-1]))
    if filters.status:
        where.append(ProcessInstance.status == filters.status)
    if filters.started_from:
        where.append(ProcessInstance.started_at >= _local_midnight(filters.started_from))
    if filters.started_to:
        where.append(ProcessInstance.started_at < _local_midnight(filters.started_to + timedelta(days=1)))
    if filters.step:
        where.append(ProcessInstance.id.in_(select(Task.instance_id).where(
            Task.status.in_(CURRENT_TASK_STATES), Task.bpmn_id == filters.step)))
    if filters.overdue:
        where.append(ProcessInstance.id.in_(select(Task.instance_id).where(
            Task.status.in_(ACTIVE_TASK_STATES), Task.due_at < now)))
    if filters.crisis:
        where.append(ProcessInstance.id.in_(select(Task.instance_id).where(
            Task.status.in_(ACTIVE_TASK_STATES), Task.crisis.is_(True))))
    return where


def filtered_ids(user: User, filters: Filters, now: datetime | None = None) -> Select:
    """SELECT process_instance.id for the filters, within the user's teams."""
    return select(ProcessInstance.id).where(*conditions(user, filters, now))


def _order(query: Select, filters: Filters) -> Select:
    sort = filters.sort if filters.sort in SORTS else "started_at"
    direction = (lambda c: c.desc()) if filters.descending else (lambda c: c.asc())
    if sort == "team":
        query = query.outerjoin(Team, ProcessInstance.owner_team_id == Team.id)
        keys: list[Any] = [Team.name]
    elif sort == "process":
        query = query.join(ProcessVersion, ProcessInstance.version_id == ProcessVersion.id).join(ProcessModel)
        keys = [ProcessModel.name, ProcessVersion.number]
    else:
        keys = [getattr(ProcessInstance, sort)]
    if sort == "started_at" and filters.descending:  # the default order: open crises on top
        query = query.order_by(case((ProcessInstance.id.in_(open_crisis_case_ids()), 0), else_=1))
    return query.order_by(*[direction(k) for k in keys], direction(ProcessInstance.id))


def monitor_query(user: User, filters: Filters, now: datetime | None = None) -> MonitorResult:
    """One page of the instance list, its total and the counts per current step."""
    now = now or utcnow()
    where = conditions(user, filters, now)
    total = db.session.scalar(select(func.count()).select_from(ProcessInstance).where(*where)) or 0
    per_page = max(1, min(filters.per_page, 200))
    # First the ids of the page (sorted over the narrow index rows), then only those rows and
    # only the listed columns: sorting whole rows would drag every case's workflow state along.
    listing = paginate_ids(
        _order(select(ProcessInstance.id).where(*where), filters),
        lambda page_ids: db.session.scalars(
            select(ProcessInstance).where(ProcessInstance.id.in_(page_ids))
            .options(load_only(*LIST_COLUMNS),
                     selectinload(ProcessInstance.version).selectinload(ProcessVersion.model),
                     selectinload(ProcessInstance.owner_team))),
        filters.page, per_page, total=total)
    items, page, pages = list(listing.items), listing.page, listing.pages
    current: dict[int, list[Task]] = {i.id: [] for i in items}
    if items:
        for task in db.session.scalars(select(Task).where(
                Task.instance_id.in_(list(current)), Task.status.in_(CURRENT_TASK_STATES),
                Task.bpmn_id != TODO_BPMN_ID).order_by(Task.id)):
            current[task.instance_id].append(task)
    return MonitorResult(items=items, total=total, page=page, pages=pages,
                         step_counts=step_counts(where, now, task_conditions(user, filters)), current=current)


def task_conditions(user: User, filters: Filters) -> list | None:
    """The cases of ``conditions`` for the counts per step, as conditions on the task rows' own
    copies of their case's owner team and model -- when the filters ask for no more than a team
    and a process; None for any other filter (the counts then probe the filtered case ids).

    Equivalent because a task row in a current state belongs to a running or suspended case,
    never to a closed or withdrawn one (closing a case cancels its rows), and a case's owner team
    and model never change."""
    if (filters.version or filters.status or filters.step or filters.overdue or filters.crisis
            or filters.started_from or filters.started_to):
        return None
    team_ids = led_team_ids(user) or [-1]
    where: list[ColumnElement[bool]] = [Task.owner_team_id.in_(team_ids)]
    if filters.team:
        team_id = db.session.scalar(select(Team.id).where(Team.key == filters.team))
        where.append(Task.owner_team_id == (team_id if team_id in team_ids else -1))
    if filters.process:
        model_id = db.session.scalar(select(ProcessModel.id).where(ProcessModel.key == filters.process))
        where.append(Task.model_id == (model_id if model_id is not None else -1))
    return where


def step_counts(where: list, now: datetime, task_where: list | None = None) -> list[StepCount]:
    """Cases per current step (and how many of them overdue) among the instances matching ``where``.

    One pass over the covering task index (status, bpmn_id, instance_id, due_at, title); the
    cases come in as ``instance_id IN (ids of the matching cases)``, which the database builds
    once from the instance indexes. (A join would fetch each case row, state and all, from the
    table: seconds at 100,000 cases on SQLite.) A case is counted once per step. With ``task_where``
    (``task_conditions``: only a team and process asked for) it reads one range of the covering
    ix_task_open_by_team per team instead, without the probe.
    """
    overdue = case((Task.status.in_(ACTIVE_TASK_STATES) & (Task.due_at < now), Task.instance_id), else_=None)
    rows = db.session.execute(
        select(Task.bpmn_id, func.min(Task.title), func.count(func.distinct(Task.instance_id)),
               func.count(func.distinct(overdue)))
        .where(Task.status.in_(CURRENT_TASK_STATES), Task.bpmn_id != TODO_BPMN_ID,  # steps only, no to-dos
               *(task_where if task_where is not None  # ix_task_open_by_team: a range per team
                 else [not_indexed(Task.instance_id).in_(select(ProcessInstance.id).where(*where))]))
        .group_by(Task.bpmn_id)
    ).all()
    counts = [StepCount(bpmn_id, title, cases, late) for bpmn_id, title, cases, late in rows]
    return sorted(counts, key=lambda c: (-c.cases, c.title))


def step_choices(user: User) -> list[tuple[str, str]]:
    """User task ids and names of the processes the user watches (for the step filter)."""
    seen: dict[str, str] = {}
    for model in visible_models(user):
        for version in model.versions:
            try:
                tasks = service.parsed_version(version).user_tasks
            except Exception:  # noqa: BLE001 - a version that does not parse has no steps to offer
                continue
            for bpmn_id, info in tasks.items():
                seen.setdefault(bpmn_id, info.title)
    return sorted(seen.items(), key=lambda item: item[1])


# --- the live diagram --------------------------------------------------------------------

def diagram_counts(user: User, version: ProcessVersion, now: datetime | None = None) -> dict[str, dict]:
    """Per BPMN element of ``version``: running cases waiting there, and how many overdue.

    Only cases of the user's teams; tasks of suspended cases are counted as ``paused``.
    """
    now = now or utcnow()
    active = Task.status.in_(ACTIVE_TASK_STATES)
    rows = db.session.execute(
        select(Task.bpmn_id, func.min(Task.title),
               func.count(func.distinct(case((active, Task.instance_id), else_=None))),
               func.count(func.distinct(case((active & (Task.due_at < now), Task.instance_id), else_=None))),
               func.count(func.distinct(case((Task.status == PAUSED, Task.instance_id), else_=None))))
        .join(ProcessInstance, Task.instance_id == ProcessInstance.id)
        .where(Task.status.in_(CURRENT_TASK_STATES), ProcessInstance.version_id == version.id,
               ProcessInstance.owner_team_id.in_(led_team_ids(user) or [-1]))
        .group_by(Task.bpmn_id)
    ).all()
    return {bpmn_id: {"title": title, "waiting": waiting, "overdue": late, "paused": paused}
            for bpmn_id, title, waiting, late, paused in rows}


def case_path(instance: ProcessInstance) -> dict[str, list[str]]:
    """Element ids the case has passed (completed) and where it waits now (current)."""
    rows = db.session.execute(select(Task.bpmn_id, Task.status).where(Task.instance_id == instance.id)).all()
    current = sorted({b for b, s in rows if s in CURRENT_TASK_STATES})
    completed = {b for b, s in rows if s == DONE}
    completed |= _engine_completed(instance)
    return {"completed": sorted(completed - set(current)), "current": current}


def _engine_completed(instance: ProcessInstance) -> set[str]:
    """Events, gateways and tasks the engine completed (for highlighting the path)."""
    return service.completed_element_ids(instance)


@dataclass
class TimelineEntry:
    when: datetime
    what: str
    who: str
    step: str
    duration: timedelta | None = None
    status: str = ""
    reason: str = ""


TASK_STATUS_LABELS = {
    "open": _l("offen"), "claimed": _l("übernommen"), "completed": _l("erledigt"),
    "cancelled": _l("abgebrochen"), PAUSED: _l("pausiert"),
}


def timeline(instance: ProcessInstance, now: datetime | None = None) -> list[TimelineEntry]:
    """Each step (task row: created, completed, by whom, how long) and each other event."""
    now = now or utcnow()
    entries = []
    tasks = db.session.scalars(select(Task).where(Task.instance_id == instance.id)
                               .options(selectinload(Task.completed_by), selectinload(Task.assignee),
                                        selectinload(Task.candidate_team)).order_by(Task.id)).all()
    for task in tasks:
        created, done = aware(task.created_at), aware(task.completed_at)
        if task.completed_by is not None:
            who = task.completed_by.display_name
        elif task.assignee is not None:
            who = task.assignee.display_name
        else:
            who = task.candidate_team.name if task.candidate_team else ""
        end = done or (now if task.status in CURRENT_TASK_STATES else None)
        entries.append(TimelineEntry(when=created, what=task.title, who=who, step=task.bpmn_id,
                                     duration=(end - created) if end and created else None,
                                     status=str(TASK_STATUS_LABELS.get(task.status, task.status))))
    events = db.session.scalars(select(CaseEvent).where(
        CaseEvent.instance_id == instance.id, CaseEvent.kind != "task_completed")
        .options(selectinload(CaseEvent.actor)).order_by(CaseEvent.id)).all()
    for event in events:
        label = event_kinds.label(event.kind) or event.kind
        what = f"{label}: {event.title}" if event.title else str(label)
        data = event.data if isinstance(event.data, dict) else {}
        entries.append(TimelineEntry(when=aware(event.created_at), what=what,
                                     who=event.actor.display_name if event.actor else "",
                                     step="", reason=str(data.get("grund") or "")))
    return sorted(entries, key=lambda e: e.when)


def format_duration(value: timedelta | None) -> str:
    if value is None:
        return "–"
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


@dataclass
class ReassignOptions:
    """Who each open task of a case may be given to (its lane's people and teams: the engine's
    ``eligible``), and the people and teams the form offers (every task's, once each)."""

    by_task: dict[str, tuple[set[str], set[str]]] = field(default_factory=dict)  # task id -> usernames, team keys
    people: list[tuple[str, str]] = field(default_factory=list)
    teams: list[tuple[str, str]] = field(default_factory=list)


def reassign_options(tasks: list[Task]) -> ReassignOptions:
    options = ReassignOptions()
    people: dict[str, str] = {}
    teams: dict[str, str] = {}
    for task in tasks:
        allowed = service.eligible(task)
        options.by_task[str(task.id)] = ({u.username for u in allowed.users}, {t.key for t in allowed.teams})
        people.update((u.username, u.display_name) for u in allowed.users)
        teams.update((t.key, t.name) for t in allowed.teams)
    options.people = sorted(people.items(), key=lambda p: (p[1], p[0]))
    options.teams = sorted(teams.items(), key=lambda t: (t[1], t[0]))
    return options
