"""Checks a BPMN draft before it may be published; every problem at once, in German.

Rules (each problem names the element, so the modeler can highlight it):

1. Safe XML that is BPMN 2.0 (``xmlsafe.read_bpmn``; refused uploads raise instead).
2. XSD schema validation incl. SpiffWorkflow's extensions: *every* schema error, with line.
3. The file contains the process with the model's key as id, with a start event.
4. Every user task names a form (``formKey``) that exists in ``forms.FORMS``; a ``lane``
   property names a known lane rule; ``dueIn`` is an ISO 8601 duration; ``dueDate`` compiles.
5. Every lane's name is a known lane rule (``app.engine.lanes.LANE_RULES``).
6. Exclusive gateways with more than one outgoing flow: each flow has a condition or is the
   default flow. Without a default flow the conditions must cover every value of the deciding
   field. Best effort: this is proved only for conditions of the forms ``feld == "wert"``,
   ``feld in ("a", "b")``, ``feld`` / ``not feld`` on one field whose values are known from a
   form of the process (choices of a select/radio field, or a checkbox); anything else needs a
   default flow.
7. Conditions, loop conditions, scripts, pre/post scripts and ``dueDate`` compile in the sandbox
   (``app.engine.sandbox``).
8. Timer expressions: a quoted literal must be a valid ISO 8601 duration/date/cycle; an unquoted
   ISO literal (``P14D``) is refused (it would fail at run time); anything else must compile.
9. No unreachable elements: every flow node is reachable from a start event (event
   subprocesses and boundary events of reachable activities count as reachable).
10. The SpiffWorkflow parser accepts the process (only when 1–9 found no schema problem).
"""

from __future__ import annotations

import ast
import re
import threading
from dataclasses import dataclass
from datetime import datetime

from flask import has_app_context
from flask_babel import gettext as _
from lxml import etree

from app.engine import lanes
from app.engine.sandbox import check_expression, check_script
from app.engine.specs import SpecError, bpmn_schema, is_iso_duration, is_iso_recurrence, parse_bpmn
from app.formbuilder import services as formbuilder
from app.modeler.xmlsafe import BPMN_NS, DEFAULT_MAX_BYTES, read_bpmn
from forms import FORMS

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
B = f"{{{BPMN_NS}}}"
S = f"{{{SPIFF_NS}}}"
FLOW_NODES = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
}
CONTAINERS = {"subProcess", "transaction", "adHocSubProcess"}
ISO_LITERAL = re.compile(r"^R?\d*/?P[0-9YMWDTHS.,]+$|^\d{4}-\d{2}-\d{2}(T[0-9:.+\-Z]+)?$")
TYPE_LABELS = {
    "userTask": "Benutzeraufgabe", "scriptTask": "Skriptaufgabe", "exclusiveGateway": "Exklusives Gateway",
    "sequenceFlow": "Fluss", "lane": "Bahn", "startEvent": "Startereignis", "endEvent": "Endereignis",
    "boundaryEvent": "Randereignis", "subProcess": "Teilprozess", "process": "Prozess",
}


@dataclass
class Problem:
    element_id: str | None
    message: str

    def as_dict(self) -> dict:
        return {"element_id": self.element_id, "message": self.message}


def local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def label(el) -> str:
    """„Benutzeraufgabe „Vermittlung“ (vermittlung)“ – how a problem names its element."""
    kind = TYPE_LABELS.get(local(el), local(el))
    name = (el.get("name") or "").strip()
    ident = el.get("id") or "?"
    return f"{kind} „{name}“ ({ident})" if name else f"{kind} {ident}"


def spiff_properties(el) -> dict[str, str]:
    props = {}
    for prop in el.findall(f"{B}extensionElements/{S}properties/{S}property"):
        if prop.get("name"):
            props[prop.get("name")] = prop.get("value") or ""
    return props


def form_registry() -> dict:
    """Every form key a user task may name: the code forms and the builder forms (newest version)."""
    if not has_app_context():  # no database: the code forms
        return FORMS
    return formbuilder.registry()


# --- entry point -------------------------------------------------------------------------------

def validate_bpmn(data: bytes | str, process_id: str, limit: int = DEFAULT_MAX_BYTES,
                  dmn: list[bytes] | None = None) -> list[Problem]:
    """All problems of ``data`` as the model ``process_id``; raises ``xmlsafe.UnsafeXml``."""
    raw, root = read_bpmn(data, limit)
    problems = schema_problems(root)
    process = next((p for p in root.iter(f"{B}process") if p.get("id") == process_id), None)
    if process is None:
        found = ", ".join(p.get("id") or "?" for p in root.iter(f"{B}process"))
        problems.append(Problem(None, _("Die Datei enthält keinen Prozess mit der ID „%(key)s“ (gefunden: %(found)s). "
                                        "Bitte die ID des Prozesses in den Eigenschaften ändern.",
                                        key=process_id, found=found or "–")))
        return problems
    problems += process_problems(process)
    if not any(p.message.startswith(_SCHEMA_PREFIX()) for p in problems):
        problems += spiff_problems(raw, process_id, dmn)
    seen, unique = set(), []
    for problem in problems:
        key = (problem.element_id, problem.message)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique


