"""The editor's model of a decision table: columns, rules, named constants and test cases.

The model is the source of truth of the editor (stored as JSON with drafts and versions); the
DMN document the engine gets is generated from it with every constant replaced by its value
(:func:`to_dmn`), so the engine never sees a constant. A constant's name starts with a capital
letter (``Altersgrenze``); data names used by input expressions are lower case (``alter``), so
a capitalised name in a cell that is no constant is reported as unknown.
"""

from __future__ import annotations

import ast
import builtins
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from flask_babel import gettext as _
from lxml import etree

HIT_POLICIES = ("UNIQUE", "FIRST", "COLLECT")
MAX_LABEL, MAX_EXPR, MAX_CELL, MAX_VALUE, MAX_NAME = 200, 500, 500, 200, 40
MAX_RULES, MAX_COLUMNS, MAX_CONSTANTS, MAX_TESTS = 200, 30, 50, 100
DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"

_CONSTANT_NAME = re.compile(r"^[A-ZÄÖÜ][A-Za-z0-9_ÄÖÜäöüß]*$")
_OUTPUT_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_XML_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,80}$")
# String literals (kept as they are) or a name not preceded by a dot or a name character.
_TOKEN = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|(?<![\w.])([^\W\d]\w*)")
_NOT_CONSTANTS = {"True", "False", "None"}


@dataclass
class Column:
    id: str
    label: str
    expression: str = ""  # inputs: the input expression; outputs: the output name
    type_ref: str = ""


@dataclass
class Rule:
    id: str
    description: str = ""
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)


@dataclass
class Constant:
    name: str
    value: str
    description: str = ""


@dataclass
class TestCase:
    name: str
    inputs: dict[str, str] = field(default_factory=dict)  # data name -> value (Python literal text)
    expected: dict[str, str] = field(default_factory=dict)  # output name -> value (literal text)


@dataclass
class TableModel:
    decision_id: str
    name: str
    hit_policy: str = "UNIQUE"
    inputs: list[Column] = field(default_factory=list)
    outputs: list[Column] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    constants: list[Constant] = field(default_factory=list)
    tests: list[TestCase] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TableModel:
        data = json.loads(text)
        return cls(
            decision_id=data["decision_id"], name=data.get("name", ""),
            hit_policy=data.get("hit_policy", "UNIQUE"),
            inputs=[Column(**c) for c in data.get("inputs", [])],
            outputs=[Column(**c) for c in data.get("outputs", [])],
            rules=[Rule(**r) for r in data.get("rules", [])],
            constants=[Constant(**c) for c in data.get("constants", [])],
            tests=[TestCase(**t) for t in data.get("tests", [])],
        )

    def variables(self) -> list[str]:
        """The data names the input expressions read (what a test case must give)."""
        return input_variables([c.expression for c in self.inputs])


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


def from_view(view) -> TableModel:
    """The model of a DMN table read by ``services.read_table`` (no constants, no tests)."""
    return TableModel(
        decision_id=view.decision_id, name=view.name, hit_policy=view.hit_policy.upper(),
        inputs=[Column(c.id, c.label, c.expression, c.type_ref) for c in view.inputs],
        outputs=[Column(c.id, c.label, c.expression, c.type_ref) for c in view.outputs],
        rules=[Rule(r.id, r.description, [c.text for c in r.inputs], [c.text for c in r.outputs])
               for r in view.rules],
    )


_BUILTINS = set(dir(builtins))


def input_variables(expressions: list[str]) -> list[str]:
    names: list[str] = []
    for expression in expressions:
        try:
            tree = ast.parse(expression, mode="eval")
        except SyntaxError:
            continue
        bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in bound
                    and node.id not in _BUILTINS and node.id not in names):
                names.append(node.id)
    return names


# --- constants -------------------------------------------------------------------------------

def constant_names_used(text: str) -> list[str]:
    """Capitalised names in a cell (outside string literals): constants, or unknown ones."""
    return [m.group(1) for m in _TOKEN.finditer(text or "")
            if m.group(1) and m.group(1)[0].isupper() and m.group(1) not in _NOT_CONSTANTS]


