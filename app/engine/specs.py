"""Parsing BPMN into SpiffWorkflow specs, cached per process version."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser


class SpecError(Exception):
    """A BPMN file that cannot be turned into an executable process."""


@dataclass
class TaskInfo:
    """What the task rows need to know about a user task, read from its spec."""

    bpmn_id: str
    title: str
    lane: str | None
    form_key: str | None
    due_in: str | None
    properties: dict = field(default_factory=dict)


@dataclass
class ParsedProcess:
    process_id: str
    name: str
    spec: object
    subprocess_specs: dict
    user_tasks: dict[str, TaskInfo]


def parse_bpmn(xml: str | bytes, process_id: str) -> ParsedProcess:
    """Parse and XSD-validate a BPMN document and return the executable process ``process_id``."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_str(data)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        raise SpecError(str(exc)) from exc
    except Exception as exc:  # the parser raises many kinds; none may escape as a 500
        raise SpecError(f"{type(exc).__name__}: {exc}") from exc
    user_tasks: dict[str, TaskInfo] = {}
    for s in [spec, *subprocess_specs.values()]:
        for task_spec in s.task_specs.values():
            if not getattr(task_spec, "manual", False):
                continue
            props = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
            user_tasks[task_spec.bpmn_id] = TaskInfo(
                bpmn_id=task_spec.bpmn_id,
                title=task_spec.bpmn_name or task_spec.bpmn_id,
                lane=task_spec.lane,
                form_key=props.get("formKey"),
                due_in=props.get("dueIn"),
                properties=dict(props),
            )
    return ParsedProcess(
        process_id=process_id,
        name=getattr(spec, "description", None) or process_id,
        spec=spec,
        subprocess_specs=subprocess_specs,
        user_tasks=user_tasks,
    )


class SpecCache:
    """Parsed specs by content hash and process id: the same text always parses the same."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], ParsedProcess] = {}

    def get(self, content_hash: str, xml, process_id: str) -> ParsedProcess:
        """``xml`` is the BPMN text or a function returning it (called only on a miss)."""
        key = (content_hash, process_id)
        with self._lock:
            parsed = self._items.get(key)
        if parsed is None:
            parsed = parse_bpmn(xml() if callable(xml) else xml, process_id)
            with self._lock:
                self._items[key] = parsed
        return parsed

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


spec_cache = SpecCache()