def _SCHEMA_PREFIX() -> str:  # noqa: N802 - a translated constant
    return _("Schemafehler")


# --- 2. XSD ---------------------------------------------------------------------------------

_SCHEMA_LOCK = threading.Lock()


def schema_problems(root) -> list[Problem]:
    validator = bpmn_schema()
    tree = root  # preprocess renames two message tags in place; the later checks do not read them
    lines: dict[int, str] = {}
    for el in root.iter():
        if isinstance(el.tag, str) and el.get("id") and el.sourceline and el.sourceline not in lines:
            lines[el.sourceline] = el.get("id")
    with _SCHEMA_LOCK:
        validator.preprocess(tree)
        schema = validator.validator
        ok = schema.validate(tree)
        errors = [] if ok else list(schema.error_log)
    problems = []
    for error in errors[:50]:
        message = re.sub(r"\{[^}]+\}", "", error.message)
        problems.append(Problem(lines.get(error.line), _("%(prefix)s (Zeile %(line)s): %(message)s",
                                                         prefix=_SCHEMA_PREFIX(), line=error.line,
                                                         message=message)))
    return problems


# --- 3.–9. the process ---------------------------------------------------------------------------

def process_problems(process) -> list[Problem]:
    problems: list[Problem] = []
    forms = form_registry()
    problems += lane_problems(process)
    problems += reachability_problems(process)
    used_forms = [forms[k] for k in (spiff_properties(t).get("formKey") for t in process.iter(f"{B}userTask"))
                  if k in forms]
    values = field_values(used_forms)
    for el in process.iter():
        if not isinstance(el.tag, str) or not el.tag.startswith(B):
            continue
        kind = local(el)
        if kind == "userTask":
            problems += user_task_problems(el, forms)
        elif kind == "scriptTask":
            script = el.findtext(f"{B}script") or ""
            if not script.strip():
                problems.append(Problem(el.get("id"), _("%(el)s: das Skript ist leer.", el=label(el))))
            elif (error := check_script(script)) is not None:
                problems.append(Problem(el.get("id"), f"{label(el)}: {error}"))
        elif kind == "exclusiveGateway":
            problems += gateway_problems(el, process, values)
        elif kind == "sequenceFlow":
            condition = el.find(f"{B}conditionExpression")
            if condition is not None and (condition.text or "").strip():
                if (error := check_expression(condition.text)) is not None:
                    problems.append(Problem(el.get("id"), f"{label(el)}: {error}"))
        elif kind in ("loopCondition", "completionCondition"):
            if (el.text or "").strip() and (error := check_expression(el.text)) is not None:
                owner = el.getparent().getparent()
                problems.append(Problem(owner.get("id"), f"{label(owner)}: {error}"))
        elif kind == "timerEventDefinition":
            problems += timer_problems(el)
        if kind in FLOW_NODES:
            for tag in ("preScript", "postScript"):
                for script in el.findall(f"{B}extensionElements/{S}{tag}"):
                    if (script.text or "").strip() and (error := check_script(script.text)) is not None:
                        problems.append(Problem(el.get("id"), f"{label(el)}: {error}"))
    if process.find(f"{B}startEvent") is None:
        problems.insert(0, Problem(process.get("id"), _("Der Prozess hat kein Startereignis.")))
    return problems


def user_task_problems(task, forms) -> list[Problem]:
    problems = []
    props = spiff_properties(task)
    key = props.get("formKey", "").strip()
    if not key:
        problems.append(Problem(task.get("id"), _("%(el)s: kein Formular gewählt.", el=label(task))))
    elif key not in forms:
        problems.append(Problem(task.get("id"), _("%(el)s: das Formular „%(key)s“ gibt es nicht.",
                                                  el=label(task), key=key)))
    lane = props.get("lane", "").strip()
    if lane and lane not in lanes.LANE_RULES:
        problems.append(Problem(task.get("id"), _("%(el)s: die Zuständigkeit „%(lane)s“ ist keine bekannte Bahn "
                                                  "(bekannt: %(known)s).", el=label(task), lane=lane,
                                                  known=", ".join(lanes.LANE_RULES))))
    due_in = props.get("dueIn", "").strip()
    if due_in and not _iso_duration_ok(due_in):
        problems.append(Problem(task.get("id"), _("%(el)s: die Frist „%(value)s“ ist keine ISO-8601-Dauer "
                                                  "(z. B. P14D oder PT4H).", el=label(task), value=due_in)))
    due_date = props.get("dueDate", "").strip()
    if due_date and (error := check_expression(due_date)) is not None:
        problems.append(Problem(task.get("id"), f"{label(task)}: {error}"))
    return problems


