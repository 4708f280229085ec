"""Evaluate a decision table (DMN) for given data with the real DMN engine and the sandbox.

Used to run the test cases stored with a decision table before it is published: the same
parser, the same ``DMNEngine`` and the same sandboxed script engine as a business rule task.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from app.engine.runtime import script_engine


class _Workflow:
    def __init__(self) -> None:
        self.script_engine = script_engine()


class _Task:
    """What ``DMNEngine.result`` reads of a task: its data and its workflow's script engine."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.workflow = _Workflow()
        self.task_spec = None


def evaluate_decision(dmn_xml: str, decision_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """The outputs a business rule task would merge into the task data (``{}``: no rule matched).

    Raises the engine's exception when the table cannot be parsed or a cell fails.
    """
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_dmn_str(dmn_xml.encode("utf-8"))
    engine = parser.get_engine(decision_id, None)
    return dict(engine.result(_Task(dict(data))))
