"""Dry run of a process draft: a throw-away workflow in memory, nothing stored.

A process owner runs a draft with test data before publishing (app/modeler/dryrun.py): the draft's
BPMN is parsed anew (``specs.parse_bpmn`` with the current decision tables, like the runtime), a
workflow is created in memory with the sandboxed script engine the runtime uses (scripts,
conditions, timer and due-date expressions stay sandboxed and time-limited) and run step by step
on a clock of its own (``clock.engine_time``): nothing reads the wall clock, and "letting time
pass" only moves this clock.

At each ready user task the caller's ``answer`` says what to do with it: ``None`` (no test data:
the run stops there, that is the form the user is asked next), an ``Answer`` with the validated
values (the task is completed with them) or with field errors (the run stops, the errors are
reported). When nothing can go on, a waiting timer is fired if the caller asked for it
(``fire``: timer element ids, each consumed once).

The run records the path (BPMN ids in the order they completed), each gateway's decision, every
timer that was set (with its due moment against the run's clock, and whether it fired, was
cancelled or is still waiting) and the user tasks with their due dates.

Nothing here touches the database, sends an engine signal or writes a case event: there is no
``ProcessInstance``; ``runtime.save``, ``sync_tasks`` and ``record`` are never called.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.util.task import TaskState

from app.engine.clock import engine_time
from app.engine.errors import EngineError
from app.engine.runtime import run_step, script_engine
from app.engine.specs import SpecError, parse_bpmn
from app.engine.timers import due_at

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
#: Upper bound of user task completions and timer firings in one dry run (loops end by data).
MAX_STEPS = 200
_PREDICTED = TaskState.MAYBE | TaskState.LIKELY
_TICK = timedelta(microseconds=1)  # a timer fires strictly after its due moment


class DryRunError(Exception):
    """The draft cannot be run at all (``str()``: a German message)."""


@dataclass
class ReadyTask:
    """A user task the run reached: what the caller needs to validate test data for it."""

    element_id: str
    name: str
    lane: str | None
    form_key: str | None
    occurrence: int  # how often this element was completed before in this run (loops)
    data: dict  # the task's data (JSON-plain): the case data a form sees
    now: datetime  # the run's clock when the task became ready
    due: datetime | None


@dataclass
class Answer:
    """``values`` complete the task; ``errors`` (field -> messages) stop the run."""

    values: dict | None = None
    errors: dict[str, list[str]] | None = None


@dataclass
class TaskRecord:
    element_id: str
    name: str
    lane: str | None
    form_key: str | None
    occurrence: int
    due: datetime | None
    # "completed", "invalid" (the test data did not pass), "waiting" (no test data: the form the
    # user is asked next), "cancelled" (taken away by a timer while waiting)
    status: str
    errors: dict[str, list[str]] = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)  # task data when it was reached


@dataclass
class GatewayDecision:
    element_id: str
    name: str
    flow_id: str | None
    flow_name: str
    target_id: str
    target_name: str


@dataclass
class TimerRecord:
    element_id: str
    name: str
    kind: str  # "intermediate", "boundary", "start"
    set_at: datetime
    due: datetime | None
    status: str = "waiting"  # "waiting", "fired", "cancelled"
    attached_to: str | None = None  # the activity of a boundary timer


@dataclass
class DryRunResult:
    started_at: datetime
    now: datetime  # the run's clock at the end (moved by fired timers)
    path: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # element id -> name (of every named element)
    kinds: dict[str, str] = field(default_factory=dict)  # element id -> BPMN element type (userTask, ...)
    tasks: list[TaskRecord] = field(default_factory=list)
    gateways: list[GatewayDecision] = field(default_factory=list)
    timers: list[TimerRecord] = field(default_factory=list)
    ended: bool = False
    error: str | None = None
    failed_at: str | None = None  # BPMN id of the element that failed (``error``)
    stopped_by_limit: bool = False
    unused_timers: list[str] = field(default_factory=list)  # asked to fire, never waiting

    @property
    def waiting(self) -> list[TaskRecord]:
        return [t for t in self.tasks if t.status == "waiting"]


def dry_run(xml: str | bytes, process_id: str, *, now: datetime,
            answer: Callable[[ReadyTask], Answer | None], fire: list[str] | None = None) -> DryRunResult:
    """Run ``process_id`` of ``xml`` in memory from its start with the test data ``answer``
    gives, firing the timers named in ``fire`` when nothing else can go on. Raises
    ``DryRunError`` if the draft cannot be parsed; failures while running end the run with
    ``error`` set."""
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    try:
        parsed = parse_bpmn(xml, process_id)  # a fresh parse: nothing shared with running cases
    except SpecError as exc:
        raise DryRunError(_("Der Entwurf lässt sich nicht ausführen. Bitte zuerst die Probleme der Prüfung "
                            "beheben.")) from exc
    run = _Run(parsed, _diagram(xml, process_id), now, answer, list(fire or []))
    run.go()
    return run.result


class _Run:
    def __init__(self, parsed, diagram: _Diagram, now: datetime,
                 answer: Callable[[ReadyTask], Answer | None], fire: list[str]) -> None:
        self.parsed = parsed
        self.flows, self.attached = diagram.flows, diagram.attached
        self.clock = now
        self.answer = answer
        self.fire = fire
        self.result = DryRunResult(started_at=now, now=now, kinds=diagram.kinds, names=dict(diagram.names))
        self.seen: set = set()  # spiff task ids already on the path
        self.timers: dict = {}  # spiff task id -> TimerRecord
        self.fired: set = set()
        self.counts: dict[str, int] = {}
        self.workflow: Any = None

    # --- the loop ----------------------------------------------------------------------------

    def go(self) -> None:
        try:
            self._step(self._start)
            steps = 0
            while not self.workflow.is_completed():
                if steps >= MAX_STEPS:
                    self.result.stopped_by_limit = True
                    break
                progressed, waiting = self._work_on_ready_tasks()
                if progressed is None:  # test data did not pass a form
                    break
                if not progressed and not self._let_time_pass(waiting):
                    for ready in waiting:  # here the user is asked for the next form
                        self._add_task(ready, "waiting")
                    break
                steps += 1
        except EngineError as exc:
            self.result.error = str(exc)
        self.result.ended = bool(self.workflow is not None and self.workflow.is_completed())
        self._close_timers()
        self.result.now = self.clock
        self.result.unused_timers = list(self.fire)

    def _start(self) -> None:
        self.workflow = BpmnWorkflow(self.parsed.spec, self.parsed.subprocess_specs, script_engine=script_engine())
        self.workflow.do_engine_steps()

    def _step(self, fn: Callable[[], None]) -> None:
        """Run engine code on the run's clock, then note what it completed and armed."""
        try:
            with engine_time(self.clock):
                run_step(fn)
        finally:  # also what ran before a failure, and the element that failed
            if self.workflow is not None:
                self._observe()

    def _work_on_ready_tasks(self) -> tuple[bool | None, list[ReadyTask]]:
        """Complete the first ready user task that has test data: (True, []); (False, the ready
        tasks without test data); (None, []) when test data did not pass its form."""
        waiting = []
        for spiff_task in self.workflow.get_tasks(state=TaskState.READY, manual=True):
            ready = self._ready(spiff_task)
            reply = self.answer(ready)
            if reply is None:
                waiting.append(ready)
                continue
            if reply.errors:
                self._add_task(ready, "invalid", errors=reply.errors)
                return None, []
            values = dict(reply.values or {})
            self._add_task(ready, "completed", values=values)
            self.counts[ready.element_id] = self.counts.get(ready.element_id, 0) + 1

            def complete(task=spiff_task, values=values) -> None:
                task.data.update(values)
                task.run()
                self.workflow.do_engine_steps()

            self._step(complete)
            return True, []
        return False, waiting

    def _let_time_pass(self, waiting: list[ReadyTask]) -> bool:
        """Fire the first waiting timer the caller asked for; False if there is none. Ready
        tasks the timer took away (an interrupting boundary event) are recorded as cancelled."""
        record = self._armed_to_fire()
        if record is None:
            return False
        self.fire.remove(record.element_id)
        moment = max(self.clock, record.due or self.clock)

        def tick() -> None:
            with engine_time(moment + _TICK):
                self.workflow.refresh_timers()
            self.workflow.do_engine_steps()

        self.clock = moment
        ready_ids = {str(t.id): t for t in self.workflow.get_tasks(state=TaskState.READY, manual=True)}
        self._step(tick)
        still_ready = {str(t.id) for t in self.workflow.get_tasks(state=TaskState.READY, manual=True)}
        gone = {ready_ids[i].task_spec.bpmn_id for i in ready_ids if i not in still_ready}
        for ready in waiting:
            if ready.element_id in gone:
                self._add_task(ready, "cancelled")
        return True

    def _armed_to_fire(self) -> TimerRecord | None:
        armed = [(tid, rec) for tid, rec in self.timers.items() if rec.status == "waiting" and tid not in self.fired
                 and self._is_waiting(tid)]
        for element_id in self.fire:
            for _tid, rec in armed:
                if rec.element_id == element_id:
                    return rec
        return None

    def _is_waiting(self, spiff_id) -> bool:
        task = self.workflow.get_task_from_id(spiff_id)
        return task is not None and task.state == TaskState.WAITING

    # --- what the engine did -----------------------------------------------------------------

    def _observe(self) -> None:
        done = [t for t in self.workflow.get_tasks(state=TaskState.COMPLETED) if t.id not in self.seen]
        for spiff_task in sorted(done, key=lambda t: t.last_state_change):
            self.seen.add(spiff_task.id)
            spec = spiff_task.task_spec
            bpmn_id = getattr(spec, "bpmn_id", None)
            if not bpmn_id:
                continue
            self.result.path.append(bpmn_id)
            self.result.names.setdefault(bpmn_id, spec.bpmn_name or bpmn_id)
            definition = getattr(spec, "event_definition", None)
            if isinstance(definition, TimerEventDefinition) and spiff_task.id not in self.timers:
                self._add_timer(spiff_task, definition)  # due already when it was reached
            if spiff_task.id in self.timers and self.timers[spiff_task.id].status == "waiting":
                self.timers[spiff_task.id].status = "fired"
                self.fired.add(spiff_task.id)
            if isinstance(spec, ExclusiveGateway | InclusiveGateway):
                self._gateway(spiff_task)
        for spiff_task in self.workflow.get_tasks(state=TaskState.ERROR):
            self.result.failed_at = getattr(spiff_task.task_spec, "bpmn_id", None) or self.result.failed_at
        for spiff_task in self.workflow.get_tasks(state=TaskState.WAITING):
            definition = getattr(spiff_task.task_spec, "event_definition", None)
            if isinstance(definition, TimerEventDefinition) and spiff_task.id not in self.timers:
                self._add_timer(spiff_task, definition)

    def _gateway(self, spiff_task) -> None:
        spec = spiff_task.task_spec
        for child in spiff_task.children:
            if child.state & _PREDICTED:
                continue
            target = child.task_spec
            target_id = getattr(target, "bpmn_id", None) or target.name
            flow_id, flow_name = self.flows.get((spec.bpmn_id, target_id), (None, ""))
            self.result.gateways.append(GatewayDecision(
                element_id=spec.bpmn_id, name=spec.bpmn_name or spec.bpmn_id, flow_id=flow_id,
                flow_name=flow_name, target_id=target_id,
                target_name=getattr(target, "bpmn_name", None) or target_id))

    def _add_timer(self, spiff_task, definition) -> None:
        spec = spiff_task.task_spec
        bpmn_id = getattr(spec, "bpmn_id", None) or spec.name
        kind = type(spec).__name__
        record = TimerRecord(
            element_id=bpmn_id, name=getattr(spec, "bpmn_name", None) or definition.name or bpmn_id,
            kind={"BoundaryEvent": "boundary", "StartEvent": "start"}.get(kind, "intermediate"),
            set_at=self.clock, due=_timer_due(spiff_task), attached_to=self.attached.get(bpmn_id))
        self.timers[spiff_task.id] = record
        self.result.timers.append(record)

    def _close_timers(self) -> None:
        if self.workflow is None:
            return
        for spiff_id, record in self.timers.items():
            if record.status != "waiting":
                continue
            task = self.workflow.get_task_from_id(spiff_id)
            if task is None or task.state != TaskState.WAITING:
                record.status = "fired" if task is not None and task.state == TaskState.COMPLETED else "cancelled"

    # --- user tasks --------------------------------------------------------------------------

    def _ready(self, spiff_task) -> ReadyTask:
        spec = spiff_task.task_spec
        info = self.parsed.user_tasks.get(spec.bpmn_id)
        props = info.properties if info else {}
        with engine_time(self.clock):
            due = due_at(spiff_task, props, self.clock)
        return ReadyTask(
            element_id=spec.bpmn_id, name=(info.title if info else spec.bpmn_name) or spec.bpmn_id,
            lane=props.get("lane") or spec.lane, form_key=info.form_key if info else None,
            occurrence=self.counts.get(spec.bpmn_id, 0), data=_plain(spiff_task.data), now=self.clock, due=due)

    def _add_task(self, ready: ReadyTask, status: str, *, errors=None, values=None) -> None:
        self.result.tasks.append(TaskRecord(
            element_id=ready.element_id, name=ready.name, lane=ready.lane, form_key=ready.form_key,
            occurrence=ready.occurrence, due=ready.due, status=status, errors=dict(errors or {}),
            values=dict(values or {}), data=ready.data))


