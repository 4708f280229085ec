"""Guided conditions and due dates: what a process owner picks, as the expressions the engine runs.

* ``fields_before(xml, process_id, element_id)``: the fields of the forms of the user tasks that
  come before an element in the flow (nearest task first), with German label, type and choices,
  taken from the JSON Schema of each form (``forms.schema``) – the one truth about a form.
* ``build_condition(clauses, join)`` writes a gateway condition from clauses
  ``(field, operator, value)``; ``parse_condition(expr)`` reads one back (None: not a guided
  expression, the editor shows the expert field). Every built expression is checked by the
  sandbox exactly like validation does (``check_expression``); parsing never makes the sandbox
  more lenient (an expression it refuses is never read as guided).
* Due dates (``dueDate`` of a user task): ``build_due_date(amount, unit, field, direction)``
  gives ``"P5D"`` (5 days after the task began) or
  ``str(date.fromisoformat(feld) + timedelta(days=5))`` (5 days after a date of the case data;
  dates are ISO strings ``YYYY-MM-DD`` there, see ``forms/jsonio.py``); ``parse_due_date`` reads
  them back. ``app.engine.timers.due_at`` turns a duration into "from now" and a date into
  "end of that day". ``dueIn`` is a plain ISO duration (``app.modeler.durations``).

Operators (the keys the editor sends): gleich, ungleich, kleiner, kleiner_gleich, groesser,
groesser_gleich, ist_einer_von, ist_keiner_von (list), ist_ja, ist_nein (yes/no fields), ist_leer,
ist_ausgefuellt, enthaelt (one value of a multiple choice field).
"""

from __future__ import annotations

import ast
import datetime
import json
import keyword
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.engine.sandbox import check_expression
from app.modeler import durations
from app.modeler.validation import FLOW_NODES, B, local, spiff_properties
from app.modeler.xmlsafe import read_bpmn
from app.web.formatting import datum, zahl

TEXT, NUMBER, DATE, BOOLEAN, CHOICE, MULTIPLE = "text", "number", "date", "boolean", "choice", "multiple"
TYPE_LABELS = {TEXT: _l("Text"), NUMBER: _l("Zahl"), DATE: _l("Datum"), BOOLEAN: _l("Ja/Nein"),
               CHOICE: _l("Auswahl"), MULTIPLE: _l("Mehrfachauswahl")}

#: operator key -> German label; the order is the order in the editor
OPERATORS: dict[str, Any] = {
    "gleich": _l("ist gleich"), "ungleich": _l("ist ungleich"),
    "kleiner": _l("ist kleiner als"), "kleiner_gleich": _l("ist höchstens"),
    "groesser": _l("ist größer als"), "groesser_gleich": _l("ist mindestens"),
    "ist_einer_von": _l("ist einer von"), "ist_keiner_von": _l("ist keiner von"),
    "ist_ja": _l("ist Ja"), "ist_nein": _l("ist Nein"),
    "ist_leer": _l("ist leer"), "ist_ausgefuellt": _l("ist ausgefüllt"),
    "enthaelt": _l("enthält"),
}
COMPARE = {"gleich": ast.Eq, "ungleich": ast.NotEq, "kleiner": ast.Lt, "kleiner_gleich": ast.LtE,
           "groesser": ast.Gt, "groesser_gleich": ast.GtE}
SYMBOLS = {"gleich": "==", "ungleich": "!=", "kleiner": "<", "kleiner_gleich": "<=", "groesser": ">",
           "groesser_gleich": ">="}
MIRRORED = {"kleiner": "groesser", "kleiner_gleich": "groesser_gleich", "groesser": "kleiner",
            "groesser_gleich": "kleiner_gleich", "gleich": "gleich", "ungleich": "ungleich"}
