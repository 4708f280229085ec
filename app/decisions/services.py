"""Decision tables: reading, checking, importing and editing DMN versions.

Cells follow SpiffWorkflow's DMN engine (``SpiffWorkflow/dmn/engine/DMNEngine.py``): an input
cell is a Python expression that is compared with the input expression (``"p44"`` means
``status == "p44"``), starts with an operator (``> 27`` means ``alter > 27``), or uses ``?`` for
the input (``? in ("a", "b")``); an empty cell or ``-`` matches anything. An output cell is a
Python expression. All of them run in the sandboxed script engine, so each cell is checked by
compiling exactly the expression the engine will evaluate in that sandbox.
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _
from lxml import etree
from sqlalchemy import func, select

from app.auth.models import User
from app.decisions.models import SOURCE_EDITOR, SOURCE_FILE, DecisionTable
from app.engine.sandbox import check_expression
from app.engine.specs import check_decision_table, provide_decisions
from app.extensions import db

MAX_CELL = 500
_QUESTION = re.compile(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)')  # as in Spiff's DMN engine
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=False)


class DecisionError(Exception):
    """A DMN document that cannot be stored (German message)."""


@dataclass
class Column:
    id: str
    label: str
    expression: str = ""  # inputs: the input expression; outputs: the output name


@dataclass
class Cell:
    id: str
    text: str


@dataclass
class Rule:
    id: str
    description: str
    inputs: list[Cell] = field(default_factory=list)
    outputs: list[Cell] = field(default_factory=list)


@dataclass
class TableView:
    decision_id: str
    name: str
    hit_policy: str
    inputs: list[Column]
    outputs: list[Column]
    rules: list[Rule]


def _local(el) -> str:
    return etree.QName(el).localname


def _children(el, name: str) -> list:
    return [c for c in el if isinstance(c.tag, str) and _local(c) == name]


def _text_of(el) -> str:
    texts = _children(el, "text")
    return (texts[0].text or "").strip() if texts else ""


def _root(xml: str):
    try:
        return etree.fromstring(xml.encode("utf-8"), _PARSER)
    except etree.XMLSyntaxError as exc:
        raise DecisionError(_("Die DMN-Datei ist kein gültiges XML: %(detail)s", detail=str(exc))) from exc


def read_table(xml: str) -> TableView:
    """The first decision table of a DMN document, for display and editing."""
    root = _root(xml)
    decisions = [el for el in root.iter() if isinstance(el.tag, str) and _local(el) == "decision"]
    if not decisions:
        raise DecisionError(_("Die DMN-Datei enthält keine Entscheidung."))
    decision = decisions[0]
    tables = _children(decision, "decisionTable")
    if not tables:
        raise DecisionError(_("Die Entscheidung enthält keine Entscheidungstabelle."))
    table = tables[0]
    inputs = []
    for el in _children(table, "input"):
        expr = _children(el, "inputExpression")
        inputs.append(Column(el.get("id", ""), el.get("label", ""), _text_of(expr[0]) if expr else ""))
    outputs = [Column(el.get("id", ""), el.get("label", "") or el.get("name", ""), el.get("name", ""))
               for el in _children(table, "output")]
    rules = []
    for el in _children(table, "rule"):
        desc = _children(el, "description")
        rules.append(Rule(
            id=el.get("id", ""),
            description=(desc[0].text or "").strip() if desc else "",
            inputs=[Cell(c.get("id", ""), _text_of(c)) for c in _children(el, "inputEntry")],
            outputs=[Cell(c.get("id", ""), _text_of(c)) for c in _children(el, "outputEntry")],
        ))
    return TableView(decision.get("id", ""), decision.get("name", "") or decision.get("id", ""),
                     table.get("hitPolicy", "UNIQUE"), inputs, outputs, rules)


def engine_expression(input_expression: str, cell: str) -> str | None:
    """The expression Spiff's DMN engine evaluates for an input cell (None: matches anything)."""
    text = (cell or "").strip()
    if not text or text == "-":
        return None
    if _QUESTION.search(text):
        return _QUESTION.sub("dmninputexpr", text)
    try:
        ast.parse(text, mode="eval")
        return f"({input_expression}) == ({text})"
    except SyntaxError:
        return input_expression + text


