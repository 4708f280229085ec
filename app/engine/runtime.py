"""The engine door's primitives: run engine code, load a case's workflow, record history, save.

Every change of a case goes ``load_workflow`` → ``run_step`` (engine code; any failure becomes
an EngineError and nothing is saved) → ``record`` → ``sync_tasks`` → ``save`` (state size limit,
case ending, next timer, optimistic lock through the flush). Services only flush; the request or
CLI command commits once at its edge. The operations built on this door are in ``actions``
(start, complete, claim), ``interventions`` and ``migration``; domain rules live in the features.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from app.engine import signals
from app.engine.clock import engine_now
from app.engine.errors import ConflictError, EngineError
from app.engine.isolation import make_script_engine
from app.engine.locking import flush
from app.engine.models import ACTIVE_TASK_STATES, COMPLETED, CaseEvent, ProcessInstance, Task
from app.engine.participants import release_participants
from app.engine.specs import ParsedProcess
from app.engine.state import dump_state, load_state
from app.engine.taskrows import cancel_open_rows, take_new_rows
from app.engine.timers import next_timer_due
from app.engine.versions import parsed_version
from app.extensions import db

# Workflows with nested subprocesses recurse in Spiff; loops are kept flat by pruning.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))


def script_engine():
    """The sandboxed script engine with this app's limits (a fresh one per loaded workflow)."""
    config = current_app.config
    return make_script_engine(
        timeout=config["SCRIPT_TIMEOUT_SECONDS"], memory_mb=config["SANDBOX_MEMORY_MB"],
        kill_grace=config["SANDBOX_KILL_GRACE_SECONDS"], max_data_bytes=config["CASE_DATA_MAX_BYTES"],
        max_processes=config["SANDBOX_MAX_PROCESSES"], idle_processes=config["SANDBOX_IDLE_PROCESSES"],
        total_seconds=config["SCRIPT_TOTAL_SECONDS"],
    )


def run_step(fn):
    """Run engine code; any failure becomes an EngineError with a readable message."""
    try:
        return fn()
    except (ConflictError, EngineError):
        raise
    except Exception as exc:  # noqa: BLE001 - the engine raises anything; report, save nothing
        current_app.logger.warning("engine step failed: %s", exc, exc_info=True)
        detail = getattr(exc, "error_msg", None) or str(exc) or type(exc).__name__
        cause = exc.__cause__ or exc.__context__  # Spiff wraps e.g. a failing condition's error
        if cause is not None and str(cause) and str(cause) not in detail:
            detail = f"{detail.strip().rstrip('.')}: {type(cause).__name__}: {cause}"
        raise EngineError(_("Der Prozess konnte nicht fortgesetzt werden: %(detail)s", detail=detail)) from exc


def new_workflow(parsed: ParsedProcess):
    """A fresh workflow of ``parsed`` after its first engine steps."""
    def start():
        workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=script_engine())
        workflow.do_engine_steps()
        return workflow

    return run_step(start)


def load_workflow(instance: ProcessInstance, parsed: ParsedProcess, also_triggered: frozenset[str] = frozenset()):
    """The case's workflow, on the spec variant its triggered event subprocesses need (plus
    ``also_triggered``, for a message about to start one: see ``ParsedProcess.specs_for``)."""
    spec, subprocess_specs = parsed.specs_for(parsed.triggered_in(instance.state) | also_triggered)
    connect_loops(spec, subprocess_specs)
    return run_step(lambda: load_state(instance.state, spec, subprocess_specs, script_engine()))


def connect_loops(spec, subprocess_specs: dict) -> None:
    """Let every loop (standard or multi-instance) hear its iterations complete.

    SpiffWorkflow connects a loop's ``merge_child`` to the completion of the looped task spec
    only when it creates an iteration (``LoopTask.create_child``), on the spec object in memory;
    the serialized state does not carry it. A spec parsed anew (a fresh worker process, a spec
    cache miss) that loads a case whose iteration already exists would complete that iteration
    without merging it: the loop would silently stop (measured: the volunteer's Rückmeldung loop
    of Alltagsbegleitung ended after a restart). Connecting is idempotent and what SpiffWorkflow
    itself does on the next ``create_child``."""
    for flow in (spec, *subprocess_specs.values()):
        for task_spec in flow.task_specs.values():
            merge = getattr(task_spec, "merge_child", None)
            inner = getattr(task_spec, "task_spec", None)
            if merge is None or not isinstance(inner, str) or inner not in flow.task_specs:
                continue
            completed = flow.task_specs[inner].completed_event
            if not completed.is_connected(merge):
                completed.connect(merge)