LIST_OPERATORS = {"ist_einer_von", "ist_keiner_von"}
NO_VALUE = {"ist_ja", "ist_nein", "ist_leer", "ist_ausgefuellt"}
#: which operators the editor offers per field type
OPERATORS_FOR = {
    TEXT: ["gleich", "ungleich", "ist_einer_von", "ist_keiner_von", "ist_leer", "ist_ausgefuellt"],
    NUMBER: ["gleich", "ungleich", "kleiner", "kleiner_gleich", "groesser", "groesser_gleich", "ist_leer",
             "ist_ausgefuellt"],
    DATE: ["gleich", "ungleich", "kleiner", "kleiner_gleich", "groesser", "groesser_gleich", "ist_leer",
           "ist_ausgefuellt"],
    BOOLEAN: ["ist_ja", "ist_nein"],
    CHOICE: ["gleich", "ungleich", "ist_einer_von", "ist_keiner_von", "ist_leer", "ist_ausgefuellt"],
    MULTIPLE: ["enthaelt", "ist_leer", "ist_ausgefuellt"],
}
JOINS = {"und": ast.And, "oder": ast.Or}
#: units a due date after a date field may use (timedelta has no months or years)
DATE_UNITS = {"tage": "days", "wochen": "weeks"}
DIRECTIONS = ("nach", "vor")


class ConditionError(ValueError):
    """A clause or due date that cannot be written; the message is German."""


class Clause(NamedTuple):
    field: str
    operator: str
    value: Any = None


@dataclass
class FieldInfo:
    name: str
    label: str
    type: str
    choices: list[tuple[str, str]] = field(default_factory=list)
    task_id: str = ""
    task_name: str = ""
    form_key: str = ""

    def as_dict(self) -> dict:
        return {"name": self.name, "label": self.label, "type": self.type,
                "type_label": str(TYPE_LABELS[self.type]),
                "operators": [{"key": k, "label": str(OPERATORS[k])} for k in OPERATORS_FOR[self.type]],
                "choices": [{"value": v, "label": lab} for v, lab in self.choices],
                "task_id": self.task_id, "task_name": self.task_name, "form_key": self.form_key}


# --- fields of earlier forms --------------------------------------------------------------------

def form_fields(form_cls) -> list[FieldInfo]:
    """The fields of a task form class a condition can ask (lists of groups are left out)."""
    from forms.base import FormContext
    from forms.jsonio import bind_form
    from forms.schema import form_schema

    form = bind_form(form_cls, FormContext(data={}, today=datetime.date.today()), csrf=False)
    result = []
    for name, prop in form_schema(form)["properties"].items():
        kind, choices = _field_type(prop)
        if kind is not None:
            result.append(FieldInfo(name, prop.get("title") or name, kind, choices))
    return result


def _field_type(prop: dict) -> tuple[str | None, list[tuple[str, str]]]:
    labels = prop.get("x-labels") or {}
    kind = prop.get("type")
    if kind == "boolean":
        return BOOLEAN, []
    if kind in ("integer", "number"):
        return NUMBER, []
    if kind == "array":
        items = prop.get("items") or {}
        if items.get("enum"):
            labels = items.get("x-labels") or {}
            return MULTIPLE, [(v, labels.get(v, v)) for v in items["enum"]]
        return None, []
    if kind == "string":
        if prop.get("enum"):
            return CHOICE, [(v, labels.get(v, v)) for v in prop["enum"]]
        if prop.get("format") in ("date", "date-time"):
            return DATE, []
        return TEXT, []
    return None, []


def fields_before(bpmn_xml: str | bytes, process_id: str, element_id: str) -> list[FieldInfo]:
    """Fields of the forms of user tasks before ``element_id`` (nearest task first; a field name
    appears once). Unknown process or element: an empty list."""
    from app.modeler.validation import form_registry

    _raw, root = read_bpmn(bpmn_xml)
    process = next((p for p in root.iter(f"{B}process") if p.get("id") == process_id), None)
    if process is None:
        return []
    index = {el.get("id"): el for el in process.iter() if isinstance(el.tag, str) and el.get("id")}
    start = index.get(element_id)
    if start is None:
        return []
    registry = form_registry()
    result: list[FieldInfo] = []
    seen_fields: set[str] = set()
    for task in _tasks_before(start, index):
        key = spiff_properties(task).get("formKey", "").strip()
        form_cls = registry.get(key)
        if form_cls is None:
            continue
        for info in form_fields(form_cls):
            if info.name in seen_fields:
                continue
            seen_fields.add(info.name)
            info.task_id, info.task_name, info.form_key = task.get("id"), task.get("name") or task.get("id"), key
            result.append(info)
    return result


