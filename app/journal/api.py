"""API v1: a case's journal (GET: the entries the caller may read; POST: a new entry)."""

from __future__ import annotations

from flask import g, jsonify
from flask_babel import gettext as _

from app.accesslog import services as accesslog
from app.accesslog.models import JOURNAL
from app.api import ApiError, api_blueprint, describe, json_object, validation_error
from app.api.auth import require_token
from app.api.openapi import NULLABLE_STR, errors, json_body, json_response, path_id, ref
from app.auth.access import get_visible_instance_or_404
from app.engine.models import LIMITED
from app.journal import services
from app.journal.forms import entry_form
from app.journal.models import DURATION_MAX, KINDS, JournalEntry
from app.journal.routes import save_entry
from app.timeutil import iso
from forms import form_errors, form_schema, validate_json

KIND_ENUM = [key for key, _label in KINDS]
SCHEMAS = {
    "JournalEntry": {
        "type": "object",
        "required": ["id", "kind", "date", "duration_minutes", "topics", "text", "author", "created_at",
                     "shared_with_volunteer"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": KIND_ENUM},
            "date": {"type": "string", "format": "date", "description": "Tag des Kontakts"},
            "duration_minutes": {"type": ["integer", "null"]},
            "topics": {"type": "array", "items": {"type": "string"},
                       "description": "Schlüssel aus der Themenliste des Verfahrens"},
            "text": {"type": "string"},
            "next_steps": {"type": "string"},
            "author": {"type": "string", "description": "Benutzername"},
            "created_at": {"type": "string", "format": "date-time"},
            "shared_with_volunteer": {"type": "boolean"},
            "corrected": {"type": "boolean", "description": "true: es gibt frühere Fassungen"},
            "follow_up_task_id": {"type": ["integer", "null"], "description": "die Wiedervorlage-Aufgabe"},
        },
    },
    "JournalEntryRequest": {
        "type": "object", "required": ["kind", "date", "text"],
        "properties": {
            "kind": {"type": "string", "enum": KIND_ENUM},
            "date": {"type": "string", "format": "date", "description": "nicht in der Zukunft"},
            "duration_minutes": {"type": "integer", "minimum": 1, "maximum": DURATION_MAX},
            "topics": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "text": {"type": "string", "format": "textarea"},
            "next_steps": {"type": "string", "format": "textarea"},
            "shared_with_volunteer": {"type": "boolean",
                                      "description": "Einträge von Ehrenamtlichen sind immer geteilt"},
            "follow_up": {
                "type": "object", "additionalProperties": False,
                "description": "Wiedervorlage: eine Aufgabe im Posteingang der Person (ohne assignee: Sie)",
                "properties": {"due": {"type": "string", "format": "date"},
                               "assignee": {**NULLABLE_STR, "description": "Benutzername mit vollem Zugriff"}},
            },
        },
        "additionalProperties": False,
    },
}
INSTANCE_ID = path_id("id", "ID des Falls")

bp = api_blueprint("journal_api", __name__, SCHEMAS)


def entry_json(entry: JournalEntry) -> dict:
    return {
        "id": entry.id, "kind": entry.kind, "date": entry.day.isoformat(),
        "duration_minutes": entry.duration_minutes, "topics": entry.topics, "text": entry.text,
        "next_steps": entry.next_steps, "author": entry.author.username, "created_at": iso(entry.created_at),
        "shared_with_volunteer": entry.shared_with_volunteer, "corrected": entry.corrected,
        "follow_up_task_id": entry.follow_up_task_id,
    }


@bp.get("/process-instances/<int:instance_id>/journal")
@describe("listJournal", "Journal eines Falls (neueste zuerst; Ehrenamtliche sehen nur Geteiltes und Eigenes)",
          tag="processes", parameters=[INSTANCE_ID],
          responses={"200": json_response({"type": "array", "items": ref("JournalEntry")}, "OK"),
                     **errors("401", "404")})
@require_token
def list_journal(instance_id: int):
    instance, level = get_visible_instance_or_404(g.api_user, instance_id)
    accesslog.case_read(g.api_user, instance, object_type=JOURNAL, object_id=instance.id)  # the case's journal
    return jsonify([entry_json(e) for e in services.entries_for(instance, g.api_user, level)])


@bp.post("/process-instances/<int:instance_id>/journal")
@describe("addJournalEntry", "Journaleintrag schreiben (mit optionaler Wiedervorlage)", tag="processes",
          parameters=[INSTANCE_ID], request_body=json_body(ref("JournalEntryRequest")),
          responses={"201": json_response(ref("JournalEntry"), "Eintrag angelegt"),
                     **errors("400", "401", "403", "404", "409", "422")})
@require_token
def add_journal_entry(instance_id: int):
    user = g.api_user
    instance, level = get_visible_instance_or_404(user, instance_id)
    if not services.may_write(instance, level):
        raise ApiError(403, "forbidden", _("In diesem Fall können Sie keine Journaleinträge schreiben "
                                           "(der Fall ist nicht aktiv)."))
    body = json_object()
    follow_up = body.get("follow_up")
    if isinstance(follow_up, dict) and follow_up.get("assignee") == user.username:
        body = {**body, "follow_up": {**follow_up, "assignee": None}}  # the writer is the default
    form = entry_form(instance, user, level, json_data=body, csrf=False)
    errors_ = validate_json(form_schema(form), body)
    if errors_:
        raise validation_error(errors_)
    if not form.validate():
        raise validation_error(form_errors(form))
    if level == LIMITED:
        form.shared_with_volunteer.data = True
    entry = save_entry(form, instance, user, level)
    return jsonify(entry_json(entry)), 201
