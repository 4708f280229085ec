"""API v1: processes one may start, cases (start, list, read) and crisis reports."""

from __future__ import annotations

from flask import g, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.accesslog import services as accesslog
from app.accesslog.models import CASE
from app.api import ApiError, api_blueprint, describe, int_arg, json_object, validation_error
from app.api.auth import require_token
from app.api.openapi import NULLABLE_STR, TIMESTAMP, errors, json_body, json_response, path_id, query, ref
from app.auth.access import access_level, get_visible_instance_or_404, startable_teams
from app.cases.routes import startable
from app.cases.serialize import instance_json, instance_summary, task_json
from app.cases.services import visible_cases
from app.cases.taskforms import task_schema
from app.crisis import services as crisis
from app.engine import service
from app.engine.models import COMPLETED, ERROR, LIMITED, RUNNING, SUSPENDED, TERMINATED, ProcessModel, Task
from app.extensions import db
from forms import KriseMeldenForm, form_errors, form_schema, json_to_formdata, validate_json

INSTANCE_STATUSES = (RUNNING, COMPLETED, TERMINATED, SUSPENDED, ERROR)
MAX_PER_PAGE = 200
STATUS_ENUM = ["running", "completed", "terminated", "suspended", "error"]

SCHEMAS = {
    "Process": {
        "type": "object", "required": ["key", "name", "version"],
        "properties": {
            "key": {"type": "string"}, "name": {"type": "string"},
            "version": {"type": "integer", "description": "neueste Versionsnummer"},
            "teams": {"type": "array", "items": {"type": "string"},
                      "description": "Teams, für die Sie starten dürfen (erstes = Vorgabe)"},
        },
    },
    "StartRequest": {
        "type": "object", "required": ["process"],
        "properties": {
            "process": {"type": "string", "examples": ["alltagsbegleitung"]},
            "team": {"type": "string",
                     "description": "Fallverantwortliches Team; Vorgabe: das erste erlaubte"},
            "data": {"type": "object",
                     "description": "Vorbelegung der ersten Aufgabe (nach deren form_schema)"},
        },
    },
    "Task": {
        "type": "object",
        "required": ["id", "process_instance_id", "process", "name", "title", "lane",
                     "assignee", "candidate_group", "team", "due_at", "priority", "crisis",
                     "created_at", "status"],
        "properties": {
            "id": {"type": "integer"},
            "process_instance_id": {"type": "integer"},
            "process": {"type": "string"},
            "name": {"type": "string", "description": "BPMN-Element-ID"},
            "title": {"type": "string"},
            "lane": NULLABLE_STR,
            "assignee": {**NULLABLE_STR, "description": "Benutzername"},
            "candidate_group": {**NULLABLE_STR, "description": "Team-Schlüssel"},
            "team": {**NULLABLE_STR, "description": "fallverantwortliches Team"},
            "due_at": TIMESTAMP,
            "priority": {"type": "integer"},
            "crisis": {"type": "boolean"},
            "created_at": {"type": "string", "format": "date-time"},
            "status": {"type": "string", "enum": ["open", "claimed", "completed", "cancelled", "paused"],
                       "description": "paused: der Fall ist angehalten"},
        },
    },
    "InstanceSummary": {
        "type": "object",
        "required": ["id", "process", "version", "status", "started_at", "ended_at",
                     "started_by", "owner_team"],
        "properties": {
            "id": {"type": "integer"},
            "reference": {"type": "string"},
            "title": {"type": "string"},
            "process": {"type": "string"},
            "version": {"type": "integer"},
            "status": {"type": "string", "enum": STATUS_ENUM},
            "outcome": NULLABLE_STR,
            "started_at": {"type": "string", "format": "date-time"},
            "ended_at": TIMESTAMP,
            "started_by": {"type": "string"},
            "owner_team": NULLABLE_STR,
        },
    },
    "Instance": {
        "allOf": [ref("InstanceSummary"), {
            "type": "object", "required": ["data", "open_tasks", "history"],
            "properties": {
                "data": {"type": "object",
                         "description": "nur die Angaben, die Sie sehen dürfen"},
                "open_tasks": {"type": "array", "items": ref("Task")},
                "history": {"type": "array", "items": {
                    "type": "object",
                    "required": ["task", "title", "completed_by", "completed_at"],
                    "properties": {
                        "task": NULLABLE_STR, "title": {"type": "string"},
                        "completed_by": NULLABLE_STR,
                        "completed_at": {"type": "string", "format": "date-time"},
                    },
                }},
            },
        }],
    },
    "InstanceList": {
        "type": "object", "required": ["items", "total"],
        "properties": {
            "items": {"type": "array", "items": ref("InstanceSummary")},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
        },
    },
}
INSTANCE_ID = path_id("id", "ID des Falls")

bp = api_blueprint("cases_api", __name__, SCHEMAS)


@bp.get("/processes")
@describe("listProcesses", "Verfahren, die Sie starten dürfen", tag="processes",
          responses={"200": json_response({"type": "array", "items": ref("Process")}, "OK"), **errors("401")})
@require_token
def processes():
    return jsonify([
        {"key": model.key, "name": model.name, "version": model.versions[-1].number,
         "teams": [t.key for t in teams]}
        for model, teams in startable(g.api_user)
    ])