# Builtins the sandbox replaces by stubs that fail at run time: refused already when saving.
_REFUSED_NAMES = {
    "open", "eval", "exec", "compile", "globals", "locals", "vars", "getattr", "setattr", "delattr",
    "hasattr", "type", "dir", "id", "input", "breakpoint", "help", "exit", "quit", "memoryview",
    "object", "super", "classmethod", "staticmethod", "property", "format", "iter", "callable",
    "issubclass", "bytes", "bytearray",
}


def _sandbox_error(expression: str) -> str | None:
    error = check_expression(expression)
    if error:
        return _("Nicht erlaubt: %(detail)s", detail=error)
    names = {node.id for node in ast.walk(ast.parse(expression, mode="eval")) if isinstance(node, ast.Name)}
    refused = sorted(names & _REFUSED_NAMES)
    if refused:
        return _("Nicht erlaubt: die Funktion %(name)s()", name=refused[0])
    return None


def input_cell_error(input_expression: str, cell: str) -> str | None:
    """German message if an input cell cannot run in the sandbox, else None."""
    text = (cell or "").strip()
    if len(text) > MAX_CELL:
        return _("Bitte höchstens %(max)d Zeichen eingeben.", max=MAX_CELL)
    try:
        expression = engine_expression(input_expression, text)
    except (ValueError, TypeError):
        expression = text
    if expression is None:
        return None
    try:
        ast.parse(expression, mode="eval")
    except SyntaxError:
        return _("„%(cell)s“ ist keine gültige Bedingung (z. B. „> 27“, „<= 3“, „\"p44\"“ oder "
                 "„? in (\"a\", \"b\")“).", cell=text)
    return _sandbox_error(expression)


def output_cell_error(cell: str) -> str | None:
    text = (cell or "").strip()
    if not text:
        return _("Bitte ein Ergebnis eintragen (z. B. „\"berechtigt\"“).")
    if len(text) > MAX_CELL:
        return _("Bitte höchstens %(max)d Zeichen eingeben.", max=MAX_CELL)
    try:
        ast.parse(text, mode="eval")
    except SyntaxError:
        return _("„%(cell)s“ ist kein gültiger Ausdruck.", cell=text)
    return _sandbox_error(text)


def check_dmn(xml: str) -> TableView:
    """Refuse a DMN document that the engine could not use; returns its table."""
    view = read_table(xml)
    try:
        check_decision_table(xml, view.decision_id)
    except Exception as exc:  # noqa: BLE001 - the parser raises many kinds; report them in German
        detail = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
        raise DecisionError(_("Die Entscheidungstabelle ist fehlerhaft: %(detail)s", detail=detail)) from exc
    problems = []
    for rule_no, rule in enumerate(view.rules, start=1):
        for column, cell in zip(view.inputs, rule.inputs, strict=False):
            error = input_cell_error(column.expression, cell.text)
            if error:
                problems.append(_("Regel %(n)d, %(col)s: %(error)s", n=rule_no, col=column.label, error=error))
        for column, cell in zip(view.outputs, rule.outputs, strict=False):
            error = output_cell_error(cell.text)
            if error:
                problems.append(_("Regel %(n)d, %(col)s: %(error)s", n=rule_no, col=column.label, error=error))
    if problems:
        raise DecisionError(" ".join(problems))
    return view


# --- stored versions -----------------------------------------------------------------------

def _digest(xml: str) -> str:
    return hashlib.sha256(xml.encode("utf-8")).hexdigest()


def _latest_numbers():
    return (select(DecisionTable.decision_id, func.max(DecisionTable.number).label("number"))
            .group_by(DecisionTable.decision_id).subquery())


def current_tables() -> list[DecisionTable]:
    latest = _latest_numbers()
    return list(db.session.scalars(
        select(DecisionTable).join(latest, (DecisionTable.decision_id == latest.c.decision_id)
                                   & (DecisionTable.number == latest.c.number))
        .order_by(DecisionTable.decision_id)
    ))


def current(decision_id: str) -> DecisionTable | None:
    return db.session.scalar(select(DecisionTable).where(DecisionTable.decision_id == decision_id)
                             .order_by(DecisionTable.number.desc()).limit(1))


