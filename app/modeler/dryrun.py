"""Dry run of a draft (Probelauf): a process owner runs a draft with test data before publishing.

The engine runs the draft in memory (``app.engine.dryrun``); this module gives it the test data
of each step, validated with the task's form class from ``validation.form_registry()`` (code and
builder forms) exactly as a real case would be (JSON: ``validate_json`` against the form's JSON
Schema, then WTForms; the browser page: the posted form fields), so the dry run shows the same
German messages. Nothing is stored: no case, task row, history, notification, statistics or
access log row, and no engine signal (``service.start_instance``/``complete_task`` are not used).

Test data (``Steps``): BPMN id of a user task -> the data of its first occurrence, or a list with
one entry per occurrence (loops). ``timers``: BPMN ids of timer events to let fire ("let time
pass") when the run cannot go on otherwise, each once, in order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from lxml import etree
from werkzeug.datastructures import MultiDict

from app.cases.taskforms import volunteer_choices
from app.engine.clock import engine_now
from app.engine.dryrun import MAX_STEPS, Answer, DryRunError, DryRunResult, ReadyTask, dry_run
from app.engine.models import ProcessModel
from app.modeler.models import ProcessDraft
from app.modeler.validation import form_registry
from app.modeler.xmlsafe import BPMN_NS
from app.timeutil import office_zone
from forms import FormContext, bind_form, form_errors, form_schema, validate_json

__all__ = ["MAX_STEPS", "DryRunError", "DryRunInput", "InputError", "next_form", "parse_input", "parse_moment",
           "process_id", "result_json", "run_draft", "start_moment", "user_tasks"]

USER_TASK_TAGS = ("userTask", "manualTask")


class InputError(Exception):
    """Malformed dry-run input: ``fields`` maps a key (``data.<id>``, ``timers``, ``now``) to German messages."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__(_("Die Eingaben sind nicht gültig."))
        self.fields = fields


@dataclass
class DryRunInput:
    """Per user task id the test data of each occurrence: a JSON object (API) or the posted form
    fields as [[name, value], ...] (browser page); ``form=True`` for the latter."""

    steps: dict[str, list[Any]] = field(default_factory=dict)
    timers: list[str] = field(default_factory=list)
    now: datetime | None = None
    form: bool = False


def user_tasks(xml: str, process_id: str) -> dict[str, str]:
    """BPMN id -> name of the user tasks of the draft's process."""
    try:
        root = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return {}
    process = next((p for p in root.iter(f"{{{BPMN_NS}}}process") if p.get("id") == process_id), None)
    if process is None:
        return {}
    return {el.get("id") or "": (el.get("name") or el.get("id") or "").strip()
            for tag in USER_TASK_TAGS for el in process.iter(f"{{{BPMN_NS}}}{tag}")}


def process_id(model: ProcessModel, xml: str) -> str:
    """The process of the draft to run: the model's key; a file with one process under another
    id (a new model's first upload may keep its own id) runs that one."""
    try:
        root = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return model.key
    ids = [p.get("id") or "" for p in root.iter(f"{{{BPMN_NS}}}process")]
    if model.key in ids or len(ids) != 1:
        return model.key
    return ids[0]


def parse_input(body: Mapping[str, Any], known_tasks: Mapping[str, str]) -> DryRunInput:
    """Check the API body ``{"data": {...}, "timers": [...], "now": "..."}``; ``InputError`` if malformed."""
    problems: dict[str, list[str]] = {}
    unknown = sorted(set(body) - {"data", "timers", "now"})
    for key in unknown:
        problems[key] = [_("Unbekanntes Feld.")]
    data = body.get("data", {})
    steps: dict[str, list[Any]] = {}
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        problems["data"] = [_("Erwartet wird ein JSON-Objekt: je Benutzeraufgabe (BPMN-ID) ihre Testdaten.")]
    else:
        for task_id, value in data.items():
            entries = value if isinstance(value, list) else [value]
            if task_id not in known_tasks:
                problems[f"data.{task_id}"] = [_("Im Entwurf gibt es keine Benutzeraufgabe mit der ID „%(id)s“.",
                                                 id=task_id)]
            elif not entries or not all(isinstance(entry, Mapping) for entry in entries):
                problems[f"data.{task_id}"] = [_("Erwartet wird ein JSON-Objekt mit den Formularfeldern "
                                                 "(oder eine Liste solcher Objekte, eines je Durchlauf).")]
            else:
                steps[task_id] = [dict(entry) for entry in entries]
    timers = body.get("timers", [])
    if timers is None:
        timers = []
    if not isinstance(timers, list) or not all(isinstance(t, str) and t for t in timers):
        problems["timers"] = [_("Erwartet wird eine Liste von BPMN-IDs von Zeitereignissen.")]
        timers = []
    if sum(len(v) for v in steps.values()) + len(timers) > MAX_STEPS:
        problems["data"] = [*problems.get("data", []),
                            _("Zu viele Schritte: höchstens %(n)s in einem Probelauf.", n=MAX_STEPS)]
    now = None
    if body.get("now") is not None:
        now = parse_moment(body["now"])
        if now is None:
            problems["now"] = [_("Ungültiger Zeitpunkt, erwartet wird ISO 8601.")]
    if problems:
        raise InputError(problems)
    return DryRunInput(steps=steps, timers=list(timers), now=now)


