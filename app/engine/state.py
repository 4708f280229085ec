"""Workflow (de)serialisation without the process spec.

The spec is identical for every instance of a version (about a third of a fresh state), so it
is kept once in the spec cache and only the instance's tasks and data are stored. Completed
iterations of standard loops are pruned before saving: the case history lives in our own
tables, and keeping them would make every save grow with the number of repetitions.
"""

from __future__ import annotations

import json
import threading
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import StandardLoopTask
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

# The serializer's registry carries a mode flag (``_encoder_mode``) that serialising switches
# on and off, so each thread gets its own serializer: requests run in parallel threads.
_local = threading.local()


def _serializer() -> BpmnWorkflowSerializer:
    serializer = getattr(_local, "serializer", None)
    if serializer is None:
        serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        _local.serializer = serializer
    return serializer


def dump_state(workflow: BpmnWorkflow) -> str:
    prune_finished_loop_iterations(workflow)
    serializer = _serializer()
    registry = serializer.registry
    registry._encoder_mode = True
    try:
        dct = serializer.to_dict(workflow)
        dct.pop("spec", None)
        dct.pop("subprocess_specs", None)
        dct[serializer.VERSION_KEY] = serializer.VERSION
        # Encoder mode leaves registered objects (e.g. pending BpmnEvents after a terminate
        # end event) to the serializer's JSON encoder, so it must be used here too.
        return json.dumps(dct, cls=serializer._encoder_cls, separators=(",", ":"))
    finally:
        registry._encoder_mode = False


def load_state(state: str, spec, subprocess_specs: dict, script_engine) -> BpmnWorkflow:
    dct = json.loads(state)
    serializer = _serializer()
    serializer.migrate(dct)
    workflow = BpmnWorkflow(spec, subprocess_specs, deserializing=True)
    # The registry keeps partials of bound from_dict methods; the workflow converter owns them.
    converter = serializer.registry.convert_from_dict["BpmnWorkflow"].args[0].__self__
    workflow.tasks = converter.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
    workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
    converter.set_default_attributes(workflow, dct)
    converter.subprocesses_from_dict(dct["subprocesses"], workflow)
    workflow.bpmn_events = serializer.registry.restore(dct.pop("bpmn_events", []))
    workflow.script_engine = script_engine
    return workflow


def prune_finished_loop_iterations(workflow: BpmnWorkflow) -> int:
    """Drop the task subtrees (and subprocesses) of completed standard-loop iterations."""
    removed = 0
    for loop_task in workflow.get_tasks():
        spec = loop_task.task_spec
        if not isinstance(spec, StandardLoopTask):
            continue
        owner = loop_task.workflow
        for child_id in list(loop_task._children):
            child = owner.tasks.get(child_id)
            if child is None:
                loop_task._children.remove(child_id)
                continue
            if child.state != TaskState.COMPLETED or child.task_spec.name != spec.task_spec:
                continue
            stack = [child]
            top = owner.top_workflow  # subprocesses are kept by the top workflow (nested loops)
            while stack:
                task = stack.pop()
                stack.extend(t for t in task.children if t is not None)
                if task.id in top.subprocesses:
                    _delete_subprocess_tree(top, task.id)
                owner.tasks.pop(task.id, None)
                removed += 1
            loop_task._children.remove(child_id)
    return removed


def _delete_subprocess_tree(top: BpmnWorkflow, task_id) -> None:
    """Drop a subprocess and the subprocesses nested in it, without Spiff's
    ``delete_subprocess`` (it resolves every subprocess's parent task, which fails once an
    earlier pruned iteration's tasks are gone)."""
    sub = top.subprocesses.pop(task_id, None)
    if sub is None:
        return
    for nested_id in [t_id for t_id in sub.tasks if t_id in top.subprocesses]:
        _delete_subprocess_tree(top, nested_id)
