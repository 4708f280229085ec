"""Supervisor interventions on a running case: reassign, suspend, resume, terminate, reset.

Each function changes the task rows and (where the engine is involved) the workflow through
the same door as ``actions.py`` (``load_workflow``, ``sync_tasks``, ``save``, ``record``), records a
case event with the reason, and only flushes: the request commits once at its edge. Who may
intervene is decided by the caller (``app.monitor.services.can_intervene``).

Suspending keeps the workflow state untouched: the open task rows get the status ``paused``
(so they leave every inbox and cannot be completed, ``complete_task`` also refuses a case that
is not running), ``next_timer_due`` is cleared (the timer worker only takes running cases) and
resuming restores both. A timer that became due during the suspension fires in the worker's
next round after resuming.
"""

from __future__ import annotations

from uuid import UUID

from flask_babel import gettext as _
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.auth.models import Team, User
from app.engine import participants, signals
from app.engine.clock import engine_now
from app.engine.errors import ConflictError, EngineError, ForbiddenError
from app.engine.locking import flush, take_row
from app.engine.models import (
    ACTIVE_TASK_STATES,
    BPMN_TASK,
    CANCELLED,
    CLAIMED,
    DONE,
    OPEN,
    PAUSED,
    RUNNING,
    SUSPENDED,
    TERMINATED,
    WITHDRAWN,
    CaseEvent,
    ProcessInstance,
    Task,
)
from app.engine.runtime import announce_tasks, dumped_state, load_workflow, record, run_step, save
from app.engine.state import dump_state, load_state
from app.engine.taskrows import sync_tasks
from app.engine.timers import next_timer_due
from app.engine.versions import parsed_version
from app.extensions import db

CURRENT_TASK_STATES = (*ACTIVE_TASK_STATES, PAUSED)  # where a case stands (running or suspended)

# Case event kinds written here (labelled in app/engine/events.py)
REASSIGNED, SUSPENDED_EVENT, RESUMED, TERMINATED_EVENT, RESET, WITHDRAWN_EVENT = (
    "reassigned", "suspended", "resumed", "terminated", "reset", "withdrawn",
)


def _require_status(instance: ProcessInstance, *allowed: str) -> None:
    if instance.status not in allowed:
        if instance.status == SUSPENDED:
            raise ConflictError(_("Der Fall ist angehalten. Bitte zuerst fortsetzen."))
        raise ConflictError(_("Der Fall ist nicht aktiv."))


# --- reassign ----------------------------------------------------------------------------

def reassign(task: Task, actor: User, reason: str, *, user: User | None = None,
             team: Team | None = None) -> Task:
    """Give the open ``task`` to another person (``user``) or another team (``team``).

    Only to whom the task's lane allows (``participants.eligible``; refused with
    ``ForbiddenError`` otherwise, nothing changed); the previous holder's access that only this
    task gave goes with it."""
    if (user is None) == (team is None):
        raise ValueError("exactly one of user and team")
    instance = task.instance
    _require_status(instance, RUNNING)
    if task.status not in ACTIVE_TASK_STATES:
        raise ConflictError(_("Diese Aufgabe ist bereits erledigt."))
    allowed = participants.eligible(task)
    if user is not None and not allowed.allows_user(user):
        raise ForbiddenError(_("%(name)s kann die Aufgabe „%(title)s“ nicht übernehmen: Nur wer in diesem "
                               "Schritt arbeitet, kann sie bekommen.",
                               name=user.display_name, title=task.title))
    if team is not None and not allowed.allows_team(team):
        raise ForbiddenError(_("Das Team „%(name)s“ kann die Aufgabe „%(title)s“ nicht übernehmen.",
                               name=team.name, title=task.title))
    # still as the supervisor saw it (not claimed or moved meanwhile); locked until the commit
    take_row(task, {"status": task.status, "assignee_id": task.assignee_id,
                             "candidate_team_id": task.candidate_team_id})
    before = {"person": task.assignee.username if task.assignee else None,
              "team": task.candidate_team.key if task.candidate_team else None}
    if user is not None:
        task.assignee = user
        task.status = CLAIMED if task.candidate_team_id is not None else OPEN
        participants.grant_user(instance, user)
        after = {"person": user.username, "team": before["team"]}
    else:
        assert team is not None  # exactly one of user and team, checked above
        task.candidate_team = team
        task.assignee = None
        task.for_leads = allowed.for_leads
        task.status = OPEN
        participants.grant_team(instance, team)
        after = {"person": None, "team": team.key}
    task.reminder_sent_at = None
    record(instance, REASSIGNED, task.title, actor, {"grund": reason, "vorher": before, "nachher": after},
            task=task)
    flush()  # the case's row version was bumped by take_row
    participants.release_participants(instance)  # the previous holder keeps only what another reason gives
    announce_tasks(instance, [task], actor=actor)  # app/notify tells the new people (crises also by mail)
    return task


# --- suspend and resume ------------------------------------------------------------------

def suspend(instance: ProcessInstance, actor: User, reason: str) -> None:
    _require_status(instance, RUNNING)
    paused = 0
    for row in _rows(instance, ACTIVE_TASK_STATES):
        row.status = PAUSED
        paused += 1
    instance.status = SUSPENDED
    instance.next_timer_due = None
    record(instance, SUSPENDED_EVENT, "", actor, {"grund": reason, "aufgaben": paused})
    flush()