def _tasks_before(start, index: dict) -> list:
    """User tasks from which ``start`` can be reached, in breadth-first order backwards."""
    incoming: dict[str, list[str]] = {}
    for el in index.values():
        if local(el) == "sequenceFlow":
            incoming.setdefault(el.get("targetRef"), []).append(el.get("sourceRef"))
    queue = _predecessors(start, incoming, index)
    seen: set[str] = set()
    tasks = []
    while queue:
        el = queue.pop(0)
        ident = el.get("id")
        if ident in seen:
            continue
        seen.add(ident)
        kind = local(el)
        if kind == "userTask":
            tasks.append(el)
        elif kind in ("subProcess", "transaction", "adHocSubProcess"):
            tasks.extend(t for t in el.iter(f"{B}userTask") if t.get("id") not in seen)
        queue.extend(_predecessors(el, incoming, index))
    return tasks


def _predecessors(el, incoming: dict, index: dict) -> list:
    kind = local(el)
    if kind == "sequenceFlow":
        source = index.get(el.get("sourceRef"))
        return [source] if source is not None else []
    found = [index[s] for s in incoming.get(el.get("id"), []) if s in index]
    if kind == "boundaryEvent" and el.get("attachedToRef") in index:
        found.append(index[el.get("attachedToRef")])
    if kind == "startEvent":  # the start of a subprocess: continue before the subprocess
        parent = el.getparent()
        if parent is not None and local(parent) in FLOW_NODES:
            found.append(parent)
    return found


# --- conditions -----------------------------------------------------------------------------------

