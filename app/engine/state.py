"""Workflow (de)serialisation without the process spec.

The spec is identical for every instance of a version (about a third of a fresh state), so it
is kept once in the spec cache and only the instance's tasks and data are stored. Completed
iterations of standard loops are pruned before saving: the case history lives in our own
tables, and keeping them would make every save grow with the number of repetitions.
"""

from __future__ import annotations

import json
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import StandardLoopTask
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
_registry = _serializer.registry


def dump_state(workflow: BpmnWorkflow) -> str:
    prune_finished_loop_iterations(workflow)
    _registry._encoder_mode = True
    try:
        dct = _serializer.to_dict(workflow)
        dct.pop("spec", None)
        dct.pop("subprocess_specs", None)
        dct[_serializer.VERSION_KEY] = _serializer.VERSION
        # Encoder mode leaves registered objects (e.g. pending BpmnEvents after a terminate
        # end event) to the serializer's JSON encoder, so it must be used here too.
        return json.dumps(dct, cls=_serializer._encoder_cls, separators=(",", ":"))
    finally:
        _registry._encoder_mode = False


def load_state(state: str, spec, subprocess_specs: dict, script_engine) -> BpmnWorkflow:
    dct = json.loads(state)
    _serializer.migrate(dct)
    workflow = BpmnWorkflow(spec, subprocess_specs, deserializing=True)
    converter = _converter()
    workflow.tasks = converter.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
    workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
    converter.set_default_attributes(workflow, dct)
    converter.subprocesses_from_dict(dct["subprocesses"], workflow)
    workflow.bpmn_events = _registry.restore(dct.pop("bpmn_events", []))
    workflow.script_engine = script_engine
    return workflow


def _converter():
    # The registry keeps bound from_dict methods; the workflow converter is their owner.
    partial_fn = _registry.convert_from_dict["BpmnWorkflow"]
    return partial_fn.args[0].__self__


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
            while stack:
                task = stack.pop()
                stack.extend(t for t in task.children if t is not None)
                if task.id in owner.subprocesses:
                    owner.delete_subprocess(task)
                owner.tasks.pop(task.id, None)
                removed += 1
            loop_task._children.remove(child_id)
    return removed
