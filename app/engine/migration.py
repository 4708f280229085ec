"""Moving running cases to a newer version of their process model, where that is safe.

Safe means: every task the case is waiting on (open user tasks, armed timers and other waiting
events) exists in the new version with the same id and the same type. The workflow is re-bound
with SpiffWorkflow 3.2's own facility (``SpiffWorkflow.bpmn.util.diff``: ``diff_workflow``
aligns the task specs of the old and new version by id, ``migrate_workflow`` swaps the specs and
re-predicts the branches of ready/waiting tasks; their task ids stay, so our task rows stay
valid). The result is verified by a save-and-reload with the new spec before anything is
written; otherwise the migration is refused with the reason and nothing changes.

Note: waiting timers are re-armed by the migration (a duration timer starts again).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.auth.models import User
from app.engine.errors import EngineError
from app.engine.models import ACTIVE_TASK_STATES, BPMN_TASK, RUNNING, ProcessInstance, ProcessVersion, Task
from app.engine.runtime import load_workflow, record, save, script_engine
from app.engine.specs import SpecError
from app.engine.state import _serializer, dump_state, load_state
from app.engine.taskrows import sync_tasks
from app.engine.versions import parsed_version
from app.extensions import db

WAITING = TaskState.READY | TaskState.WAITING | TaskState.STARTED


class MigrationRefused(Exception):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def _type(task_spec) -> str:
    return type(task_spec).__name__


def _plan(instance: ProcessInstance, target: ProcessVersion):
    """(workflow, parsed target, reasons): reasons empty means the migration is safe."""
    current = instance.version
    if instance.status != RUNNING:
        return None, None, [_("Der Fall läuft nicht mehr.")]
    if target.model_id != current.model_id:
        return None, None, [_("Die Version gehört zu einem anderen Verfahren.")]
    if target.number <= current.number:
        return None, None, [_("Der Fall läuft bereits auf Version %(n)s.", n=current.number)]
    try:
        parsed = parsed_version(target)
    except SpecError as exc:
        return None, None, [_("Version %(n)s lässt sich nicht laden: %(e)s", n=target.number, e=exc)]
    old = parsed_version(current)
    workflow = load_workflow(instance, old)
    new_specs = {name: spec for name, spec in parsed.subprocess_specs.items()}
    new_by_id: dict[str, Any] = {}
    for spec in [parsed.spec, *new_specs.values()]:
        for task_spec in spec.task_specs.values():
            new_by_id.setdefault(task_spec.name, task_spec)
    reasons = []
    for spiff_task in workflow.get_tasks(state=WAITING):
        spec = spiff_task.task_spec
        bpmn_id = getattr(spec, "bpmn_id", None)
        if not bpmn_id:
            continue  # engine-internal helpers (start/end markers of a (sub)process)
        candidate = new_by_id.get(spec.name)
        title = getattr(spec, "bpmn_name", None) or bpmn_id
        if candidate is None:
            reasons.append(_("Der Schritt „%(t)s“ (%(id)s), auf den der Fall wartet, fehlt in Version %(n)s.",
                             t=title, id=bpmn_id, n=target.number))
        elif _type(candidate) != _type(spec):
            reasons.append(_("Der Schritt „%(t)s“ (%(id)s) hat in Version %(n)s einen anderen Typ.",
                             t=title, id=bpmn_id, n=target.number))
    for sp in workflow.subprocesses.values():
        if sp.spec.name not in new_specs:
            reasons.append(_("Der Teilprozess „%(id)s“, in dem der Fall steht, fehlt in Version %(n)s.",
                             id=sp.spec.name, n=target.number))
    return workflow, parsed, reasons


def check(instance: ProcessInstance, target: ProcessVersion) -> list[str]:
    """Why ``instance`` cannot move to ``target`` (empty: it can)."""
    try:
        return _plan(instance, target)[2]
    except EngineError as exc:
        return [str(exc)]


def migrate(instance: ProcessInstance, target: ProcessVersion, user: User) -> None:
    """Move ``instance`` to ``target`` or raise ``MigrationRefused``; only flushes."""
    workflow, parsed, reasons = _plan(instance, target)
    if reasons:
        raise MigrationRefused(reasons)
    registry = _serializer().registry
    open_rows = list(db.session.scalars(select(Task).where(
        Task.instance_id == instance.id, Task.status.in_(ACTIVE_TASK_STATES), Task.kind == BPMN_TASK)))
    try:
        top_diff, sub_diffs = diff_workflow(registry, workflow, parsed.spec, parsed.subprocess_specs)
        migrate_workflow(top_diff, workflow, parsed.spec)
        for sp_id, sp in workflow.subprocesses.items():
            migrate_workflow(sub_diffs[sp_id], sp, parsed.subprocess_specs[sp.spec.name])
        workflow.subprocess_specs = parsed.subprocess_specs
        # Verify: the state must load with the new spec alone.
        state = dump_state(workflow)
        workflow = load_state(state, parsed.spec, parsed.subprocess_specs, script_engine())
        workflow.do_engine_steps()
    except Exception as exc:  # noqa: BLE001 - any failure refuses the migration, nothing saved
        raise MigrationRefused([_("Der Zustand des Falls passt nicht zu Version %(n)s (%(e)s).",
                                  n=target.number, e=type(exc).__name__)]) from exc
    ready = {str(t.id) for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
    lost = [row for row in open_rows if row.spiff_task_id not in ready]
    if lost:
        raise MigrationRefused([_("Die offene Aufgabe „%(t)s“ wäre nach dem Wechsel nicht mehr offen.", t=row.title)
                                for row in lost])
    old_number = instance.version.number
    with db.session.no_autoflush:
        instance.version = target
        for row in open_rows:  # names and forms as in the new version
            info = parsed.user_tasks.get(row.bpmn_id)
            if info is not None:
                row.title, row.form_key = info.title[:200], info.form_key
        record(instance, "migrated", f"Version {old_number} → {target.number}", user,
               {"von_version": old_number, "zu_version": target.number})
        sync_tasks(instance, workflow, parsed, completed_row=None, actor=user)
    save(instance, workflow)