def literal(value: Any) -> str:
    """A Python literal for a value of a clause: numbers unquoted, strings in double quotes with
    escapes (checked: reading it back gives the same string)."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConditionError(_("Die Zahl %(value)s ist nicht erlaubt.", value=value))
        return repr(value)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        try:
            if ast.literal_eval(text) == value:
                return text
        except (SyntaxError, ValueError):
            pass
        return repr(value)
    raise ConditionError(_("Der Wert %(value)s ist weder Text noch Zahl.", value=value))


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        raise ConditionError(_("„%(name)s“ ist kein Feldname, der in einer Bedingung stehen kann.", name=name))


def coerce(value: Any, kind: str | None) -> Any:
    """A value as the editor sends it (text) in the type of its field; ConditionError if impossible."""
    if kind == NUMBER:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        text = str(value or "").strip().replace(" ", "").replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            raise ConditionError(_("„%(value)s“ ist keine Zahl.", value=value)) from None
        if not math.isfinite(number):
            raise ConditionError(_("„%(value)s“ ist keine Zahl.", value=value))
        return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    if kind == DATE:
        text = str(value or "").strip()
        try:
            return datetime.date.fromisoformat(text).isoformat()
        except ValueError:
            try:  # German input: 31.12.2026
                return datetime.datetime.strptime(text, "%d.%m.%Y").date().isoformat()
            except ValueError:
                raise ConditionError(_("„%(value)s“ ist kein Datum (z. B. 31.12.2026).", value=value)) from None
    if kind == BOOLEAN and isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and kind in (None,):
        return value
    if value is None:
        raise ConditionError(_("Bitte einen Wert angeben."))
    return str(value) if not isinstance(value, (bool, int, float)) else value


def _clause_source(clause: Clause, kinds: Mapping[str, str]) -> str:
    name, operator, value = clause
    _check_name(name)
    if operator not in OPERATORS:
        raise ConditionError(_("Unbekannter Vergleich „%(op)s“.", op=operator))
    kind = kinds.get(name)
    if kind is not None and operator not in OPERATORS_FOR[kind]:
        raise ConditionError(_("„%(op)s“ passt nicht zu einem Feld der Art %(kind)s.",
                               op=OPERATORS[operator], kind=TYPE_LABELS[kind]))
    if operator == "ist_ja":
        return f"{name} == True"
    if operator == "ist_nein":
        return f"{name} == False"
    if operator == "ist_leer":
        return f"not {name}"
    if operator == "ist_ausgefuellt":
        return f"bool({name})"
    if operator in LIST_OPERATORS:
        values = list(value) if isinstance(value, (list, tuple, set)) else [value]
        values = [coerce(v, kind) for v in values if v not in (None, "")]
        if not values:
            raise ConditionError(_("Bitte mindestens einen Wert wählen."))
        inner = ", ".join(literal(v) for v in values)
        if len(values) == 1:
            inner += ","
        return f"{name} {'in' if operator == 'ist_einer_von' else 'not in'} ({inner})"
    if value is None or (isinstance(value, str) and not value.strip() and kind in (NUMBER, DATE)):
        raise ConditionError(_("Bitte einen Wert angeben."))
    if operator == "enthaelt":
        return f"{literal(coerce(value, TEXT if kind == MULTIPLE else kind))} in {name}"
    return f"{name} {SYMBOLS[operator]} {literal(coerce(value, kind))}"


def build_condition(clauses: Sequence[Clause | Sequence], join: str = "und",
                    fields: Iterable[FieldInfo] | Mapping[str, str] | None = None) -> str:
    """The expression of the clauses joined by ``und``/``oder``; ConditionError (German) for a
    clause that cannot be written or an expression the sandbox refuses. ``fields`` (FieldInfo
    list or name -> type) types the values the editor sends as text."""
    if join not in JOINS:
        raise ConditionError(_("Verknüpfung „%(join)s“ unbekannt (und/oder).", join=join))
    if not clauses:
        raise ConditionError(_("Bitte mindestens eine Bedingung angeben."))
    kinds = _kinds(fields)
    parts = [_clause_source(Clause(*c), kinds) for c in clauses]
    expression = f" {'and' if join == 'und' else 'or'} ".join(parts)
    if (error := check_expression(expression)) is not None:
        raise ConditionError(error)
    return expression


def _kinds(fields: Iterable[FieldInfo] | Mapping[str, str] | None) -> dict[str, str]:
    if fields is None:
        return {}
    if isinstance(fields, Mapping):
        return dict(fields)
    return {f.name: f.type for f in fields}


def parse_condition(expr: str | None, fields: Iterable[FieldInfo] | Mapping[str, str] | None = None
                    ) -> tuple[list[Clause], str] | None:
    """``(clauses, join)`` of a guided expression, None for anything else (the expert field).
    Reads what ``build_condition`` writes and equivalent hand-written forms (``x == "a"``,
    ``18 <= alter <= 27``, ``x in ["a", "b"]``, ``feld`` / ``not feld``)."""
    text = (expr or "").strip()
    if not text or check_expression(text) is not None:
        return None
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    kinds = _kinds(fields)
    join = "und"
    if isinstance(node, ast.BoolOp):
        join = "und" if isinstance(node.op, ast.And) else "oder"
        parts = node.values
    else:
        parts = [node]
    clauses: list[Clause] = []
    for part in parts:
        read = _read_clause(part, kinds)
        if read is None:
            return None
        if len(read) > 1 and join == "oder" and len(parts) > 1:
            return None  # a range inside "or" is not guided
        clauses.extend(read)
    if len(parts) == 1 and len(clauses) > 1:
        join = "und"  # a chained comparison: 18 <= alter <= 27
    return clauses, join


def _constant(node: ast.AST) -> tuple[bool, Any]:
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float)) and node.value is not None:
        return True, node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
            and isinstance(node.operand.value, (int, float)) and not isinstance(node.operand.value, bool):
        return True, -node.operand.value
    return False, None


def _read_clause(node: ast.AST, kinds: Mapping[str, str]) -> list[Clause] | None:
    if isinstance(node, ast.Name):
        return [Clause(node.id, "ist_ja" if kinds.get(node.id, BOOLEAN) == BOOLEAN else "ist_ausgefuellt")]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) and isinstance(node.operand, ast.Name):
        name = node.operand.id
        return [Clause(name, "ist_nein" if kinds.get(name) == BOOLEAN else "ist_leer")]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "bool" \
            and len(node.args) == 1 and not node.keywords and isinstance(node.args[0], ast.Name):
        return [Clause(node.args[0].id, "ist_ausgefuellt")]
    if not isinstance(node, ast.Compare):
        return None
    items = [node.left, *node.comparators]
    clauses = []
    for left, op, right in zip(items, node.ops, items[1:], strict=False):
        clause = _read_compare(left, op, right)
        if clause is None:
            return None
        clauses.append(clause)
    if len(clauses) > 1 and any(c.operator not in MIRRORED for c in clauses):
        return None
    return clauses


def _read_compare(left: ast.AST, op: ast.cmpop, right: ast.AST) -> Clause | None:
    if isinstance(op, (ast.In, ast.NotIn)):
        is_const, value = _constant(left)
        if is_const and isinstance(op, ast.In) and isinstance(right, ast.Name):
            return Clause(right.id, "enthaelt", value)
        if isinstance(left, ast.Name) and isinstance(right, (ast.Tuple, ast.List, ast.Set)):
            values = []
            for element in right.elts:
                ok, value = _constant(element)
                if not ok:
                    return None
                values.append(value)
            if not values:
                return None
            return Clause(left.id, "ist_einer_von" if isinstance(op, ast.In) else "ist_keiner_von", values)
        return None
    if isinstance(op, (ast.Eq, ast.Is, ast.NotEq, ast.IsNot)):
        for name_node, other in ((left, right), (right, left)):
            if isinstance(name_node, ast.Name) and isinstance(other, ast.Constant) and isinstance(other.value, bool):
                yes = other.value == isinstance(op, (ast.Eq, ast.Is))
                return Clause(name_node.id, "ist_ja" if yes else "ist_nein")
    operator = next((k for k, cls in COMPARE.items() if isinstance(op, cls)), None)
    if operator is None:
        return None
    if isinstance(left, ast.Name):
        ok, value = _constant(right)
        return Clause(left.id, operator, value) if ok and not isinstance(value, bool) else None
    if isinstance(right, ast.Name):
        ok, value = _constant(left)
        return Clause(right.id, MIRRORED[operator], value) if ok and not isinstance(value, bool) else None
    return None


def describe(clauses: Sequence[Clause], join: str, fields: Iterable[FieldInfo] | None = None) -> str:
    """German reading of parsed clauses: „Ergebnis ist gleich „fortführen““."""
    infos = {f.name: f for f in fields or []}

    def shown(name: str, value: Any) -> str:
        info = infos.get(name)
        labels = dict(info.choices) if info else {}
        if isinstance(value, str) and info is not None and info.type == DATE:
            try:
                return datum(datetime.date.fromisoformat(value))
            except ValueError:
                return value
        if isinstance(value, str):
            return f"„{labels.get(value, value)}“"
        return zahl(value) if isinstance(value, (int, float)) else str(value)

    parts = []
    for name, operator, value in clauses:
        label = infos[name].label if name in infos else name
        text = f"{label} {OPERATORS[operator]}"
        if operator in LIST_OPERATORS:
            text += " " + ", ".join(shown(name, v) for v in value)
        elif operator not in NO_VALUE:
            text += " " + shown(name, value)
        parts.append(text)
    return f" {join} ".join(parts)


# --- due dates ------------------------------------------------------------------------------------

class DueDate(NamedTuple):
    amount: int
    unit: str
    field: str | None = None  # None: after the task began
    direction: str = "nach"


def build_due_date(amount: int, unit: str, field: str | None = None, direction: str = "nach") -> str:
    """The ``dueDate`` expression: ``"P5D"`` (after the task began) or a date ``amount`` days/weeks
    after (``direction="vor"``: before) the date field ``field``; amount 0 = the date itself."""
    if direction not in DIRECTIONS:
        raise ConditionError(_("Bitte „nach“ oder „vor“ wählen."))
    if unit not in durations.UNITS:
        raise ConditionError(_("Unbekannte Einheit „%(unit)s“.", unit=unit))
    if field is None:
        if direction != "nach":
            raise ConditionError(_("Eine Frist kann nicht vor dem Beginn der Aufgabe liegen."))
        try:
            return literal(durations.to_iso(amount, unit))
        except ValueError:
            raise ConditionError(_("Die Anzahl muss zwischen 1 und %(max)s liegen.",
                                   max=durations.MAX_AMOUNT)) from None
    _check_name(field)
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 <= amount <= durations.MAX_AMOUNT:
        raise ConditionError(_("Die Anzahl muss zwischen 0 und %(max)s liegen.", max=durations.MAX_AMOUNT))
    if unit not in DATE_UNITS:
        raise ConditionError(_("Nach oder vor einem Datum sind nur Tage und Wochen möglich."))
    if amount == 0:
        expression = field
    else:
        sign = "+" if direction == "nach" else "-"
        expression = f"str(date.fromisoformat({field}) {sign} timedelta({DATE_UNITS[unit]}={amount}))"
    if (error := check_expression(expression)) is not None:
        raise ConditionError(error)
    return expression


def parse_due_date(expr: str | None) -> DueDate | None:
    """What ``build_due_date`` wrote (or ``"P5D"`` / a bare date field), None for anything else."""
    text = (expr or "").strip()
    if not text or check_expression(text) is not None:
        return None
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        simple = durations.from_iso(node.value)
        return DueDate(simple[0], simple[1]) if simple else None
    if isinstance(node, ast.Name):
        return DueDate(0, "tage", node.id)
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str"
            and len(node.args) == 1 and not node.keywords and isinstance(node.args[0], ast.BinOp)):
        return None
    binop = node.args[0]
    if not isinstance(binop.op, (ast.Add, ast.Sub)):
        return None
    base, delta = binop.left, binop.right
    if not (isinstance(base, ast.Call) and isinstance(base.func, ast.Attribute)
            and isinstance(base.func.value, ast.Name) and base.func.value.id == "date"
            and base.func.attr == "fromisoformat" and len(base.args) == 1 and isinstance(base.args[0], ast.Name)):
        return None
    if not (isinstance(delta, ast.Call) and isinstance(delta.func, ast.Name) and delta.func.id == "timedelta"
            and not delta.args and len(delta.keywords) == 1):
        return None
    keyword_ = delta.keywords[0]
    unit = next((k for k, v in DATE_UNITS.items() if v == keyword_.arg), None)
    if unit is None or not isinstance(keyword_.value, ast.Constant) or type(keyword_.value.value) is not int:
        return None
    amount = keyword_.value.value
    if not 1 <= amount <= durations.MAX_AMOUNT:
        return None
    return DueDate(amount, unit, base.args[0].id, "nach" if isinstance(binop.op, ast.Add) else "vor")


def describe_due_date(due: DueDate, fields: Iterable[FieldInfo] | None = None) -> str:
    infos = {f.name: f.label for f in fields or []}
    if due.field is None:
        return _("%(amount)s %(unit)s nach Beginn der Aufgabe", amount=due.amount, unit=durations.UNITS[due.unit][1])
    label = infos.get(due.field, due.field)
    if due.amount == 0:
        return _("am Datum „%(field)s“", field=label)
    if due.direction == "vor":
        return _("%(amount)s %(unit)s vor „%(field)s“", amount=due.amount, unit=durations.UNITS[due.unit][1],
                 field=label)
    return _("%(amount)s %(unit)s nach „%(field)s“", amount=due.amount, unit=durations.UNITS[due.unit][1],
             field=label)
