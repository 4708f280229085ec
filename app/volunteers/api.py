"""API v1 for the volunteer's side of an assignment (e.g. a future mobile app):

- ``GET/POST /api/v1/process-instances/{id}/messages`` — the question thread (same rules as the
  page: the case's volunteer and 201 write, the owning team reads, everyone else 404);
- ``GET/POST /api/v1/process-instances/{id}/expenses`` — the volunteer's own expense entries of
  the assignment, validated by the same WTForms class as the page. Amounts are decimal strings.
"""

from __future__ import annotations

from flask import g, jsonify
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app.accesslog import services as accesslog
from app.api import ApiError, api_blueprint, describe, json_object, validation_error
from app.api.auth import require_token
from app.api.openapi import errors, json_body, json_response, ref
from app.timeutil import iso
from app.volunteers import expenses, threads
from app.volunteers.access import assignment_or_404, require_volunteer, thread_case_or_404
from app.volunteers.models import CaseMessage, ExpenseEntry
from app.volunteers.work_forms import ExpenseForm, MessageForm

EXPENSE_FIELDS = ("datum", "stunden", "kilometer", "auslagen", "notiz")
DECIMAL = {"type": "string", "pattern": r"^\d+(\.\d+)?$", "description": "Dezimalzahl als Text"}
NUMBER = {"type": ["number", "string"]}
SCHEMAS = {
    "CaseMessage": {
        "type": "object", "required": ["id", "author", "author_name", "text", "created_at"],
        "properties": {"id": {"type": "integer"}, "author": {"type": "string"},
                       "author_name": {"type": "string"}, "text": {"type": "string"},
                       "created_at": {"type": "string", "format": "date-time"}},
    },
    "ExpenseEntry": {
        "type": "object",
        "required": ["id", "process_instance_id", "datum", "stunden", "kilometer", "auslagen", "notiz", "betrag",
                     "status", "kommentar"],
        "properties": {"id": {"type": "integer"}, "process_instance_id": {"type": "integer"},
                       "datum": {"type": "string", "format": "date"}, "stunden": DECIMAL,
                       "kilometer": DECIMAL, "auslagen": DECIMAL, "betrag": DECIMAL,
                       "notiz": {"type": "string"},
                       "status": {"type": "string", "enum": ["eingereicht", "genehmigt", "zurueckgegeben"]},
                       "kommentar": {"type": "string", "description": "Begründung einer Rückgabe"}},
    },
}
ID = {"name": "instance_id", "in": "path", "required": True, "description": "ID des Falls",
      "schema": {"type": "integer", "minimum": 1}}

bp = api_blueprint("volunteers_api", __name__, SCHEMAS)


def message_json(m: CaseMessage) -> dict:
    return {"id": m.id, "author": m.author.username, "author_name": m.author.display_name, "text": m.body,
            "created_at": iso(m.created_at)}


def expense_json(e: ExpenseEntry) -> dict:
    return {"id": e.id, "process_instance_id": e.instance_id, "datum": e.datum.isoformat(),
            "stunden": str(e.stunden), "kilometer": str(e.kilometer), "auslagen": str(e.auslagen),
            "notiz": e.notiz, "betrag": str(e.summe), "status": e.status, "kommentar": e.kommentar}


def _form(form_cls, body: dict, fields: tuple[str, ...], **attrs):
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise validation_error({name: [_("Unbekanntes Feld.")] for name in unknown})
    wrong = [n for n in fields if body.get(n) is not None
             and (isinstance(body[n], bool) or not isinstance(body[n], str | int | float))]
    if wrong:
        raise validation_error({name: [_("Erwartet wird ein Text oder eine Zahl.")] for name in wrong})
    form = form_cls(formdata=MultiDict({k: str(v) for k, v in body.items() if v is not None}),
                    meta={"csrf": False})
    for name, value in attrs.items():
        setattr(form, name, value)
    if not form.validate():
        raise validation_error({name: [str(e) for e in errs if isinstance(e, str) or hasattr(e, "__html__")]
                                for name, errs in form.errors.items()})
    return form


