"""What people (and the timer worker) do to a case through the engine: start it, complete a
task, claim or give back a task, let due timers fire. Each is load → run → record → sync →
save on the door in ``runtime``, under the optimistic lock of ``locking``; only flushes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from flask_babel import gettext as _
from SpiffWorkflow.util.task import TaskState

from app.auth import deputies
from app.auth.models import Team, User
from app.engine import signals
from app.engine.clock import engine_time
from app.engine.errors import ConflictError, EngineError, ForbiddenError
from app.engine.locking import check_unchanged, flush, fresh_row, take_row, write_conflicts
from app.engine.modelrules import lane_rules_memo
from app.engine.models import (
    ACTIVE_TASK_STATES,
    BPMN_TASK,
    CLAIMED,
    FULL,
    OPEN,
    RUNNING,
    CaseParticipant,
    ProcessInstance,
    ProcessModel,
    Task,
)
from app.engine.runtime import load_workflow, new_workflow, record, run_step, save
from app.engine.taskrows import add_data_participants, add_lane_teams, sync_tasks
from app.engine.timers import timer_events
from app.engine.versions import latest_version, parsed_version
from app.extensions import db
from app.timeutil import utcnow


def start_instance(model: ProcessModel, user: User, team: Team, draft: dict | None = None) -> ProcessInstance:
    version = latest_version(model)
    if version is None:
        raise EngineError(_("Für diesen Prozess ist keine Version veröffentlicht."))
    parsed = parsed_version(version)
    instance = ProcessInstance(
        reference=uuid4().hex[:20], version=version, owner_team=team, started_by=user,
        data={}, state="",
    )
    db.session.add(instance)
    db.session.flush()
    year = utcnow().year
    instance.reference = f"{model.reference_prefix}-{year}-{instance.id:05d}"
    db.session.add(CaseParticipant(instance=instance, team_id=team.id, level=FULL, reason="owner",
                                   leads_only=bool(model.confidential)))
    add_lane_teams(instance, parsed)

    workflow = new_workflow(parsed)
    new_tasks = sync_tasks(instance, workflow, parsed, completed_row=None, actor=user, fresh=True)
    if draft and new_tasks:
        new_tasks[0].draft = draft
    record(instance, "started", "", user, None)
    save(instance, workflow, actor=user)
    signals.case_started.send(instance, user=user)
    return instance


def complete_task(task: Task, user: User, data: dict) -> ProcessInstance:
    """Complete ``task`` with validated, JSON-plain ``data`` and run the engine onwards."""
    instance = task.instance
    if task.status not in ACTIVE_TASK_STATES:
        raise ConflictError(_("Diese Aufgabe ist bereits erledigt."))
    if task.kind != BPMN_TASK:
        raise EngineError(_("Diese Aufgabe hat kein Formular; sie wird als erledigt oder verworfen markiert."))
    standing_in_for = _standing_in_for(task, user)
    if task.assignee_id is not None and task.assignee_id != user.id and standing_in_for is None:
        raise ConflictError(_("Diese Aufgabe wurde von einer anderen Person übernommen."))
    if instance.status != RUNNING:
        raise ConflictError(_("Der Fall ist nicht aktiv."))
    check_unchanged(task, instance)
    parsed = parsed_version(instance.version)
    workflow = load_workflow(instance, parsed)
    spiff_task = workflow.get_task_from_id(UUID(task.spiff_task_id))
    if spiff_task is None or spiff_task.state != TaskState.READY:
        raise ConflictError(_("Diese Aufgabe ist bereits erledigt."))

    def step():
        spiff_task.data.update(data)
        spiff_task.run()
        baseline.update(spiff_task.data)
        workflow.do_engine_steps()

    baseline: dict = {}
    run_step(step)
    with write_conflicts(task):  # the flush in save writes everything at once; a race surfaces there
        _apply_completion(instance, task, user, data, parsed, workflow, baseline, standing_in_for)
    return instance


def _standing_in_for(task: Task, user: User) -> User | None:
    """The absent colleague whose personal task ``user`` works on as their substitute."""
    if task.assignee_id is None or task.assignee_id == user.id:
        return None
    return task.assignee if task.assignee_id in deputies.covered_user_ids(user) else None


def _apply_completion(instance, task, user, data, parsed, workflow, baseline,
                      standing_in_for: User | None = None) -> None:
    with db.session.no_autoflush, lane_rules_memo():
        if standing_in_for is not None:
            record(instance, "cover", task.title, user, {"vertretung_fuer": standing_in_for.username},
                   task=task)
        task.assignee = user
        instance.data = {**(instance.data or {}), **data}
        record(instance, "task_completed", task.title, user, data, task=task)
        add_data_participants(instance, parsed, data)
        sync_tasks(instance, workflow, parsed, completed_row=task, actor=user, baseline=baseline)
        signals.task_completing.send(instance, task=task, user=user, data=data)  # e.g. the case's title
    save(instance, workflow, actor=user)
    # e.g. app/mbe: link the client, write statistics rows; app/plans: the support plan
    signals.task_completed.send(instance, task=task, user=user, data=data)


def claim_task(task: Task, user: User) -> None:
    if task.status not in ACTIVE_TASK_STATES:
        raise ConflictError(_("Diese Aufgabe ist bereits erledigt."))
    if task.assignee_id == user.id:
        return
    if task.assignee_id is not None:
        raise ConflictError(_("Diese Aufgabe wurde bereits von einer anderen Person übernommen."))
    if task.candidate_team_id not in (user.lead_team_ids if task.for_leads else user.member_team_ids):
        raise ForbiddenError(_("Sie gehören nicht zur Gruppe dieser Aufgabe."))
    task_id = task.id
    try:
        take_row(task, {"status": task.status, "assignee_id": None}, assignee_id=user.id, status=CLAIMED)
    except ConflictError:
        if fresh_row(task_id) == (CLAIMED, user.id):
            return  # the same person pressed twice: the first press took the task
        raise
    record(task.instance, "claimed", task.title, user, None, task=task)


def unclaim_task(task: Task, user: User) -> None:
    if task.status != CLAIMED or task.candidate_team_id is None:
        raise ConflictError(_("Diese Aufgabe kann nicht zurückgegeben werden."))
    if task.assignee_id != user.id and _standing_in_for(task, user) is None:
        raise ForbiddenError(_("Nur die Person, die die Aufgabe übernommen hat, kann sie zurückgeben."))
    take_row(task, {"status": CLAIMED, "assignee_id": task.assignee_id}, assignee_id=None, status=OPEN)
    record(task.instance, "unclaimed", task.title, user, None, task=task)


def fire_timers(instance: ProcessInstance, now: datetime) -> list[str]:
    """Let the timers of ``instance`` that are due at ``now`` fire; returns their names.

    Runs the engine as if it were ``now`` (``flask timers fire-due --now``), syncs task rows
    and records each fired timer in the case history.
    """
    if instance.status != RUNNING:
        instance.next_timer_due = None
        flush()
        return []
    parsed = parsed_version(instance.version)
    workflow = load_workflow(instance, parsed)
    with engine_time(now):
        before = timer_events(workflow)

        def step():
            workflow.refresh_timers()
            workflow.do_engine_steps()

        run_step(step)
        after = timer_events(workflow)
        fired = [name for name, moment in before.items() if moment <= now and name not in after]
        with db.session.no_autoflush:
            for name in fired:
                record(instance, "timer", name, None, None)
                signals.timer_fired.send(instance, name=name, due_at=before[name])
            sync_tasks(instance, workflow, parsed, completed_row=None, actor=None, fresh=False,
                       baseline={})
        save(instance, workflow)
    return fired