def lane_problems(process) -> list[Problem]:
    problems = []
    for lane in process.iter(f"{B}lane"):
        name = (lane.get("name") or "").strip()
        if lane.find(f"{B}childLaneSet") is not None:
            continue  # a lane divided into sub-lanes: the inner lanes decide
        if not name:
            problems.append(Problem(lane.get("id"), _("Bahn %(id)s hat keinen Namen; der Name bestimmt die "
                                                      "Zuständigkeit.", id=lane.get("id"))))
        elif name not in lanes.LANE_RULES:
            problems.append(Problem(lane.get("id"), _("Die Bahn „%(name)s“ ist keiner bekannten Rolle zugeordnet "
                                                      "(bekannt: %(known)s).", name=name,
                                                      known=", ".join(lanes.LANE_RULES))))
    return problems


def _iso_duration_ok(value: str) -> bool:
    return is_iso_duration(value)


def timer_problems(definition) -> list[Problem]:
    event = definition.getparent()
    problems: list[Problem] = []
    parts = [(local(c), (c.text or "").strip()) for c in definition
             if isinstance(c.tag, str) and local(c) in ("timeDuration", "timeDate", "timeCycle")]
    if not parts or not parts[0][1]:
        return [Problem(event.get("id"), _("%(el)s: der Zeitgeber hat keinen Zeitausdruck.", el=label(event)))]
    kind, text = parts[0]
    if ISO_LITERAL.match(text):
        return [Problem(event.get("id"), _("%(el)s: der Zeitausdruck %(value)s muss in Anführungszeichen stehen: "
                                           "\"%(value)s\".", el=label(event), value=text))]
    error = check_expression(text)
    if error is not None:
        return [Problem(event.get("id"), f"{label(event)}: {error}")]
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return problems
    if isinstance(node, ast.Constant):
        value = node.value
        ok = isinstance(value, str)
        try:
            if isinstance(value, str) and kind == "timeDuration":
                ok = _iso_duration_ok(value)
            elif isinstance(value, str) and kind == "timeDate":
                datetime.fromisoformat(value)
            elif isinstance(value, str):
                ok = is_iso_recurrence(value)
        except Exception:  # noqa: BLE001
            ok = False
        if not ok:
            what = {"timeDuration": _("eine ISO-8601-Dauer (z. B. \"P14D\")"),
                    "timeDate": _("ein ISO-8601-Zeitpunkt (z. B. \"2027-01-31T08:00:00+01:00\")"),
                    "timeCycle": _("eine ISO-8601-Wiederholung (z. B. \"R3/PT1H\")")}[kind]
            problems.append(Problem(event.get("id"), _("%(el)s: %(value)s ist nicht %(what)s.",
                                                       el=label(event), value=text, what=what)))
    return problems


# --- 6. gateways ---------------------------------------------------------------------------

def field_values(form_classes) -> dict[str, set]:
    """Deciding fields and their possible values, from the forms' choices and checkboxes."""
    from wtforms.fields import BooleanField, RadioField, SelectField

    from forms.base import _unbound_fields

    values: dict[str, set] = {}
    for form_cls in form_classes:
        for name, unbound in _unbound_fields(form_cls):
            cls = unbound.field_class
            if issubclass(cls, BooleanField):
                values.setdefault(name, set()).update({True, False})
            elif issubclass(cls, (SelectField, RadioField)):
                choices = unbound.kwargs.get("choices")
                if isinstance(choices, (list, tuple)) and choices:
                    for choice in choices:
                        value = choice[0] if isinstance(choice, (list, tuple)) else getattr(choice, "value", choice)
                        values.setdefault(name, set()).add(value)
    return values


def _covered(expression: str) -> tuple[str, set] | None:
    """(field, values) for which a simple condition is true, or None if not that simple."""
    try:
        node = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.Name):
        return node.id, {True}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) and isinstance(node.operand, ast.Name):
        return node.operand.id, {False}
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, op, right = node.left, node.ops[0], node.comparators[0]
        if isinstance(right, ast.Name) and isinstance(left, ast.Constant):
            left, right = right, left
        if not isinstance(left, ast.Name):
            return None
        if isinstance(op, (ast.Eq, ast.Is)) and isinstance(right, ast.Constant):
            return left.id, {right.value}
        if isinstance(op, ast.In) and isinstance(right, (ast.Tuple, ast.List, ast.Set)) \
                and all(isinstance(e, ast.Constant) for e in right.elts):
            return left.id, {e.value for e in right.elts if isinstance(e, ast.Constant)}
    return None