@bp.post("/process-instances")
@describe("startInstance", "Fall starten", tag="processes",
          responses={"201": json_response(ref("Instance"), "Fall angelegt"),
                     **errors("400", "401", "403", "404", "422")},
          request_body=json_body(ref("StartRequest")))
@require_token
def start_instance():
    user = g.api_user
    body = json_object()
    key, team_key, data = body.get("process"), body.get("team"), body.get("data")
    if not isinstance(key, str) or not key:
        raise validation_error({"process": [_("Bitte ein Verfahren angeben.")]})
    model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == key))
    if model is None or not model.versions:
        raise ApiError(404, "not_found", _("Dieses Verfahren gibt es nicht."))
    teams = startable_teams(user, model)
    if not teams:
        raise ApiError(403, "forbidden", _("Sie dürfen dieses Verfahren nicht starten."))
    team = teams[0] if team_key is None else next((t for t in teams if t.key == team_key), None)
    if team is None:
        raise validation_error({"team": [_("Dieses Team darf das Verfahren nicht starten.")]})
    if data is not None and not isinstance(data, dict):
        raise validation_error({"data": [_("Erwartet wird ein JSON-Objekt.")]})
    draft = {k: v for k, v in (data or {}).items() if v is not None} or None

    instance = service.start_instance(model, user, team, draft=draft)
    if draft:
        # The prefill must fit the first task's form: types, choices, no unknown fields.
        first = db.session.scalar(select(Task).where(Task.instance_id == instance.id)
                                  .order_by(Task.id).limit(1))
        schema = task_schema(first) if first is not None else None
        if schema is None:
            message = _("Dieses Verfahren hat keine Aufgabe zum Vorbelegen.")
            raise validation_error({"data": [message]})
        errors_ = validate_json(schema, draft)
        if errors_:
            raise validation_error(errors_)
    response = jsonify(instance_json(instance, access_level(user, instance) or LIMITED))
    response.headers["Location"] = url_for("cases_api.get_instance", instance_id=instance.id)
    return response, 201


@bp.get("/process-instances")
@describe("listInstances", "Für Sie sichtbare Fälle", tag="processes",
          responses={"200": json_response(ref("InstanceList"), "OK"), **errors("400", "401")},
          parameters=[
              query("process", "Verfahrensschlüssel", {"type": "string"}),
              query("status", "Status", {"type": "string", "enum": STATUS_ENUM}),
              query("page", "Seite (ab 1)", {"type": "integer", "minimum": 1, "default": 1}),
              query("per_page", "Einträge je Seite",
                    {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 50}),
          ])
@require_token
def list_instances():
    status = request.args.get("status") or None
    if status is not None and status not in INSTANCE_STATUSES:
        raise ApiError(400, "bad_request", _("Unbekannter Status „%(status)s“.", status=status))
    page = int_arg("page", 1)
    per_page = int_arg("per_page", 50, maximum=MAX_PER_PAGE)
    items, total = visible_cases(g.api_user, process=request.args.get("process") or None,
                                 status=status, page=page, per_page=per_page)
    accesslog.list_read(g.api_user, CASE)
    return jsonify({"items": [instance_summary(i) for i in items], "total": total,
                    "page": page, "per_page": per_page})


@bp.get("/process-instances/<int:instance_id>")
@describe("getInstance", "Ein Fall", tag="processes", parameters=[INSTANCE_ID],
          responses={"200": json_response(ref("Instance"), "OK"), **errors("401", "404")})
@require_token
def get_instance(instance_id: int):
    instance, level = get_visible_instance_or_404(g.api_user, instance_id)
    accesslog.case_read(g.api_user, instance)
    return jsonify(instance_json(instance, level))


@bp.post("/process-instances/<int:instance_id>/crisis")
@describe("reportCrisis", "Krise melden: erzeugt sofort eine Krisenaufgabe für das fallverantwortliche Team",
          tag="processes", parameters=[INSTANCE_ID], request_form=KriseMeldenForm,
          responses={"201": json_response(ref("Task"), "die erzeugte Krisenaufgabe"),
                     **errors("400", "401", "403", "404", "409", "422")})
@require_token
def report_crisis(instance_id: int):
    user = g.api_user
    instance, _level = get_visible_instance_or_404(user, instance_id)
    if not crisis.offers_crisis(instance):
        raise ApiError(409, "crisis_not_offered", crisis.crisis_not_offered_message())
    if not crisis.can_report_crisis(user, instance):
        raise ApiError(403, "forbidden",
                       _("Sie sind an diesem Fall nicht so beteiligt, dass Sie eine Krise melden können."))
    body = json_object()
    form = KriseMeldenForm(formdata=json_to_formdata(body), meta={"csrf": False})
    errors_ = validate_json(form_schema(form), body)
    if errors_:
        raise validation_error(errors_)
    if not form.validate():
        raise validation_error(form_errors(form))
    created = crisis.report_crisis(instance, user, form.beschreibung.data or "", form.dringlichkeit.data)
    if not created:  # the process model routes the message to no crisis task: refuse, save nothing
        raise ApiError(500, "engine_error", _("Die Krisenmeldung hat keine Aufgabe erzeugt."))
    return jsonify(task_json(created[0])), 201