@bp.get("/process-instances/<int:instance_id>/messages")
@describe("listCaseMessages", "Fragenverlauf des Einsatzes (Ehrenamt, 201, fallführendes Team)", tag="volunteers",
          parameters=[ID], responses={
              "200": json_response({"type": "object", "required": ["items", "may_write"],
                                    "properties": {"items": {"type": "array", "items": ref("CaseMessage")},
                                                   "may_write": {"type": "boolean"}}}, "Nachrichten, älteste zuerst"),
              **errors("401", "404")})
@require_token
def list_messages(instance_id: int):
    instance, may_write = thread_case_or_404(g.api_user, instance_id)
    accesslog.case_read(g.api_user, instance)  # the question thread of the assignment
    return jsonify({"items": [message_json(m) for m in threads.messages(instance)], "may_write": may_write})


@bp.post("/process-instances/<int:instance_id>/messages")
@describe("postCaseMessage", "Frage / Antwort schreiben (Ehrenamtliche des Falls und 201)", tag="volunteers",
          parameters=[ID], responses={
              "201": json_response(ref("CaseMessage"), "Die Nachricht; die andere Seite wird benachrichtigt"),
              **errors("400", "401", "403", "404", "422")},
          request_body=json_body({"type": "object", "required": ["text"],
                                  "properties": {"text": {"type": "string", "maxLength": 4000}}}))
@require_token
def post_message(instance_id: int):
    instance, may_write = thread_case_or_404(g.api_user, instance_id)
    if not may_write:
        raise ApiError(403, "forbidden", _("Im Fragenverlauf schreiben nur die Ehrenamtliche / der Ehrenamtliche "
                                           "und die Koordinierungsstelle 201."))
    body = json_object()
    form = _form(MessageForm, {"nachricht": body.pop("text", None), **body}, ("nachricht",))
    message = threads.post_message(instance, g.api_user, form.nachricht.data)
    return jsonify(message_json(message)), 201


@bp.get("/process-instances/<int:instance_id>/expenses")
@describe("listExpenses", "Eigene Aufwandseinträge zum Einsatz (nur die Ehrenamtliche des Falls)", tag="volunteers",
          parameters=[ID], responses={
              "200": json_response({"type": "object", "required": ["items"],
                                    "properties": {"items": {"type": "array", "items": ref("ExpenseEntry")}}},
                                   "Einträge"),
              **errors("401", "403", "404")})
@require_token
def list_expenses(instance_id: int):
    require_volunteer(g.api_user)
    instance = assignment_or_404(g.api_user, instance_id)
    return jsonify({"items": [expense_json(e) for e in expenses.entries_for(g.api_user, instance)]})


@bp.post("/process-instances/<int:instance_id>/expenses")
@describe("addExpense", "Aufwand einreichen (Datum, Stunden, km, Auslagen, Notiz)", tag="volunteers",
          parameters=[ID], responses={
              "201": json_response(ref("ExpenseEntry"), "Der eingereichte Eintrag mit berechnetem Betrag"),
              **errors("400", "401", "403", "404", "422")},
          request_body=json_body({"type": "object", "required": ["datum", "stunden"], "properties": {
              "datum": {"type": "string", "format": "date"}, "stunden": NUMBER, "kilometer": NUMBER,
              "auslagen": NUMBER, "notiz": {"type": "string", "maxLength": 500}}}))
@require_token
def add_expense(instance_id: int):
    require_volunteer(g.api_user)
    instance = assignment_or_404(g.api_user, instance_id)
    form = _form(ExpenseForm, json_object(), EXPENSE_FIELDS, assignment_start=expenses.assignment_start(instance))
    entry = expenses.save_entry(None, instance, g.api_user, datum=form.datum.data, stunden=form.stunden.data,
                                kilometer=form.kilometer.data, auslagen=form.auslagen.data, notiz=form.notiz.data)
    return jsonify(expense_json(entry)), 201