def current_sources() -> list[tuple[str, str, str]]:
    """(decision id, hash, DMN text) of the current version of every decision table."""
    return [(t.decision_id, t.content_hash, t.dmn_xml) for t in current_tables()]


def current_hashes(ids: list[str]) -> dict[str, str]:
    latest = _latest_numbers()
    rows = db.session.execute(
        select(DecisionTable.decision_id, DecisionTable.content_hash)
        .join(latest, (DecisionTable.decision_id == latest.c.decision_id)
              & (DecisionTable.number == latest.c.number))
        .where(DecisionTable.decision_id.in_(ids))
    ).all()
    return {decision_id: digest for decision_id, digest in rows}


provide_decisions(current_sources, current_hashes)  # the engine's spec cache parses these in


def versions(decision_id: str) -> list[DecisionTable]:
    return list(db.session.scalars(select(DecisionTable).where(DecisionTable.decision_id == decision_id)
                                   .order_by(DecisionTable.number.desc())))


def store(xml: str, user: User | None, comment: str, source: str) -> DecisionTable | None:
    """Store ``xml`` as the new current version unless it equals the current one."""
    view = check_dmn(xml)
    newest = current(view.decision_id)
    digest = _digest(xml)
    if newest is not None and newest.content_hash == digest:
        return None
    table = DecisionTable(decision_id=view.decision_id, number=(newest.number + 1) if newest else 1,
                          name=view.name[:200], dmn_xml=xml, content_hash=digest, source=source,
                          created_by=user, comment=comment[:500])
    db.session.add(table)
    db.session.flush()
    return table


def sync_decisions(directory: str) -> list[str]:
    """Import each ``*.dmn`` of ``directory`` when the file changed since its last import.

    Versions saved in the editor are kept: a file is compared with the last version imported
    from a file, not with the current one.
    """
    imported = []
    for path in sorted(Path(directory).glob("*.dmn")):
        xml = path.read_text(encoding="utf-8")
        view = read_table(xml)
        last_file = db.session.scalar(
            select(DecisionTable).where(DecisionTable.decision_id == view.decision_id,
                                        DecisionTable.source == SOURCE_FILE)
            .order_by(DecisionTable.number.desc()).limit(1))
        if last_file is not None and last_file.content_hash == _digest(xml):
            continue
        table = store(xml, None, f"Import aus {path.name}", SOURCE_FILE)
        if table is not None:
            imported.append(f"{table.decision_id} v{table.number}")
    return imported


def edit_cells(table: DecisionTable, cells: dict[str, str]) -> tuple[str, dict[str, str]]:
    """Apply changed cell texts (entry id -> text); returns the new DMN and errors by entry id."""
    view = read_table(table.dmn_xml)
    errors: dict[str, str] = {}
    for rule in view.rules:
        for column, cell in zip(view.inputs, rule.inputs, strict=False):
            if cell.id in cells:
                error = input_cell_error(column.expression, cells[cell.id])
                if error:
                    errors[cell.id] = error
        for cell in rule.outputs:
            if cell.id in cells:
                error = output_cell_error(cells[cell.id])
                if error:
                    errors[cell.id] = error
    if errors:
        return table.dmn_xml, errors
    root = _root(table.dmn_xml)
    for el in root.iter():
        if not isinstance(el.tag, str) or _local(el) not in ("inputEntry", "outputEntry"):
            continue
        entry_id = el.get("id")
        if entry_id not in cells:
            continue
        texts = _children(el, "text")
        if texts:
            text_el = texts[0]
        else:
            text_el = etree.SubElement(el, etree.QName(el).namespace and f"{{{etree.QName(el).namespace}}}text"
                                       or "text")
        text_el.text = cells[entry_id].strip()
    xml = etree.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + xml + "\n", errors


def save_edits(table: DecisionTable, cells: dict[str, str], user: User,
               comment: str) -> tuple[DecisionTable | None, dict[str, str]]:
    """Validate the cells and store a new version (None if nothing changed)."""
    xml, errors = edit_cells(table, cells)
    if errors:
        return None, errors
    return store(xml, user, comment or _("Im Browser geändert"), SOURCE_EDITOR), {}
