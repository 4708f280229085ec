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

from flask import url_for
from flask_babel import gettext as _
from lxml import etree
from sqlalchemy import func, select

from app import approvals
from app.auth.models import ROLE_PROZESS, User
from app.decisions import table as table_model
from app.decisions.models import (
    DISCARDED,
    DRAFT,
    OPEN_STATUSES,
    PUBLISHED,
    REJECTED,
    SOURCE_EDITOR,
    SOURCE_FILE,
    SUBMITTED,
    DecisionDraft,
    DecisionTable,
)
from app.decisions.table import Change, Column, TableModel
from app.engine.decide import evaluate_decision
from app.engine.models import ProcessModel, ProcessVersion
from app.engine.sandbox import check_expression
from app.engine.specs import check_decision_table, provide_decisions
from app.extensions import db
from app.modeler import services as modeler
from app.timeutil import utcnow

MAX_CELL = 500
_QUESTION = re.compile(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)')  # as in Spiff's DMN engine
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=False)


class DecisionError(Exception):
    """A DMN document that cannot be stored (German message)."""


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
        inputs.append(Column(el.get("id", ""), el.get("label", ""), _text_of(expr[0]) if expr else "",
                             expr[0].get("typeRef", "") if expr else ""))
    outputs = [Column(el.get("id", ""), el.get("label", "") or el.get("name", ""), el.get("name", ""),
                      el.get("typeRef", ""))
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


# --- the editor: drafts, test cases, publishing with four-eyes --------------------------------

def expression_error(expression: str) -> str | None:
    """German message if an input expression cannot run in the sandbox, else None."""
    try:
        ast.parse(expression, mode="eval")
    except SyntaxError:
        return _("„%(expr)s“ ist kein gültiger Ausdruck (z. B. „alter“).", expr=expression)
    return _sandbox_error(expression)


def validate(model: TableModel) -> dict[str, str]:
    """Every problem of ``model`` at once, by form field (empty: the table can be saved)."""
    return table_model.validate(model, input_cell_error, output_cell_error, expression_error)


def model_of(version: DecisionTable) -> TableModel:
    """The editor's model of a stored version (constants and test cases, if it has them)."""
    if version.editor_json:
        return TableModel.from_json(version.editor_json)
    return table_model.from_view(read_table(version.dmn_xml))


def four_eyes(decision_id: str | None = None) -> bool:
    """Publishing a decision table needs a second process owner: the same rule as BPMN — the
    installation's default, or the four-eyes setting of any process model whose newest version
    calls this table (a table used by a four-eyes process cannot be changed by one person)."""
    if decision_id is None:
        return modeler.four_eyes()
    newest = (select(ProcessVersion.model_id, func.max(ProcessVersion.number).label("n"))
              .group_by(ProcessVersion.model_id).subquery())
    callers = db.session.scalars(
        select(ProcessModel).join(ProcessVersion, ProcessVersion.model_id == ProcessModel.id)
        .join(newest, (newest.c.model_id == ProcessVersion.model_id) & (newest.c.n == ProcessVersion.number))
        .where(ProcessVersion.bpmn_xml.contains(f">{decision_id}</")))
    models = list(callers)
    if not models:
        return modeler.four_eyes()
    return any(modeler.four_eyes(model) for model in models)


def open_draft(decision_id: str) -> DecisionDraft | None:
    return db.session.scalar(select(DecisionDraft).where(DecisionDraft.decision_id == decision_id,
                                                         DecisionDraft.status.in_(OPEN_STATUSES))
                             .order_by(DecisionDraft.id.desc()).limit(1))


def draft_model(draft: DecisionDraft) -> TableModel:
    return TableModel.from_json(draft.model_json)


def save_draft(version: DecisionTable, model: TableModel, user: User,
               comment: str) -> tuple[DecisionDraft | None, dict[str, str]]:
    """Validate ``model`` and keep it as the open draft of its table; (None, {}) when it equals
    the current version and no draft is open. Nothing is stored when there are problems."""
    errors = validate(model)
    if errors:
        return None, errors
    draft = open_draft(version.decision_id)
    if draft is None:
        if model.to_json() == model_of(version).to_json():
            return None, {}
        draft = DecisionDraft(decision_id=version.decision_id, base_number=version.number, created_by=user,
                              model_json="", reason="", editor_ids=[])
        db.session.add(draft)
    draft.model_json = model.to_json()
    if user.id not in (draft.editor_ids or []):
        draft.editor_ids = [*(draft.editor_ids or []), user.id]
    draft.status = DRAFT  # a submitted draft that is changed again must be submitted again
    draft.submitted_at = draft.submitted_by = None
    draft.comment = (comment or draft.comment or "")[:500]
    draft.updated_at = utcnow()
    db.session.flush()
    return draft, {}


@dataclass
class CaseResult:
    name: str
    passed: bool
    problems: list[str]


def _plain(value):
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def show_value(value) -> str:
    if value is None:
        return _("kein Ergebnis")
    if isinstance(value, str):
        return f'"{value}"'
    return repr(_plain(value))


def run_tests(model: TableModel) -> list[CaseResult]:
    """Run every test case of ``model`` against its DMN with the real engine."""
    if not model.tests:
        return []
    xml = table_model.to_dmn(model)
    variables = model.variables()
    results = []
    for case in model.tests:
        data = {name: None for name in variables}
        try:
            data.update({name: table_model.literal(text) for name, text in case.inputs.items() if text})
            result = evaluate_decision(xml, model.decision_id, data)
        except Exception as exc:  # noqa: BLE001 - the engine raises many kinds; report them in German
            detail = getattr(exc, "error_msg", None) or str(exc) or type(exc).__name__
            results.append(CaseResult(case.name, False, [_("Fehler bei der Auswertung: %(detail)s", detail=detail)]))
            continue
        problems = []
        for name, text in case.expected.items():
            try:
                expected = _plain(table_model.literal(text))
            except (ValueError, SyntaxError, TypeError):
                problems.append(_("%(name)s: erwarteter Wert ist ungültig", name=name))
                continue
            got = _plain(result.get(name))
            if got != expected:
                problems.append(_("%(name)s: erwartet %(expected)s, erhalten %(got)s", name=name,
                                  expected=show_value(expected), got=show_value(result.get(name))))
        results.append(CaseResult(case.name, not problems, problems))
    return results


def failing(results: list[CaseResult]) -> list[str]:
    return [_("Testfall „%(name)s“ nicht bestanden: %(problems)s", name=r.name, problems="; ".join(r.problems))
            for r in results if not r.passed]


class PublishRefused(Exception):
    """The draft cannot be published (German problems)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


def _check_publishable(draft: DecisionDraft) -> tuple[TableModel, str]:
    model = draft_model(draft)
    problems = list(validate(model).values())
    if problems:
        raise PublishRefused([_("Der Entwurf enthält Fehler; bitte im Editor korrigieren."), *problems])
    newest = current(draft.decision_id)
    if newest is not None and newest.number != draft.base_number:
        raise PublishRefused([_("Seit Beginn dieses Entwurfs wurde Version %(n)d veröffentlicht. Bitte den "
                                "Entwurf verwerfen und neu beginnen.", n=newest.number)])
    if newest is not None and model.to_json() == model_of(newest).to_json():
        raise PublishRefused([_("Der Entwurf enthält keine Änderung gegenüber Version %(n)d.", n=newest.number)])
    xml = table_model.to_dmn(model)
    try:
        check_dmn(xml)
    except DecisionError as exc:
        raise PublishRefused([str(exc)]) from exc
    failed = failing(run_tests(model))
    if failed:
        raise PublishRefused([_("Veröffentlichen nicht möglich: nicht alle Testfälle sind bestanden."), *failed])
    return model, xml


def _publish(draft: DecisionDraft, model: TableModel, xml: str, user: User) -> DecisionTable:
    newest = current(draft.decision_id)
    version = DecisionTable(decision_id=draft.decision_id, number=(newest.number + 1) if newest else 1,
                            name=model.name[:200], dmn_xml=xml, content_hash=_digest(xml), source=SOURCE_EDITOR,
                            created_by=draft.created_by or user,
                            comment=(draft.comment or _("Im Browser geändert"))[:500],
                            editor_json=model.to_json())
    db.session.add(version)
    draft.status = PUBLISHED
    draft.published_number = version.number
    draft.decided_at = utcnow()
    draft.decided_by = user
    db.session.flush()
    return version


def publish(draft: DecisionDraft, user: User) -> DecisionTable | None:
    """Publish ``draft`` now, or submit it for approval when four-eyes is on (then None).

    Raises :class:`PublishRefused` (nothing changed) when the table has problems or a test case fails.
    """
    if draft.status not in (DRAFT, REJECTED):
        raise PublishRefused([_("Dieser Entwurf wartet bereits auf Freigabe.")])
    model, xml = _check_publishable(draft)
    if four_eyes(draft.decision_id):
        draft.status = SUBMITTED
        draft.submitted_at = utcnow()
        draft.submitted_by = user
        draft.reason = ""
        db.session.flush()
        return None
    return _publish(draft, model, xml, user)


class NotAllowed(Exception):
    """The user may not decide on this draft (403)."""


def may_decide(draft: DecisionDraft, user: User) -> bool:
    """Four-eyes: a second process owner who neither wrote, changed nor submitted the draft."""
    return (draft.status == SUBMITTED and user.id not in {draft.submitted_by_id, draft.created_by_id}
            and user.id not in (draft.editor_ids or []))


def approve(draft: DecisionDraft, user: User) -> DecisionTable:
    if not may_decide(draft, user):
        raise NotAllowed
    model, xml = _check_publishable(draft)
    return _publish(draft, model, xml, user)


def reject(draft: DecisionDraft, user: User, reason: str) -> None:
    if not may_decide(draft, user):
        raise NotAllowed
    draft.status = REJECTED
    draft.reason = reason.strip()[:1000]
    draft.decided_at = utcnow()
    draft.decided_by = user
    db.session.flush()


def discard(draft: DecisionDraft, user: User) -> None:
    draft.status = DISCARDED
    draft.decided_at = utcnow()
    draft.decided_by = user
    db.session.flush()


@dataclass
class VersionRow:
    version: DecisionTable
    changes: list[Change]


def version_rows(decision_id: str) -> list[VersionRow]:
    """Every version, newest first, with what changed against the one before."""
    rows = versions(decision_id)
    models = [model_of(v) for v in rows]
    return [VersionRow(v, table_model.diff(models[i + 1], models[i]) if i + 1 < len(rows) else [])
            for i, v in enumerate(rows)]


def submitted_drafts() -> list[DecisionDraft]:
    return list(db.session.scalars(select(DecisionDraft).where(DecisionDraft.status == SUBMITTED)
                                   .order_by(DecisionDraft.submitted_at)))


def _review_url(decision_id: str) -> str:
    try:
        return url_for("decisions.review", decision_id=decision_id)
    except RuntimeError:  # no request (e.g. a reminder sent by a CLI command): the path as routed
        return f"/entscheidungen/{decision_id}/freigabe"


@approvals.register
def pending_approvals(user: User) -> list[approvals.ApprovalItem]:
    """Decision table drafts ``user`` may approve (a process owner who did not write them)."""
    if not user.has_role(ROLE_PROZESS):
        return []
    items = []
    for draft in submitted_drafts():
        if not may_decide(draft, user):
            continue
        name = draft_model(draft).name
        submitter = draft.submitted_by or draft.created_by
        items.append(approvals.ApprovalItem(
            kind=_("Entscheidungstabelle"), title=_("%(name)s – Entwurf zu Version %(n)d", name=name,
                                                    n=draft.base_number + 1),
            url=_review_url(draft.decision_id),
            submitted_by=submitter.display_name if submitter else "",
            submitted_at=draft.submitted_at or draft.updated_at, comment=draft.comment))
    return items
