"""Ready user tasks are rows: after every engine step the task table is made to match the
workflow (new READY user tasks in, vanished ones out), with lane routing, due date, crisis
priority and the participants a task brings. Changes when the inbox needs another column or a
lane rule changes, not when the engine's steps do. Other features learn of new rows through
``signals.tasks_assigned`` (e.g. app/notify), sent by ``runtime.save`` after the flush."""

from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.auth.models import Team, User
from app.engine import lanes
from app.engine.clock import engine_now
from app.engine.errors import EngineError
from app.engine.models import (
    ACTIVE_TASK_STATES,
    BPMN_TASK,
    CANCELLED,
    DONE,
    FULL,
    LIMITED,
    OPEN,
    CaseParticipant,
    ProcessInstance,
    Task,
)
from app.engine.specs import ParsedProcess
from app.engine.timers import due_at
from app.extensions import db

NEW_ROWS = "engine.new_task_rows"  # db.session.info key: rows created by the current change


def sync_tasks(instance: ProcessInstance, workflow, parsed: ParsedProcess, completed_row: Task | None,
               actor: User | None, baseline: dict | None = None, fresh: bool = False) -> list[Task]:
    """Make the task rows match the engine: new READY user tasks in, vanished ones out."""
    db.session.info[NEW_ROWS] = []  # rows of this change only (announced by runtime.save)
    ready = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
    rows = db.session.scalars(
        select(Task).where(Task.instance_id == instance.id, Task.status.in_(ACTIVE_TASK_STATES),
                           Task.kind == BPMN_TASK)
    ).all() if not fresh else []  # a case just started has no rows yet; to-dos are not the engine's
    now = engine_now()
    known = set()
    for row in rows:
        known.add(row.spiff_task_id)
        if row.spiff_task_id in ready:
            continue
        if completed_row is not None and row.id == completed_row.id:
            row.status, row.completed_at, row.completed_by = DONE, now, actor
        else:
            row.status = CANCELLED
    created = []
    for spiff_id, spiff_task in ready.items():
        if spiff_id in known:
            continue
        if baseline is not None:
            _adopt_script_results(instance, baseline, spiff_task.data)
        info = parsed.user_tasks.get(spiff_task.task_spec.bpmn_id)
        created.append(_new_task_row(instance, spiff_id, spiff_task, info, now))
    return created


def take_new_rows() -> list[Task]:
    """The rows created since the last ``sync_tasks`` of this session, handed out once."""
    return db.session.info.pop(NEW_ROWS, [])


def cancel_open_rows(instance: ProcessInstance) -> None:
    for row in db.session.scalars(select(Task).where(
            Task.instance_id == instance.id, Task.status.in_(ACTIVE_TASK_STATES))):
        row.status = CANCELLED


def _adopt_script_results(instance: ProcessInstance, baseline: dict, task_data: dict) -> None:
    """Values that scripts set between the completed task and a newly activated one join the
    case file (e.g. the new end date after "fortführen"); plain JSON scalars only.

    Comparing with the completed task's own data (``baseline``) keeps stale copies that other
    parallel branches carry from overwriting newer values.
    """
    data = instance.data or {}
    changed = {k: v for k, v in task_data.items()
               if baseline.get(k) != v and isinstance(v, (str, int, float, bool))}
    if changed:
        instance.data = {**data, **changed}


def _new_task_row(instance, spiff_id, spiff_task, info, now: datetime) -> Task:
    spec = spiff_task.task_spec
    props = info.properties if info else {}
    try:
        # A "lane" property sends one task elsewhere than its lane (e.g. to the Leitung from
        # inside a subprocess drawn in the Fachbereich lane).
        target = lanes.route(props.get("lane") or spec.lane, instance)
    except lanes.RoutingError as exc:
        raise EngineError(str(exc)) from exc
    row = Task(
        instance=instance, spiff_task_id=spiff_id, bpmn_id=spec.bpmn_id,
        title=(info.title if info else spec.bpmn_name) or spec.bpmn_id, lane=spec.lane,
        candidate_team=target.team, assignee=target.user, for_leads=target.for_leads,
        crisis=str(props.get("crisis", "")).lower() == "true",
        priority=1 if str(props.get("crisis", "")).lower() == "true" else 0,
        context=_task_context(spiff_task),
        form_key=info.form_key if info else None, due_at=due_at(spiff_task, props, now), status=OPEN,
        created_at=now,
        iteration=int(spiff_task.internal_data.get("iteration", 0) or 0)
        if hasattr(spiff_task, "internal_data") else 0,
    )
    db.session.add(row)
    db.session.info.setdefault(NEW_ROWS, []).append(row)
    if target.user is not None:
        ensure_user_participant(instance, target.user)
    if target.team is not None and target.team.id != instance.owner_team_id:
        ensure_team_participant(instance, target.team)  # a lane's team changed by its process owner
    return row


def _task_context(spiff_task) -> dict | None:
    """The crisis report a crisis task answers (message payload ``krise``), if any."""
    report = spiff_task.data.get("krise")
    return {"krise": report} if isinstance(report, dict) else None


def add_lane_teams(instance: ProcessInstance, parsed: ParsedProcess) -> None:
    """Fixed-team lanes make those teams participants of every case of the process."""
    seen = set()
    rule_for = lanes.resolver(lanes.instance_model_id(instance))
    for info in parsed.user_tasks.values():
        kind, arg = rule_for(info.lane)
        if kind == lanes.TEAM and arg not in seen:
            seen.add(arg)
            team = db.session.scalar(select(Team).where(Team.key == arg))
            if team is not None:
                db.session.add(CaseParticipant(instance=instance, team_id=team.id, level=FULL, reason="lane"))


def add_data_participants(instance: ProcessInstance, parsed: ParsedProcess, data: dict) -> None:
    """A person chosen in the case data for a lane (the volunteer) takes part from then on."""
    fields = set()
    rule_for = lanes.resolver(lanes.instance_model_id(instance))
    for info in parsed.user_tasks.values():
        kind, arg = rule_for(info.lane)
        if kind == lanes.USER_FROM_DATA and arg and data.get(arg):
            fields.add(arg)
    for field in fields:
        user = db.session.scalar(select(User).where(User.username == str(data[field])))
        if user is not None:
            ensure_user_participant(instance, user)


def ensure_team_participant(instance: ProcessInstance, team: Team) -> None:
    pending = any(isinstance(obj, CaseParticipant) and obj.instance is instance
                  and obj.team_id == team.id for obj in db.session.new)
    if pending or instance.id is None:
        return
    exists = db.session.scalar(select(CaseParticipant.id).where(
        CaseParticipant.instance_id == instance.id, CaseParticipant.team_id == team.id).limit(1))
    if exists is None:
        db.session.add(CaseParticipant(instance=instance, team_id=team.id, level=FULL, reason="lane"))


def ensure_user_participant(instance: ProcessInstance, user: User) -> None:
    pending = any(isinstance(obj, CaseParticipant) and obj.instance is instance
                  and obj.user_id == user.id for obj in db.session.new)
    if pending:
        return
    exists = db.session.scalar(
        select(CaseParticipant.id).where(
            CaseParticipant.instance_id == instance.id, CaseParticipant.user_id == user.id
        )
    )
    if exists is None:
        level = FULL if user.id in (instance.started_by_id, instance.responsible_id) else LIMITED
        db.session.add(CaseParticipant(instance=instance, user_id=user.id, level=level, reason="lane"))