def expand(text: str, constants: Mapping[str, str]) -> str:
    """``text`` with every constant replaced by its value (string literals stay untouched)."""
    def replace(match: re.Match) -> str:
        name = match.group(1)
        if not name or name not in constants:
            return match.group(0)
        value = constants[name].strip()
        simple = re.fullmatch(r"-?\d+(\.\d+)?|True|False|None|\"[^\"\\]*\"|'[^'\\]*'", value)
        return value if simple else f"({value})"
    return _TOKEN.sub(replace, text or "")


def constant_values(model: TableModel) -> dict[str, str]:
    return {c.name: c.value for c in model.constants}


def literal(text: str) -> Any:
    """The value of a Python literal (raises ValueError/SyntaxError)."""
    return ast.literal_eval(text.strip())


# --- validation: every problem at once, by form field ---------------------------------------

def validate(model: TableModel, input_cell_error, output_cell_error, expression_error) -> dict[str, str]:
    """German problems by form field name (see :func:`form_data`); empty when the table is fine.

    The cell checks of ``services`` are passed in (they compile exactly what the engine runs).
    """
    errors: dict[str, str] = {}
    if model.hit_policy not in HIT_POLICIES:
        errors["hit_policy"] = _("Bitte eine der angebotenen Trefferregeln wählen.")
    if not model.name.strip():
        errors["name"] = _("Bitte einen Namen für die Entscheidung eintragen.")
    elif len(model.name) > MAX_LABEL:
        errors["name"] = _("Bitte höchstens %(max)d Zeichen eingeben.", max=MAX_LABEL)
    if not model.inputs:
        errors["inputs"] = _("Die Tabelle braucht mindestens eine Eingabespalte.")
    if not model.outputs:
        errors["outputs"] = _("Die Tabelle braucht mindestens eine Ergebnisspalte.")
    if not model.rules:
        errors["rules"] = _("Die Tabelle braucht mindestens eine Regel.")
    for key, items, limit in (("rules", model.rules, MAX_RULES), ("inputs", model.inputs, MAX_COLUMNS),
                              ("outputs", model.outputs, MAX_COLUMNS),
                              ("constants", model.constants, MAX_CONSTANTS), ("tests", model.tests, MAX_TESTS)):
        if len(items) > limit:
            errors[key] = _("Höchstens %(max)d Einträge sind möglich.", max=limit)

    constants = {}
    for c, constant in enumerate(model.constants):
        name = constant.name.strip()
        if not _CONSTANT_NAME.match(name) or len(name) > MAX_NAME or name in _NOT_CONSTANTS:
            errors[f"const-{c}-name"] = _(
                "Der Name einer Konstante beginnt mit einem Großbuchstaben und enthält nur Buchstaben, "
                "Ziffern und „_“ (höchstens %(max)d Zeichen), z. B. „Altersgrenze“.", max=MAX_NAME)
        elif name in constants:
            errors[f"const-{c}-name"] = _("Die Konstante „%(name)s“ ist schon definiert.", name=name)
        value_error = value_problem(constant.value, required=True)
        if value_error:
            errors[f"const-{c}-value"] = value_error
        if len(constant.description) > MAX_LABEL:
            errors[f"const-{c}-desc"] = _("Bitte höchstens %(max)d Zeichen eingeben.", max=MAX_LABEL)
        constants[name] = constant.value

    for j, column in enumerate(model.inputs):
        if not column.label.strip():
            errors[f"in-{j}-label"] = _("Bitte eine Bezeichnung eintragen.")
        elif len(column.label) > MAX_LABEL:
            errors[f"in-{j}-label"] = _("Bitte höchstens %(max)d Zeichen eingeben.", max=MAX_LABEL)
        if not column.expression.strip():
            errors[f"in-{j}-expr"] = _("Bitte den Eingabewert eintragen, z. B. „alter“.")
        elif len(column.expression) > MAX_EXPR:
            errors[f"in-{j}-expr"] = _("Bitte höchstens %(max)d Zeichen eingeben.", max=MAX_EXPR)
        else:
            error = expression_error(column.expression)
            if error:
                errors[f"in-{j}-expr"] = error
    names: set[str] = set()
    for k, column in enumerate(model.outputs):
        if not column.label.strip():
            errors[f"out-{k}-label"] = _("Bitte eine Bezeichnung eintragen.")
        elif len(column.label) > MAX_LABEL:
            errors[f"out-{k}-label"] = _("Bitte höchstens %(max)d Zeichen eingeben.", max=MAX_LABEL)
        if not _OUTPUT_NAME.match(column.expression) or len(column.expression) > MAX_NAME:
            errors[f"out-{k}-name"] = _(
                "Der Ergebnisname besteht aus Kleinbuchstaben, Ziffern und „_“ (z. B. „berechtigung“); "
                "unter ihm steht das Ergebnis in den Falldaten.")
        elif column.expression in names:
            errors[f"out-{k}-name"] = _("Der Ergebnisname „%(name)s“ kommt doppelt vor.", name=column.expression)
        names.add(column.expression)

    def cell_problem(text: str, check) -> str | None:
        unknown = [n for n in constant_names_used(text) if n not in constants]
        if unknown:
            return _("Unbekannte Konstante „%(name)s“: bitte unter „Konstanten“ definieren oder die "
                     "Schreibweise prüfen.", name=unknown[0])
        if len(text) > MAX_CELL:
            return _("Bitte höchstens %(max)d Zeichen eingeben.", max=MAX_CELL)
        return check(expand(text, constants))

    for i, rule in enumerate(model.rules):
        if len(rule.description) > MAX_EXPR:
            errors[f"rule-{i}-desc"] = _("Bitte höchstens %(max)d Zeichen eingeben.", max=MAX_EXPR)
        for j, column in enumerate(model.inputs):
            text = rule.inputs[j] if j < len(rule.inputs) else ""
            if f"in-{j}-expr" not in errors:
                error = cell_problem(text, lambda t, col=column: input_cell_error(col.expression, t))
                if error:
                    errors[f"rule-{i}-in-{j}"] = error
        for k, _column in enumerate(model.outputs):
            text = rule.outputs[k] if k < len(rule.outputs) else ""
            error = cell_problem(text, output_cell_error)
            if error:
                errors[f"rule-{i}-out-{k}"] = error

    variables = model.variables()
    for t, case in enumerate(model.tests):
        if not case.name.strip():
            errors[f"test-{t}-name"] = _("Bitte den Testfall benennen.")
        elif len(case.name) > MAX_LABEL:
            errors[f"test-{t}-name"] = _("Bitte höchstens %(max)d Zeichen eingeben.", max=MAX_LABEL)
        for name in variables:
            error = value_problem(case.inputs.get(name, ""), required=False)
            if error:
                errors[f"test-{t}-var-{name}"] = error
        expected = [column.expression for column in model.outputs if case.expected.get(column.expression, "").strip()]
        if not expected and f"test-{t}-exp-0" not in errors:
            errors[f"test-{t}-exp-0"] = _("Bitte mindestens ein erwartetes Ergebnis eintragen.")
        for k, column in enumerate(model.outputs):
            text = case.expected.get(column.expression, "")
            if text.strip():
                error = value_problem(text, required=True)
                if error:
                    errors[f"test-{t}-exp-{k}"] = error
    return errors


