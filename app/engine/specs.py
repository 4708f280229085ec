"""Parsing BPMN into SpiffWorkflow specs, cached per process version."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import has_app_context
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
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
    # Decision tables (DMN) parsed into the spec: decision id -> content hash.
    decisions: dict[str, str] = field(default_factory=dict)
    # Copies of (spec, subprocess_specs) with triggered event subprocesses connected (see below).
    _variants: dict[frozenset[str], tuple[object, dict]] = field(default_factory=dict, repr=False)

    @property
    def trigger_specs(self) -> list[str]:
        """Event subprocesses started by a message or signal (not part of the graph until then)."""
        return list(getattr(self.spec.start, "trigger_specs", []))  # type: ignore[attr-defined]

    def triggered_in(self, state: str | None) -> frozenset[str]:
        """The event subprocesses a stored state has started (its tasks name them as task_spec)."""
        if not state:
            return frozenset()
        return frozenset(name for name in self.trigger_specs if f'"task_spec":"{name}"' in state)

    def specs_for(self, triggered: frozenset[str]) -> tuple[object, dict]:
        """(spec, subprocess_specs) for a workflow in which ``triggered`` event subprocesses run.

        SpiffWorkflow connects an event subprocess into the process *spec* when a message starts
        it (``BpmnStartTask.trigger_wf``: start -> subprocess -> end) and relies on that edge for
        the rest of that workflow's life. Its own serializer stores the spec with every instance;
        we share one parsed spec per version, so that edge must neither leak into the shared spec
        (every later case would start with the subprocess) nor be missing when a case with a
        running or finished crisis is loaded by another process. Each combination gets its own
        connected deep copy (about 6 ms, once per process and version).
        """
        if not triggered:
            return self.spec, self.subprocess_specs
        with _VARIANTS_LOCK:
            variant = self._variants.get(triggered)
            if variant is None:
                spec, subprocess_specs = copy.deepcopy((self.spec, self.subprocess_specs))
                start = spec.start  # type: ignore[attr-defined]
                for name in sorted(triggered):
                    task_spec = spec.task_specs.get(name)  # type: ignore[attr-defined]
                    if task_spec is not None and start not in task_spec.inputs:
                        start.connect(task_spec)
                        task_spec.connect(spec.end)  # type: ignore[attr-defined]
                variant = self._variants[triggered] = (spec, subprocess_specs)
        return variant


_VARIANTS_LOCK = threading.Lock()


# Where the current decision tables (DMN) come from: app/decisions registers its store here
# (``provide_decisions``), so that the engine does not import the feature that builds on it.
_decision_sources: Callable[[], list[tuple[str, str, str]]] | None = None
_decision_hashes: Callable[[list[str]], dict[str, str]] | None = None


def provide_decisions(sources: Callable[[], list[tuple[str, str, str]]],
                      hashes: Callable[[list[str]], dict[str, str]]) -> None:
    """Register the store of decision tables: ``sources()`` gives (id, hash, DMN text) of every
    current table, ``hashes(ids)`` the current hash of each of ``ids``."""
    global _decision_sources, _decision_hashes
    _decision_sources, _decision_hashes = sources, hashes


def _current_decisions(data: bytes) -> list[tuple[str, str, str]]:
    """The current decision tables (id, hash, DMN text) for a BPMN that calls any (app/decisions)."""
    if b"businessRuleTask" not in data or not has_app_context() or _decision_sources is None:
        return []
    return _decision_sources()


def _current_decision_hashes(ids: list[str]) -> dict[str, str]:
    return _decision_hashes(ids) if _decision_hashes is not None else {}


def parse_bpmn(xml: str | bytes, process_id: str,
               dmn: list[tuple[str, str, str]] | None = None, *, schema: bool = True) -> ParsedProcess:
    """Parse and XSD-validate a BPMN document and return the executable process ``process_id``.

    ``dmn`` are the decision tables (id, hash, DMN text) business rule tasks may call; by default
    the current versions stored in ``app.decisions`` (only for a BPMN with business rule tasks).
    ``schema=False`` skips the XSD check (the modeler's validation reports schema errors itself
    and still wants the engine's view of a file that breaks the schema).
    """
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    parser = SpiffBpmnParser(validator=VALIDATOR if schema else None)
    decisions = _current_decisions(data) if dmn is None else dmn
    try:
        for _decision_id, _hash, dmn_text in decisions:
            parser.add_dmn_str(dmn_text.encode("utf-8") if isinstance(dmn_text, str) else dmn_text)
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
        decisions={decision_id: digest for decision_id, digest, _text in decisions},
    )


# --- what other features may ask of the BPMN/DMN machinery (they never import SpiffWorkflow) ----

def bpmn_schema():
    """SpiffWorkflow's XSD validator (BPMN 2.0 plus its extensions): ``preprocess(tree)`` and
    ``validator`` (an lxml XMLSchema). Not thread-safe: callers serialise its use."""
    return VALIDATOR


def is_iso_duration(value: str) -> bool:
    """Whether the engine accepts ``value`` as an ISO 8601 duration (``P10D``, ``PT4H``)."""
    try:
        TimerEventDefinition.parse_iso_duration(value)
    except Exception:  # noqa: BLE001 - the engine raises several kinds for bad input
        return False
    return value.upper().startswith("P")


def is_iso_recurrence(value: str) -> bool:
    """Whether the engine accepts ``value`` as an ISO 8601 repetition (``R3/PT1H``)."""
    try:
        TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception:  # noqa: BLE001
        return False
    return True


def check_decision_table(dmn_xml: str, decision_id: str) -> None:
    """Parse a DMN document the way a business rule task will; raises the parser's error."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_dmn_str(dmn_xml.encode("utf-8"))
    parser.get_engine(decision_id, None)


class SpecCache:
    """Parsed specs by content hash and process id: the same text always parses the same."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], ParsedProcess] = {}

    def get(self, content_hash: str, xml, process_id: str) -> ParsedProcess:
        """``xml`` is the BPMN text or a function returning it (called only on a miss).

        A spec with decision tables is valid only while their stored hashes are the current ones:
        a decision table saved by a process owner is parsed in (and used) from then on.
        """
        key = (content_hash, process_id)
        with self._lock:
            parsed = self._items.get(key)
        if parsed is not None and parsed.decisions:
            if _current_decision_hashes(list(parsed.decisions)) != parsed.decisions:
                parsed = None
        if parsed is None:
            parsed = parse_bpmn(xml() if callable(xml) else xml, process_id)
            with self._lock:
                self._items[key] = parsed
        return parsed

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


spec_cache = SpecCache()