def gateway_problems(gateway, process, values: dict[str, set]) -> list[Problem]:
    gid = gateway.get("id")
    scope = gateway.getparent()
    outgoing = [f for f in scope.findall(f"{B}sequenceFlow") if f.get("sourceRef") == gid]
    if len(outgoing) <= 1:
        return []
    default = gateway.get("default")
    problems = []
    conditions = []
    for flow in outgoing:
        text = (flow.findtext(f"{B}conditionExpression") or "").strip()
        if flow.get("id") == default:
            continue
        if not text:
            problems.append(Problem(flow.get("id"), _("%(el)s verlässt %(gw)s ohne Bedingung und ist nicht der "
                                                      "Standardfluss.", el=label(flow), gw=label(gateway))))
        else:
            conditions.append(text)
    if default or problems:
        return problems
    analysed = [_covered(text) for text in conditions]
    fields = {a[0] for a in analysed if a is not None}
    if any(a is None for a in analysed) or len(fields) != 1:
        return [Problem(gid, _("%(gw)s hat keinen Standardfluss, und es lässt sich nicht prüfen, ob die Bedingungen "
                               "jeden Fall abdecken. Bitte einen Standardfluss festlegen.", gw=label(gateway)))]
    field = fields.pop()
    known = values.get(field)
    if not known:
        return [Problem(gid, _("%(gw)s hat keinen Standardfluss, und die möglichen Werte von „%(field)s“ sind aus "
                               "keinem Formular bekannt. Bitte einen Standardfluss festlegen.",
                               gw=label(gateway), field=field))]
    covered = set().union(*(a[1] for a in analysed if a is not None))
    missing = sorted((v for v in known if v not in covered), key=str)
    if missing:
        shown = ", ".join(f"„{v}“" if isinstance(v, str) else str(v) for v in missing)
        return [Problem(gid, _("%(gw)s hat keinen Standardfluss, und für %(field)s = %(missing)s trifft keine "
                               "Bedingung zu.", gw=label(gateway), field=field, missing=shown))]
    return []


# --- 9. reachability -------------------------------------------------------------------------

def reachability_problems(scope) -> list[Problem]:
    nodes = {el.get("id"): el for el in scope if isinstance(el.tag, str) and local(el) in FLOW_NODES}
    flows: dict[str, list[str]] = {}
    for flow in scope.findall(f"{B}sequenceFlow"):
        flows.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
    boundaries: dict[str, list[str]] = {}
    roots = []
    for ident, el in nodes.items():
        kind = local(el)
        if kind == "boundaryEvent":
            boundaries.setdefault(el.get("attachedToRef"), []).append(ident)
        elif kind == "startEvent" or (kind in CONTAINERS and el.get("triggeredByEvent") == "true"):
            roots.append(ident)
        elif kind == "intermediateCatchEvent" and el.find(f"{B}linkEventDefinition") is not None:
            roots.append(ident)
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        ident = stack.pop()
        if ident in seen or ident not in nodes:
            continue
        seen.add(ident)
        stack.extend(flows.get(ident, []))
        stack.extend(boundaries.get(ident, []))
    problems = []
    for ident, el in nodes.items():
        if ident not in seen:
            if roots:  # without any start event the process-level problem says it all
                problems.append(Problem(ident, _("%(el)s ist von keinem Startereignis aus erreichbar.", el=label(el))))
        elif local(el) in CONTAINERS:
            if el.find(f"{B}startEvent") is None:
                problems.append(Problem(ident, _("%(el)s hat kein Startereignis.", el=label(el))))
            else:
                problems += reachability_problems(el)
    return problems


# --- 10. the engine's parser -------------------------------------------------------------------

def spiff_problems(raw: bytes, process_id: str, dmn: list[bytes] | None = None) -> list[Problem]:
    """The engine's own parser (``app.engine.specs.parse_bpmn``, which also adds the current
    decision tables for business rule tasks)."""
    try:
        parse_bpmn(raw, process_id)
    except SpecError as exc:
        cause = exc.__cause__
        text = getattr(cause, "msg", None) or str(exc).splitlines()[0]
        return [Problem(getattr(cause, "id", None) or None,
                        _("Die Prozess-Engine lehnt das Modell ab: %(detail)s", detail=_clean(text)))]
    except Exception as exc:  # noqa: BLE001 - never a 500 for a bad upload
        return [Problem(None, _("Die Prozess-Engine lehnt das Modell ab: %(detail)s",
                                detail=_clean(str(exc) or type(exc).__name__)))]
    return []


def _clean(text: str) -> str:
    text = re.sub(r"<[^>]+ at 0x[0-9a-f]+>", "…", text)
    return text.strip()[:300]