def value_problem(text: str, required: bool) -> str | None:
    text = (text or "").strip()
    if not text:
        return _("Bitte einen Wert eintragen.") if required else None
    if len(text) > MAX_VALUE:
        return _("Bitte höchstens %(max)d Zeichen eingeben.", max=MAX_VALUE)
    try:
        literal(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _("Bitte einen festen Wert eintragen: eine Zahl (27), einen Text in Anführungszeichen "
                 "(\"p44\"), True/False, None oder eine Liste ((\"a\", \"b\")).")
    return None


# --- DMN -------------------------------------------------------------------------------------

def to_dmn(model: TableModel) -> str:
    """The DMN document for the engine: constants expanded into the cells."""
    constants = constant_values(model)

    def el(parent, tag: str, **attrs: str):
        node = etree.SubElement(parent, f"{{{DMN_NS}}}{tag}")
        for key, value in attrs.items():
            if value:
                node.set(key, value)
        return node

    root = etree.Element(f"{{{DMN_NS}}}definitions", nsmap={None: DMN_NS})
    root.set("id", f"Definitions_{model.decision_id}")
    root.set("name", model.name)
    root.set("namespace", "http://fallwerk.example/dmn")
    decision = el(root, "decision", id=model.decision_id, name=model.name)
    table = el(decision, "decisionTable", id=f"DecisionTable_{model.decision_id}", hitPolicy=model.hit_policy)
    for column in model.inputs:
        node = el(table, "input", id=column.id, label=column.label)
        expr = el(node, "inputExpression", id=f"{column.id}_expr", typeRef=column.type_ref)
        el(expr, "text").text = column.expression.strip()
    for column in model.outputs:
        el(table, "output", id=column.id, label=column.label, name=column.expression, typeRef=column.type_ref)
    for rule in model.rules:
        node = el(table, "rule", id=rule.id)
        if rule.description.strip():
            el(node, "description").text = rule.description.strip()
        for j, _column in enumerate(model.inputs):
            entry = el(node, "inputEntry", id=f"{rule.id}_in{j}")
            el(entry, "text").text = expand(rule.inputs[j].strip(), constants)
        for k, _column in enumerate(model.outputs):
            entry = el(node, "outputEntry", id=f"{rule.id}_out{k}")
            el(entry, "text").text = expand(rule.outputs[k].strip(), constants)
    xml = etree.tostring(root, encoding="unicode", pretty_print=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + xml


# --- the editor's HTML form (no JavaScript: every button posts the whole table) -------------

def form_data(model: TableModel) -> dict[str, str]:
    """The form fields of the editor for ``model`` (what the page posts back)."""
    data = {"name": model.name, "hit_policy": model.hit_policy, "n_inputs": str(len(model.inputs)),
            "n_outputs": str(len(model.outputs)), "n_rules": str(len(model.rules)),
            "n_consts": str(len(model.constants)), "n_tests": str(len(model.tests))}
    for j, c in enumerate(model.inputs):
        data.update({f"in-{j}-id": c.id, f"in-{j}-label": c.label, f"in-{j}-expr": c.expression,
                     f"in-{j}-type": c.type_ref})
    for k, c in enumerate(model.outputs):
        data.update({f"out-{k}-id": c.id, f"out-{k}-label": c.label, f"out-{k}-name": c.expression,
                     f"out-{k}-type": c.type_ref})
    for i, r in enumerate(model.rules):
        data.update({f"rule-{i}-id": r.id, f"rule-{i}-desc": r.description})
        data.update({f"rule-{i}-in-{j}": text for j, text in enumerate(r.inputs)})
        data.update({f"rule-{i}-out-{k}": text for k, text in enumerate(r.outputs)})
    for n, constant in enumerate(model.constants):
        data.update({f"const-{n}-name": constant.name, f"const-{n}-value": constant.value,
                     f"const-{n}-desc": constant.description})
    for t, case in enumerate(model.tests):
        data[f"test-{t}-name"] = case.name
        data.update({f"test-{t}-var-{name}": value for name, value in case.inputs.items()})
        data.update({f"test-{t}-exp-{k}": case.expected.get(c.expression, "") for k, c in enumerate(model.outputs)})
    return data


def _count(form: Mapping[str, str], key: str, limit: int) -> int:
    try:
        return max(0, min(int(form.get(key, "0")), limit + 1))
    except ValueError:
        return 0


def from_form(decision_id: str, form: Mapping[str, str]) -> TableModel:
    """The model a posted editor form describes (ids that are missing or clash are made anew)."""
    def get(key: str) -> str:
        return (form.get(key) or "").replace("\r\n", "\n")

    seen: set[str] = set()

    def ident(value: str, prefix: str) -> str:
        value = value.strip()
        if not _XML_ID.match(value) or value in seen:
            value = new_id(prefix)
        seen.add(value)
        return value

    n_in = _count(form, "n_inputs", MAX_COLUMNS)
    n_out = _count(form, "n_outputs", MAX_COLUMNS)
    inputs = [Column(ident(get(f"in-{j}-id"), "input"), get(f"in-{j}-label").strip(),
                     get(f"in-{j}-expr").strip(), get(f"in-{j}-type").strip()[:40]) for j in range(n_in)]
    outputs = [Column(ident(get(f"out-{k}-id"), "output"), get(f"out-{k}-label").strip(),
                      get(f"out-{k}-name").strip(), get(f"out-{k}-type").strip()[:40]) for k in range(n_out)]
    rules = [Rule(ident(get(f"rule-{i}-id"), "rule"), get(f"rule-{i}-desc").strip(),
                  [get(f"rule-{i}-in-{j}").strip() for j in range(n_in)],
                  [get(f"rule-{i}-out-{k}").strip() for k in range(n_out)])
             for i in range(_count(form, "n_rules", MAX_RULES))]
    constants = [Constant(get(f"const-{c}-name").strip(), get(f"const-{c}-value").strip(),
                          get(f"const-{c}-desc").strip())
                 for c in range(_count(form, "n_consts", MAX_CONSTANTS))]
    variables = input_variables([c.expression for c in inputs])
    tests = []
    for t in range(_count(form, "n_tests", MAX_TESTS)):
        case_inputs = {name: get(f"test-{t}-var-{name}").strip() for name in variables
                       if get(f"test-{t}-var-{name}").strip()}
        expected = {c.expression: get(f"test-{t}-exp-{k}").strip() for k, c in enumerate(outputs)
                    if get(f"test-{t}-exp-{k}").strip()}
        tests.append(TestCase(get(f"test-{t}-name").strip(), case_inputs, expected))
    return TableModel(decision_id, get("name").strip(), get("hit_policy").strip().upper(),
                      inputs, outputs, rules, constants, tests)


def apply_action(model: TableModel, action: str) -> bool:
    """Apply a structural button (``regel-hoch-3`` …) to ``model``; False if unknown."""
    parts = action.rsplit("-", 1)
    index = int(parts[1]) if len(parts) == 2 and parts[1].isdigit() else None
    verb = parts[0] if index is not None else action

    def move(items: list, step: int) -> None:
        if index is not None and 0 <= index < len(items) and 0 <= index + step < len(items):
            items[index], items[index + step] = items[index + step], items[index]

    def remove(items: list) -> None:
        if index is not None and 0 <= index < len(items):
            items.pop(index)

    if verb == "regel-neu":
        model.rules.append(Rule(new_id("rule"), "", [""] * len(model.inputs), [""] * len(model.outputs)))
    elif verb == "regel-hoch":
        move(model.rules, -1)
    elif verb == "regel-runter":
        move(model.rules, 1)
    elif verb == "regel-loeschen":
        remove(model.rules)
    elif verb == "eingabe-neu":
        model.inputs.append(Column(new_id("input"), "", ""))
        for rule in model.rules:
            rule.inputs.append("")
    elif verb == "eingabe-loeschen" and index is not None and 0 <= index < len(model.inputs):
        model.inputs.pop(index)
        for rule in model.rules:
            rule.inputs.pop(index)
    elif verb == "ergebnis-neu":
        model.outputs.append(Column(new_id("output"), "", ""))
        for rule in model.rules:
            rule.outputs.append("")
    elif verb == "ergebnis-loeschen" and index is not None and 0 <= index < len(model.outputs):
        model.outputs.pop(index)
        for rule in model.rules:
            rule.outputs.pop(index)
    elif verb == "konstante-neu":
        model.constants.append(Constant("", ""))
    elif verb == "konstante-loeschen":
        remove(model.constants)
    elif verb == "test-neu":
        model.tests.append(TestCase(""))
    elif verb == "test-loeschen":
        remove(model.tests)
    else:
        return False
    return True


# --- diff between two versions ---------------------------------------------------------------

@dataclass
class Change:
    kind: str  # "hinzugefuegt", "entfernt", "geaendert", "verschoben"
    text: str


def _cell(text: str) -> str:
    return f"„{text}“" if text else _("(leer)")


def diff(old: TableModel, new: TableModel) -> list[Change]:
    """What changed from ``old`` to ``new``, in German (rules matched by their id)."""
    changes: list[Change] = []
    if old.name != new.name:
        changes.append(Change("geaendert", _("Name: %(old)s → %(new)s", old=_cell(old.name), new=_cell(new.name))))
    if old.hit_policy != new.hit_policy:
        changes.append(Change("geaendert", _("Trefferregel: %(old)s → %(new)s", old=old.hit_policy,
                                             new=new.hit_policy)))
    old_consts = {c.name: c for c in old.constants}
    new_consts = {c.name: c for c in new.constants}
    for name, c in new_consts.items():
        if name not in old_consts:
            changes.append(Change("hinzugefuegt", _("Konstante %(name)s = %(value)s hinzugefügt", name=name,
                                                    value=c.value)))
        elif old_consts[name].value != c.value:
            changes.append(Change("geaendert", _("Konstante %(name)s: %(old)s → %(new)s", name=name,
                                                 old=old_consts[name].value, new=c.value)))
    for name, c in old_consts.items():
        if name not in new_consts:
            changes.append(Change("entfernt", _("Konstante %(name)s = %(value)s entfernt", name=name,
                                                value=c.value)))
    for kind, old_cols, new_cols in ((_("Eingabespalte"), old.inputs, new.inputs),
                                     (_("Ergebnisspalte"), old.outputs, new.outputs)):
        old_by_id = {col.id: col for col in old_cols}
        new_ids = {col.id for col in new_cols}
        for col in new_cols:
            prev = old_by_id.get(col.id)
            if prev is None:
                changes.append(Change("hinzugefuegt", _("%(kind)s „%(label)s“ (%(expr)s) hinzugefügt", kind=kind,
                                                        label=col.label, expr=col.expression)))
                continue
            if prev.label != col.label:
                changes.append(Change("geaendert", _("%(kind)s umbenannt: „%(old)s“ → „%(new)s“", kind=kind,
                                                     old=prev.label, new=col.label)))
            if prev.expression != col.expression:
                changes.append(Change("geaendert", _("%(kind)s „%(label)s“: %(old)s → %(new)s", kind=kind,
                                                     label=col.label, old=_cell(prev.expression),
                                                     new=_cell(col.expression))))
        for col in old_cols:
            if col.id not in new_ids:
                changes.append(Change("entfernt", _("%(kind)s „%(label)s“ entfernt", kind=kind, label=col.label)))
    old_rules = {r.id: (i, r) for i, r in enumerate(old.rules)}
    new_rule_ids = {r.id for r in new.rules}
    old_in = {c.id: j for j, c in enumerate(old.inputs)}
    old_out = {c.id: k for k, c in enumerate(old.outputs)}
    kept_old_order = [r.id for r in old.rules if r.id in new_rule_ids]
    kept_new_order = [r.id for r in new.rules if r.id in old_rules]
    for i, rule in enumerate(new.rules, start=1):
        title = rule.description or ""
        if rule.id not in old_rules:
            cells = "; ".join(f"{c.label}: {_cell(t)}" for c, t in zip(new.inputs, rule.inputs, strict=False) if t)
            result = "; ".join(f"{c.label}: {_cell(t)}" for c, t in zip(new.outputs, rule.outputs, strict=False))
            changes.append(Change("hinzugefuegt", _("Regel %(n)d „%(title)s“ hinzugefügt (%(cells)s → %(result)s)",
                                                    n=i, title=title, cells=cells or _("immer"), result=result)))
            continue
        _old_index, old_rule = old_rules[rule.id]
        if old_rule.description != rule.description:
            changes.append(Change("geaendert", _("Regel %(n)d: Beschreibung %(old)s → %(new)s", n=i,
                                                 old=_cell(old_rule.description), new=_cell(rule.description))))
        for columns, row, old_index, old_cells in ((new.inputs, rule.inputs, old_in, old_rule.inputs),
                                                   (new.outputs, rule.outputs, old_out, old_rule.outputs)):
            for column, text in zip(columns, row, strict=False):
                j = old_index.get(column.id)
                if j is None or j >= len(old_cells):
                    continue
                if old_cells[j] != text:
                    changes.append(Change("geaendert", _("Regel %(n)d „%(title)s“, %(col)s: %(old)s → %(new)s", n=i,
                                                         title=title, col=column.label, old=_cell(old_cells[j]),
                                                         new=_cell(text))))
    for rule_id, (i, rule) in old_rules.items():
        if rule_id not in new_rule_ids:
            changes.append(Change("entfernt", _("Regel %(n)d „%(title)s“ entfernt", n=i + 1,
                                                title=rule.description)))
    if kept_old_order != kept_new_order:
        order = ", ".join(str(kept_old_order.index(r) + 1) for r in kept_new_order)
        changes.append(Change("verschoben", _("Reihenfolge der Regeln geändert (bisherige Nummern jetzt in "
                                              "der Reihenfolge %(order)s)", order=order)))
    old_tests = {t.name for t in old.tests}
    new_tests = {t.name for t in new.tests}
    for name in sorted(new_tests - old_tests):
        changes.append(Change("hinzugefuegt", _("Testfall „%(name)s“ hinzugefügt", name=name)))
    for name in sorted(old_tests - new_tests):
        changes.append(Change("entfernt", _("Testfall „%(name)s“ entfernt", name=name)))
    old_by_name = {t.name: t for t in old.tests}
    for case in new.tests:
        before_case = old_by_name.get(case.name)
        if before_case is not None and asdict(before_case) != asdict(case):
            changes.append(Change("geaendert", _("Testfall „%(name)s“ geändert", name=case.name)))
    return changes


def field_labels(model: TableModel) -> dict[str, str]:
    """A German name for each form field (the error summary links to the field with it)."""
    labels = {"name": _("Name der Entscheidung"), "hit_policy": _("Trefferregel"),
              "inputs": _("Eingabespalten"), "outputs": _("Ergebnisspalten"), "rules": _("Regeln"),
              "constants": _("Konstanten"), "tests": _("Testfälle")}
    for j, c in enumerate(model.inputs):
        name = c.label or _("Eingabespalte %(n)d", n=j + 1)
        labels[f"in-{j}-label"] = _("%(col)s: Bezeichnung", col=name)
        labels[f"in-{j}-expr"] = _("%(col)s: Eingabewert", col=name)
    for k, c in enumerate(model.outputs):
        name = c.label or _("Ergebnisspalte %(n)d", n=k + 1)
        labels[f"out-{k}-label"] = _("%(col)s: Bezeichnung", col=name)
        labels[f"out-{k}-name"] = _("%(col)s: Ergebnisname", col=name)
    for i, _rule in enumerate(model.rules):
        labels[f"rule-{i}-desc"] = _("Regel %(n)d: Beschreibung", n=i + 1)
        for j, c in enumerate(model.inputs):
            labels[f"rule-{i}-in-{j}"] = _("Regel %(n)d, %(col)s", n=i + 1, col=c.label)
        for k, c in enumerate(model.outputs):
            labels[f"rule-{i}-out-{k}"] = _("Regel %(n)d, Ergebnis: %(col)s", n=i + 1, col=c.label)
    for n in range(len(model.constants)):
        labels[f"const-{n}-name"] = _("Konstante %(n)d: Name", n=n + 1)
        labels[f"const-{n}-value"] = _("Konstante %(n)d: Wert", n=n + 1)
        labels[f"const-{n}-desc"] = _("Konstante %(n)d: Erläuterung", n=n + 1)
    for t, case in enumerate(model.tests):
        title = case.name or str(t + 1)
        labels[f"test-{t}-name"] = _("Testfall %(name)s: Name", name=title)
        for name in model.variables():
            labels[f"test-{t}-var-{name}"] = _("Testfall %(name)s: %(var)s", name=title, var=name)
        for k, c in enumerate(model.outputs):
            labels[f"test-{t}-exp-{k}"] = _("Testfall %(name)s: erwartet %(col)s", name=title, col=c.label)
    return labels
