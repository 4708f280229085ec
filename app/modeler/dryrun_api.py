"""API v1: dry run of a draft (``POST /process-models/{key}/drafts/{id}/dry-run``), nothing stored.

Its own API blueprint (registered in ``app.register_api``), beside the modeler's endpoints.
"""

from __future__ import annotations

from flask import jsonify

from app.api import ApiError, api_blueprint, describe, json_object, validation_error
from app.api.auth import require_token
from app.api.openapi import errors, json_response
from app.modeler import dryrun
from app.modeler.api import DRAFT, KEY, TAG, _get_draft, _model, _owner

_STEP = {"type": "object", "description": "Formularfelder der Aufgabe wie beim Erledigen über die API"}
REQUEST = {"type": "object", "additionalProperties": False, "properties": {
    "data": {"type": "object", "description": "Je Benutzeraufgabe (BPMN-ID) ihre Testdaten; eine Liste "
                                              "mit einem Objekt je Durchlauf, wenn die Aufgabe mehrfach vorkommt",
             "additionalProperties": {"oneOf": [_STEP, {"type": "array", "items": _STEP}]}},
    "timers": {"type": "array", "items": {"type": "string"},
               "description": "BPMN-IDs von Zeitereignissen, die ablaufen sollen, wenn sonst nichts weitergeht "
                              "(„Zeit vergehen lassen“), je Eintrag einmal"},
    "now": {"type": "string", "format": "date-time", "description": "Uhr des Probelaufs beim Start (Standard: jetzt)"},
}}
_ERRORS = {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}
RESULT = {"type": "object", "required": ["path", "tasks", "timers"], "properties": {
    "started_at": {"type": "string", "format": "date-time"},
    "now": {"type": "string", "format": "date-time", "description": "Uhr des Probelaufs am Ende"},
    "path": {"type": "array", "items": {"type": "string"},
             "description": "BPMN-IDs in der Reihenfolge ihres Abschlusses"},
    "names": {"type": "object", "additionalProperties": {"type": "string"}},
    "tasks": {"type": "array", "items": {"type": "object", "properties": {
        "element_id": {"type": "string"}, "name": {"type": "string"}, "lane": {"type": ["string", "null"]},
        "form_key": {"type": ["string", "null"]}, "occurrence": {"type": "integer"},
        "status": {"type": "string", "enum": ["completed", "invalid", "waiting", "cancelled"]},
        "completed": {"type": "boolean"}, "due": {"type": ["string", "null"], "format": "date-time"},
        "errors": _ERRORS, "form_schema": {"type": "object", "description": "nur bei status=waiting"}}}},
    "gateways": {"type": "array", "items": {"type": "object", "properties": {
        "element_id": {"type": "string"}, "name": {"type": "string"}, "flow_id": {"type": ["string", "null"]},
        "flow_name": {"type": "string"}, "target_id": {"type": "string"}, "target_name": {"type": "string"}}}},
    "timers": {"type": "array", "items": {"type": "object", "properties": {
        "element_id": {"type": "string"}, "name": {"type": "string"},
        "kind": {"type": "string", "enum": ["intermediate", "boundary", "start"]},
        "set_at": {"type": "string", "format": "date-time"}, "due": {"type": ["string", "null"], "format": "date-time"},
        "status": {"type": "string", "enum": ["waiting", "fired", "cancelled"]},
        "attached_to": {"type": ["string", "null"]}}}},
    "next": {"type": ["string", "null"], "description": "BPMN-ID der Aufgabe, die als nächste Testdaten braucht"},
    "ended": {"type": "boolean"}, "error": {"type": ["string", "null"]},
    "failed_at": {"type": ["string", "null"], "description": "BPMN-ID des Elements, an dem der Lauf scheiterte"},
    "stopped_by_limit": {"type": "boolean"}, "unused_timers": {"type": "array", "items": {"type": "string"}},
}}

bp = api_blueprint("modeler_dryrun_api", __name__)


@bp.post("/process-models/<key>/drafts/<int:draft_id>/dry-run")
@describe("dryRunProcessDraft", "Probelauf eines Entwurfs mit Testdaten; es wird nichts gespeichert", tag=TAG,
          parameters=[KEY, DRAFT],
          responses={"200": json_response(RESULT, "Ergebnis des Probelaufs (ungültige Testdaten: status=invalid "
                                                   "mit errors an der Aufgabe)"),
                     **errors("400", "401", "403", "404", "422")},
          request_body={"required": True, "content": {"application/json": {"schema": REQUEST}}})
@require_token
def dry_run_process_draft(key: str, draft_id: int):
    _owner()
    model = _model(key)
    draft = _get_draft(model, draft_id)
    body = json_object()
    try:
        given = dryrun.parse_input(body, dryrun.user_tasks(draft.bpmn_xml, dryrun.process_id(model, draft.bpmn_xml)))
        result = dryrun.run_draft(model, draft, given)
    except dryrun.InputError as exc:
        raise validation_error(exc.fields) from exc
    except dryrun.DryRunError as exc:
        raise ApiError(422, "not_runnable", str(exc)) from exc
    return jsonify(dryrun.result_json(result))