def message_definition(parsed: ParsedProcess, name: str):
    """The event definition of the message ``name`` somewhere in the process, or None."""
    for spec in [parsed.spec, *parsed.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            if definition is not None and getattr(definition, "name", None) == name:
                return definition
    return None


def catch_message(workflow, definition, payload: dict) -> None:
    """Send a message (``message_definition``) with ``payload`` into the workflow and run on."""
    def step():
        workflow.catch(BpmnEvent(definition, payload=payload))
        workflow.do_engine_steps()

    run_step(step)


def completed_element_ids(instance: ProcessInstance) -> set[str]:
    """BPMN ids of the events, gateways and tasks the engine completed in this case (the path
    shown in the monitor); empty if the state cannot be loaded."""
    if not instance.state:
        return set()
    try:
        workflow = load_workflow(instance, parsed_version(instance.version))
    except Exception:  # noqa: BLE001 - the caller still shows the path from the task rows
        return set()
    return {bpmn_id for spiff_task in workflow.get_tasks(state=TaskState.COMPLETED)
            if (bpmn_id := getattr(spiff_task.task_spec, "bpmn_id", None))}


def scrub_state(instance: ProcessInstance, keep: Callable[[dict], dict]) -> int:
    """Filter every data dictionary of the case's stored workflow through ``keep`` (a function
    returning the part of a dict that may stay): the workflow's data, each subprocess's data,
    the data of every task and the payloads of pending events. Deserialises the state, filters
    and serialises it back (``instance.state``); the workflow is not run. Used to erase personal
    data (app/erasure) while the running case goes on with the kept keys. Returns how many data
    dictionaries were filtered; nothing happens for a case without a state."""
    if not instance.state:
        return 0
    workflow = load_workflow(instance, parsed_version(instance.version))
    count = 0
    for flow in [workflow, *workflow.subprocesses.values()]:
        if isinstance(flow.data, dict):
            flow.data = keep(flow.data)
            count += 1
        for spiff_task in flow.tasks.values():
            if isinstance(spiff_task.data, dict):
                spiff_task.data = keep(spiff_task.data)
                count += 1
    for event in workflow.bpmn_events:
        if isinstance(getattr(event, "payload", None), dict):
            event.payload = keep(event.payload)
            count += 1
    instance.state = dumped_state(workflow)
    return count


def record(instance, kind, title, actor, data, task: Task | None = None) -> None:
    """Append to the case history. ``title`` is data (a task name), never translated text:
    the case view labels each kind in the reader's language."""
    db.session.add(CaseEvent(instance=instance, kind=kind, title=str(title), actor=actor,
                             data=data, task=task))


def dumped_state(workflow) -> str:
    """The workflow's state to store, refused (EngineError, nothing saved) above
    ``CASE_STATE_MAX_BYTES``: a case state is loaded and written on every step of the case."""
    state = run_step(lambda: dump_state(workflow))
    limit = current_app.config["CASE_STATE_MAX_BYTES"]
    if len(state) > limit:
        raise EngineError(_(
            "Der Prozess konnte nicht fortgesetzt werden: Die Falldaten wären zu groß "
            "(%(size)s MB, erlaubt sind %(limit)s MB).",
            size=format_decimal(round(len(state) / 2**20, 1)), limit=format_decimal(round(limit / 2**20, 1))))
    return state


def save(instance: ProcessInstance, workflow, actor=None) -> None:
    """Store the workflow in the case (ending it if an end event says so), flush under the
    optimistic lock, drop the access rows whose reason this change took away and announce the task
    rows this change created (``actor``: who made the change, not told of tasks they gave themselves)."""
    ending = _case_ending(workflow)
    if ending is not None and not workflow.is_completed():
        run_step(workflow.cancel)
        cancel_open_rows(instance)
    instance.state = dumped_state(workflow)
    instance.next_timer_due = next_timer_due(workflow)
    instance.error_message = None  # a step went through: an earlier timer error is over
    if workflow.is_completed():
        instance.status = COMPLETED
        instance.ended_at = engine_now()
        instance.outcome = ending or (instance.data or {}).get("ergebnis") or "abgeschlossen"
        record(instance, "completed", "", None, {"ergebnis": instance.outcome})
        signals.case_closed.send(instance, outcome=instance.outcome)
    flush()
    release_participants(instance)  # what a done task or a replaced volunteer gave goes at once
    announce_tasks(instance, take_new_rows(), actor=actor)


def announce_tasks(instance: ProcessInstance, rows: list[Task], actor=None) -> None:
    """Tell other features (app/notify: the people of each task, crises also by mail) about task
    rows that reached new people. After the flush (the rows need their ids for links), in the same
    transaction: a rolled-back change announces nothing. What the receivers add (notifications,
    mails) goes out with the next flush or the commit: no flush of its own."""
    rows = [row for row in rows if row.status in ACTIVE_TASK_STATES]
    if rows:
        signals.tasks_assigned.send(instance, tasks=rows, actor=actor)


def _case_ending(workflow) -> str | None:
    """The outcome of a reached end event marked ``endsCase`` (ends the whole case), if any.

    BPMN's terminate end event only ends its own (sub)process; an end event inside an event
    subprocess that must end the case carries ``endsCase=true`` and an ``outcome``.
    """
    for spiff_task in workflow.get_tasks(state=TaskState.COMPLETED):
        props = (getattr(spiff_task.task_spec, "extensions", None) or {}).get("properties") or {}
        if str(props.get("endsCase", "")).lower() == "true":
            return props.get("outcome") or "beendet"
    return None