def _timer_due(spiff_task) -> datetime | None:
    value = spiff_task.internal_data.get("event_value")
    if isinstance(value, dict):  # cycle timers keep {"next": iso, ...}
        value = value.get("next")
    if not isinstance(value, str):
        return None
    try:
        moment = TimerEventDefinition.parse_time_or_duration(value)
    except Exception:  # noqa: BLE001 - an odd value shows as "unknown", it does not stop the run
        return None
    if not isinstance(moment, datetime):
        return None
    moment = datetime.fromisoformat(moment.isoformat())  # a plain datetime, not the clock's subclass
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _plain(data: dict) -> dict:
    """A JSON-plain copy of task data (what a form's context may read)."""
    out = {}
    for key, value in data.items():
        if isinstance(value, str | int | float | bool | list | dict) or value is None:
            out[key] = value
    return out


@dataclass
class _Diagram:
    """What the parsed spec does not keep, read from the XML."""

    flows: dict[tuple[str, str], tuple[str, str]]  # (source, target) -> (flow id, flow name)
    attached: dict[str, str]  # boundary event id -> its activity
    kinds: dict[str, str]  # element id -> BPMN element type
    names: dict[str, str]  # element id -> name


def _diagram(xml: str | bytes, process_id: str) -> _Diagram:
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return _Diagram({}, {}, {}, {})
    process = next((p for p in root.iter(f"{{{BPMN_NS}}}process") if p.get("id") == process_id), root)
    elements = [el for el in process.iter() if isinstance(el.tag, str) and el.get("id")]
    return _Diagram(
        flows={(flow.get("sourceRef") or "", flow.get("targetRef") or ""): (flow.get("id") or "",
                                                                         (flow.get("name") or "").strip())
               for flow in process.iter(f"{{{BPMN_NS}}}sequenceFlow")},
        attached={event.get("id") or "": event.get("attachedToRef") or ""
                  for event in process.iter(f"{{{BPMN_NS}}}boundaryEvent")},
        kinds={el.get("id") or "": etree.QName(el).localname for el in elements},
        names={el.get("id") or "": (el.get("name") or "").strip() for el in elements if (el.get("name") or "").strip()},
    )