def resume(instance: ProcessInstance, actor: User, reason: str) -> None:
    _require_status(instance, SUSPENDED)
    parsed = parsed_version(instance.version)
    workflow = load_workflow(instance, parsed)
    for row in _rows(instance, (PAUSED,)):
        # a group task held by someone was claimed; personal and unheld group tasks are open
        row.status = CLAIMED if row.candidate_team_id is not None and row.assignee_id is not None else OPEN
    instance.status = RUNNING
    instance.next_timer_due = next_timer_due(workflow)
    record(instance, RESUMED, "", actor, {"grund": reason})
    flush()


# --- terminate ---------------------------------------------------------------------------

def terminate(instance: ProcessInstance, actor: User, reason: str) -> None:
    """End the case for good: the workflow is cancelled, every open task row cancelled."""
    _end(instance, actor, TERMINATED_EVENT, {"grund": reason}, outcome=None)


def withdraw(instance: ProcessInstance, actor: User) -> None:
    """End a case started by mistake (``outcome`` WITHDRAWN: no list or figure counts it). Whether
    ``actor`` may (the starter, nothing done yet) is the caller's rule (app/cases/withdraw.py)."""
    _end(instance, actor, WITHDRAWN_EVENT, {}, outcome=WITHDRAWN)


def _end(instance: ProcessInstance, actor: User, kind: str, data: dict, outcome: str | None) -> None:
    _require_status(instance, RUNNING, SUSPENDED)
    parsed = parsed_version(instance.version)
    workflow = load_workflow(instance, parsed)
    run_step(workflow.cancel)
    instance.state = dumped_state(workflow)
    cancelled = 0
    for row in _rows(instance, CURRENT_TASK_STATES):
        row.status = CANCELLED
        cancelled += 1
    instance.status = TERMINATED
    instance.ended_at = engine_now()
    instance.next_timer_due = None
    if outcome is not None:
        instance.outcome = outcome
    record(instance, kind, "", actor, {**data, "aufgaben": cancelled})
    signals.case_closed.send(instance, outcome=outcome or TERMINATED)
    flush()
    participants.release_participants(instance)  # nobody keeps access through a cancelled task


# --- reset to an earlier step ------------------------------------------------------------

def reset_targets(instance: ProcessInstance) -> list[Task]:
    """Completed user tasks the case can be reset to (newest row per engine task, oldest first).

    Only tasks the engine still holds as completed qualify: finished iterations of loops are
    pruned from the state, and crisis tasks run beside the case and are never redone.
    """
    if instance.status != RUNNING:
        return []
    rows = db.session.scalars(select(Task).where(Task.instance_id == instance.id, Task.status == DONE,
                                                 Task.crisis.is_(False), Task.kind == BPMN_TASK)
                              .order_by(Task.id)).all()
    if not rows:
        return []
    workflow = load_workflow(instance, parsed_version(instance.version))
    latest: dict[str, Task] = {}
    for row in rows:
        latest[row.spiff_task_id] = row
    targets = []
    for spiff_id, row in latest.items():
        spiff_task = _find(workflow, spiff_id)
        if spiff_task is not None and spiff_task.state == TaskState.COMPLETED and spiff_task.task_spec.manual:
            targets.append(row)
    return sorted(targets, key=lambda r: r.id)


def _find(workflow, spiff_id: str):
    try:
        return workflow.get_task_from_id(UUID(spiff_id))
    except Exception:  # noqa: BLE001 - Spiff raises TaskNotFoundException for pruned tasks
        return None


def reset(instance: ProcessInstance, target: Task, actor: User, reason: str) -> Task:
    """Put the case back to the completed user task ``target`` so that it is done again.

    Everything that happened after ``target`` in its branch is dropped from the engine; the
    task rows of steps that are no longer waiting are cancelled and ``target`` gets a new open
    row, prefilled with what was entered the last time.
    """
    _require_status(instance, RUNNING)
    if target.instance_id != instance.id or target.id not in {r.id for r in reset_targets(instance)}:
        raise ConflictError(_("Auf diesen Schritt kann der Fall nicht zurückgesetzt werden."))
    parsed = parsed_version(instance.version)
    workflow = load_workflow(instance, parsed)

    def step():
        workflow.reset_from_task_id(UUID(target.spiff_task_id))
        workflow.do_engine_steps()
        # Reload from the saved form: the reset leaves the removed branches' timers in the
        # workflow's event manager until the next load, which would keep a stale timer due.
        state = dump_state(workflow)
        spec, subprocess_specs = parsed.specs_for(parsed.triggered_in(state))
        return load_state(state, spec, subprocess_specs, workflow.script_engine)

    workflow = run_step(step)
    previous = db.session.scalar(select(CaseEvent.data).where(
        CaseEvent.instance_id == instance.id, CaseEvent.task_id == target.id,
        CaseEvent.kind == "task_completed").order_by(CaseEvent.id.desc()).limit(1))
    with db.session.no_autoflush:
        record(instance, RESET, target.title, actor, {"grund": reason, "schritt": target.bpmn_id}, task=target)
        created = sync_tasks(instance, workflow, parsed, completed_row=None, actor=actor)
    new_row = next((r for r in created if r.spiff_task_id == target.spiff_task_id), None)
    if new_row is None:
        raise EngineError(_("Der Schritt konnte nicht wieder geöffnet werden."))
    if isinstance(previous, dict):
        new_row.draft = {k: v for k, v in previous.items() if v is not None}
    save(instance, workflow, actor=actor)
    return new_row


def _rows(instance: ProcessInstance, states) -> list[Task]:
    return list(db.session.scalars(select(Task).where(Task.instance_id == instance.id,
                                                      Task.status.in_(states))))