def parse_moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if not 1900 < moment.year < 2200:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def start_moment(given: datetime | None = None) -> datetime:
    """The dry run's clock at its start: the given moment or now (as the engine sees it), to the minute."""
    return (given or engine_now()).astimezone(UTC).replace(second=0, microsecond=0)


def run_draft(model: ProcessModel, draft: ProcessDraft, given: DryRunInput) -> DryRunResult:
    """Run ``draft`` with the test data ``given``; raises ``DryRunError`` if it cannot run."""
    forms = form_registry()
    volunteers: list[tuple[str, str]] | None = None

    def context(ready: ReadyTask) -> FormContext:
        nonlocal volunteers
        if volunteers is None:
            volunteers = volunteer_choices()  # read only
        return FormContext(data=dict(ready.data), today=ready.now.astimezone(office_zone()).date(),
                           volunteers=volunteers)

    def answer(ready: ReadyTask) -> Answer | None:
        entries = given.steps.get(ready.element_id) or []
        if ready.occurrence >= len(entries):
            return None
        entry = entries[ready.occurrence]
        if not ready.form_key:
            if entry:
                return Answer(errors={"_": [_("Diese Aufgabe hat kein Formular; sie wird ohne Daten erledigt.")]})
            return Answer(values={})
        form_cls = forms.get(ready.form_key)
        if form_cls is None:
            return Answer(errors={"_": [_("Das Formular „%(key)s“ gibt es nicht.", key=ready.form_key)]})
        ctx = context(ready)
        if given.form:
            form = bind_form(form_cls, ctx, formdata=MultiDict(_pairs(entry)), csrf=False)
        else:
            problems = validate_json(form_schema(bind_form(form_cls, ctx, csrf=False)), entry)
            if problems:
                return Answer(errors=problems)
            form = bind_form(form_cls, ctx, json_data=entry, csrf=False)
        if not form.validate():
            return Answer(errors=form_errors(form))
        return Answer(values=form.to_task_data())

    return dry_run(draft.bpmn_xml, process_id(model, draft.bpmn_xml), now=start_moment(given.now),
                   answer=answer, fire=given.timers)


def _pairs(entry: Any) -> list[tuple[str, str]]:
    """Posted form fields kept by the browser page: [[name, value], ...] (anything else: none)."""
    if not isinstance(entry, list):
        return []
    return [(str(pair[0]), str(pair[1])) for pair in entry
            if isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)]


def next_form(result: DryRunResult, *, formdata: MultiDict | None = None):
    """(task record, bound form) of the first task waiting for test data, or None. The form is
    prefilled with its defaults (or bound to ``formdata``) in the context the run reached."""
    waiting = result.waiting
    if not waiting:
        return None
    task = waiting[0]
    form_cls = form_registry().get(task.form_key or "")
    if form_cls is None:
        return task, None
    ctx = FormContext(data=dict(task.data), today=result.now.astimezone(office_zone()).date(),
                      volunteers=volunteer_choices())
    if formdata is not None:
        return task, bind_form(form_cls, ctx, formdata=formdata, csrf=True)
    form = bind_form(form_cls, ctx, csrf=True)
    for name, count in getattr(form_cls, "blank_entries", {}).items():
        for _i in range(count):
            form[name].append_entry()
    return task, form


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def result_json(result: DryRunResult) -> dict[str, Any]:
    """The API answer (see api-v1.md): path, tasks, gateways, timers, where the run stopped."""
    forms = form_registry()
    tasks = []
    for task in result.tasks:
        item: dict[str, Any] = {
            "element_id": task.element_id, "name": task.name, "lane": task.lane, "form_key": task.form_key,
            "occurrence": task.occurrence, "status": task.status, "completed": task.status == "completed",
            "due": _iso(task.due), "errors": task.errors,
        }
        if task.status == "waiting" and task.form_key in forms:
            ctx = FormContext(data=dict(task.data), today=result.now.astimezone(office_zone()).date(),
                              volunteers=volunteer_choices())
            item["form_schema"] = form_schema(bind_form(forms[task.form_key], ctx, csrf=False))
        tasks.append(item)
    return {
        "started_at": _iso(result.started_at),
        "now": _iso(result.now),
        "path": list(result.path),
        "names": {element_id: result.names[element_id] for element_id in dict.fromkeys(result.path)},
        "tasks": tasks,
        "gateways": [{"element_id": g.element_id, "name": g.name, "flow_id": g.flow_id, "flow_name": g.flow_name,
                      "target_id": g.target_id, "target_name": g.target_name} for g in result.gateways],
        "timers": [{"element_id": t.element_id, "name": t.name, "kind": t.kind, "set_at": _iso(t.set_at),
                    "due": _iso(t.due), "status": t.status, "attached_to": t.attached_to} for t in result.timers],
        "next": next((t["element_id"] for t in tasks if t["status"] == "waiting"), None),
        "ended": result.ended,
        "error": result.error,
        "failed_at": result.failed_at,
        "stopped_by_limit": result.stopped_by_limit,
        "unused_timers": list(result.unused_timers),
    }
