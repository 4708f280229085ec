"""JSON helpers of the modeler page for the guided condition and due date editor.

Routes on the modeler blueprint (``register(bp)`` is called at the end of ``app/modeler/routes.py``;
this module does not import that one), process owners only (403 for everyone else):

* ``GET  …/entwuerfe/<id>/felder?element=<id>`` – the fields of earlier forms (saved draft);
  ``POST`` with ``{"element", "bpmn_xml"}`` reads the diagram as it is in the browser.
* ``POST …/entwuerfe/<id>/ausdruck-pruefen`` ``{"kind": "condition"|"dueDate", "expression",
  "element"?}`` – sandbox check (German problem) and the guided reading, if there is one.
* ``POST …/entwuerfe/<id>/ausdruck-bauen`` ``{"kind": "condition", "clauses": [{"field",
  "operator", "value"}], "join"}`` or ``{"kind": "dueDate", "amount", "unit", "field"?,
  "direction"?}`` – the expression (422 with a German problem if it cannot be written).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request
from flask_babel import gettext as _

from app.auth.models import ROLE_PROZESS
from app.engine.sandbox import check_expression
from app.modeler import conditions, durations, services
from app.modeler.conditions import ConditionError, FieldInfo
from app.modeler.lookup import draft_or_404 as _draft
from app.modeler.lookup import model_or_404 as _model
from app.modeler.xmlsafe import UnsafeXml
from app.web.access import roles_required
from app.web.bounds import body_limit

process_owner_required = roles_required(ROLE_PROZESS)


def _body_limit() -> int:
    return services.max_bytes() + 65536


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400)
    return body


def _fields(key: str, draft_id: int, body: dict[str, Any] | None = None) -> list[FieldInfo]:
    model = _model(key)
    draft = _draft(model, draft_id)
    element = (body or {}).get("element") if body is not None else request.args.get("element", "")
    xml = (body or {}).get("bpmn_xml") or draft.bpmn_xml
    if not isinstance(element, str) or not element or not isinstance(xml, str):
        return []
    try:
        return conditions.fields_before(xml, model.key, element)
    except UnsafeXml:
        return []


def _editor_info() -> dict[str, Any]:
    return {
        "operators": {k: str(v) for k, v in conditions.OPERATORS.items()},
        "types": {k: str(v) for k, v in conditions.TYPE_LABELS.items()},
        "units": [{"key": k, "label": str(label)} for k, (_d, label) in durations.UNITS.items()],
        "date_units": list(conditions.DATE_UNITS),
    }


@body_limit(_body_limit)
@process_owner_required
def condition_fields(key: str, draft_id: int):
    body = _json_body() if request.method == "POST" else None
    fields = _fields(key, draft_id, body)
    return jsonify({"fields": [f.as_dict() for f in fields], **_editor_info()})


def _reading(kind: str, expression: str, fields: list[FieldInfo]) -> dict[str, Any] | None:
    if kind == "dueDate":
        due = conditions.parse_due_date(expression)
        if due is None:
            return None
        return {"amount": due.amount, "unit": due.unit, "field": due.field, "direction": due.direction,
                "text": conditions.describe_due_date(due, fields)}
    parsed = conditions.parse_condition(expression, fields)
    if parsed is None:
        return None
    clauses, join = parsed
    return {"join": join, "clauses": [{"field": c.field, "operator": c.operator, "value": c.value} for c in clauses],
            "text": conditions.describe(clauses, join, fields)}


@body_limit(_body_limit)
@process_owner_required
def check_condition(key: str, draft_id: int):
    body = _json_body()
    expression = body.get("expression")
    kind = body.get("kind", "condition")
    if not isinstance(expression, str) or kind not in ("condition", "dueDate"):
        abort(400)
    fields = _fields(key, draft_id, body) if body.get("element") else []
    if not expression.strip():
        return jsonify({"ok": True, "problem": None, "guided": None})
    problem = check_expression(expression)
    guided = None if problem else _reading(kind, expression, fields)
    return jsonify({"ok": problem is None, "problem": problem, "guided": guided})


@body_limit(_body_limit)
@process_owner_required
def build_condition(key: str, draft_id: int):
    body = _json_body()
    kind = body.get("kind", "condition")
    fields = _fields(key, draft_id, body) if body.get("element") else []
    try:
        if kind == "dueDate":
            expression = _build_due(body, fields)
        elif kind == "condition":
            expression = _build_condition(body, fields)
        else:
            abort(400)
    except ConditionError as exc:
        return jsonify({"ok": False, "problem": str(exc), "expression": None}), 422
    return jsonify({"ok": True, "problem": None, "expression": expression,
                    "guided": _reading(kind, expression, fields)})


def _build_condition(body: dict[str, Any], fields: list[FieldInfo]) -> str:
    raw = body.get("clauses")
    if not isinstance(raw, list) or len(raw) > 50:
        raise ConditionError(_("Bitte mindestens eine Bedingung angeben."))
    clauses = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("field"), str) \
                or not isinstance(item.get("operator"), str):
            raise ConditionError(_("Bitte Feld und Vergleich wählen."))
        clauses.append(conditions.Clause(item["field"], item["operator"], item.get("value")))
    known = {f.name: f.type for f in fields}
    return conditions.build_condition(clauses, str(body.get("join") or "und"), known)


def _build_due(body: dict[str, Any], fields: list[FieldInfo]) -> str:
    amount = body.get("amount")
    if isinstance(amount, str) and amount.strip().isdigit():
        amount = int(amount.strip())
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise ConditionError(_("Bitte eine ganze Zahl angeben."))
    field = body.get("field") or None
    if field is not None and not isinstance(field, str):
        raise ConditionError(_("Bitte ein Datumsfeld wählen."))
    kinds = {f.name: f.type for f in fields}
    if field is not None and field in kinds and kinds[field] != conditions.DATE:
        raise ConditionError(_("„%(field)s“ ist kein Datumsfeld.", field=field))
    return conditions.build_due_date(amount, str(body.get("unit") or ""), field, str(body.get("direction") or "nach"))


def register(bp: Blueprint) -> None:
    """Add the routes to the modeler blueprint."""
    base = "/prozessmodelle/<key>/entwuerfe/<int:draft_id>"
    bp.add_url_rule(f"{base}/felder", view_func=condition_fields, methods=["GET", "POST"])
    bp.add_url_rule(f"{base}/ausdruck-pruefen", view_func=check_condition, methods=["POST"])
    bp.add_url_rule(f"{base}/ausdruck-bauen", view_func=build_condition, methods=["POST"])
