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

from app.api import bp
from app.api.auth import require_token
from app.api.routes import ApiError, json_object, validation_error
from app.timeutil import iso
from app.volunteers import expenses, threads
from app.volunteers.access import assignment_or_404, require_volunteer, thread_case_or_404
from app.volunteers.models import CaseMessage, ExpenseEntry
from app.volunteers.work_forms import ExpenseForm, MessageForm

EXPENSE_FIELDS = ("datum", "stunden", "kilometer", "auslagen", "notiz")


def message_json(m: CaseMessage) -> dict:
    return {"id": m.id, "author": m.author.username, "author_name": m.author.display_name, "text": m.body,
            "created_at": iso(m.created_at)}


def expense_json(e: ExpenseEntry) -> dict:
    return {"id": e.id, "process_instance_id": e.instance_id, "datum": e.datum.isoformat(),
            "stunden": str(e.stunden), "kilometer": str(e.kilometer), "auslagen": str(e.auslagen),
            "notiz": e.notiz, "betrag": str(e.summe), "status": e.status, "kommentar": e.kommentar}


def _form(form_cls, body: dict, fields: tuple[str, ...]):
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise validation_error({name: [_("Unbekanntes Feld.")] for name in unknown})
    wrong = [n for n in fields if body.get(n) is not None
             and (isinstance(body[n], bool) or not isinstance(body[n], str | int | float))]
    if wrong:
        raise validation_error({name: [_("Erwartet wird ein Text oder eine Zahl.")] for name in wrong})
    form = form_cls(formdata=MultiDict({k: str(v) for k, v in body.items() if v is not None}),
                    meta={"csrf": False})
    if not form.validate():
        raise validation_error({name: [str(e) for e in errs if isinstance(e, str) or hasattr(e, "__html__")]
                                for name, errs in form.errors.items()})
    return form


@bp.get("/process-instances/<int:instance_id>/messages")
@require_token
def list_messages(instance_id: int):
    instance, may_write = thread_case_or_404(g.api_user, instance_id)
    return jsonify({"items": [message_json(m) for m in threads.messages(instance)], "may_write": may_write})


@bp.post("/process-instances/<int:instance_id>/messages")
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
@require_token
def list_expenses(instance_id: int):
    require_volunteer(g.api_user)
    instance = assignment_or_404(g.api_user, instance_id)
    return jsonify({"items": [expense_json(e) for e in expenses.entries_for(g.api_user, instance)]})


@bp.post("/process-instances/<int:instance_id>/expenses")
@require_token
def add_expense(instance_id: int):
    require_volunteer(g.api_user)
    instance = assignment_or_404(g.api_user, instance_id)
    form = _form(ExpenseForm, json_object(), EXPENSE_FIELDS)
    entry = expenses.save_entry(None, instance, g.api_user, datum=form.datum.data, stunden=form.stunden.data,
                                kilometer=form.kilometer.data, auslagen=form.auslagen.data, notiz=form.notiz.data)
    return jsonify(expense_json(entry)), 201
