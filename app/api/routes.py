"""JSON API v1 endpoints (contract: api-v1.md; document: GET /api/v1/openapi.json).

Each view loads, checks access, validates, calls one service and commits once. Errors are
raised as ``ApiError`` (or the engine's exceptions) and answered, after a rollback, by the
handlers at the end of this module.
"""

from __future__ import annotations

from typing import overload

from flask import g, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import NotFound

from app.api import bp
from app.api.auth import issue_token, require_token, revoke, unauthorized
from app.api.openapi import openapi_document
from app.auth.access import (
    access_level,
    can_report_crisis,
    can_work_on,
    get_task_or_404,
    get_visible_instance_or_404,
    inbox_query,
    startable_teams,
)
from app.auth.routes import authenticate, login_limits
from app.bounds import bounded_int
from app.cases.routes import startable
from app.cases.services import visible_cases, visible_data
from app.engine import service
from app.engine.models import (
    ACTIVE_TASK_STATES,
    CANCELLED,
    COMPLETED,
    ERROR,
    FULL,
    LIMITED,
    RUNNING,
    SUSPENDED,
    TERMINATED,
    CaseEvent,
    ProcessInstance,
    ProcessModel,
    ProcessVersion,
    Task,
)
from app.extensions import db
from app.inbox.services import build_form, initial_values
from app.timeutil import iso
from forms import KriseMeldenForm, form_errors, form_schema, json_to_formdata, validate_json

INSTANCE_STATUSES = (RUNNING, COMPLETED, TERMINATED, SUSPENDED, ERROR)
MAX_PER_PAGE = 200


class ApiError(Exception):
    """An error answer: HTTP status, machine code, German message, optional field errors."""

    def __init__(self, status: int, code: str, message: str,
                 fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields


def validation_error(fields: dict[str, list[str]]) -> ApiError:
    message = _("Die Eingaben sind nicht gültig. Bitte die markierten Felder prüfen.")
    return ApiError(422, "validation_failed", message, fields)


# --- serialisation ---------------------------------------------------------------------------

def task_json(task: Task) -> dict:
    instance = task.instance
    return {
        "id": task.id,
        "process_instance_id": task.instance_id,
        "process": instance.version.model.key,
        "name": task.bpmn_id,
        "title": task.title,
        "lane": task.lane,
        "assignee": task.assignee.username if task.assignee else None,
        "candidate_group": task.candidate_team.key if task.candidate_team else None,
        "team": instance.owner_team.key if instance.owner_team else None,
        "due_at": iso(task.due_at),
        "priority": task.priority,
        "crisis": bool(task.crisis),
        "created_at": iso(task.created_at),
        "status": task.status,
    }


def instance_summary(instance: ProcessInstance) -> dict:
    """The list entry of a case: no case data, no tasks."""
    return {
        "id": instance.id,
        "reference": instance.reference,
        "title": instance.title,
        "process": instance.version.model.key,
        "version": instance.version.number,
        "status": instance.status,
        "outcome": instance.outcome,
        "started_at": iso(instance.started_at),
        "ended_at": iso(instance.ended_at),
        "started_by": instance.started_by.username,
        "owner_team": instance.owner_team.key if instance.owner_team else None,
    }


def instance_json(instance: ProcessInstance, level: str) -> dict:
    """The case as a participant of ``level`` may see it."""
    user = g.api_user
    open_tasks = db.session.scalars(
        select(Task).where(Task.instance_id == instance.id, Task.status.in_(ACTIVE_TASK_STATES))
        .order_by(Task.id)
    ).all()
    if level != FULL:
        open_tasks = [t for t in open_tasks if t.assignee_id == user.id]
    events = db.session.scalars(
        select(CaseEvent).where(CaseEvent.instance_id == instance.id,
                                CaseEvent.kind == "task_completed")
        .order_by(CaseEvent.id)
    ).all()
    return {
        **instance_summary(instance),
        "data": visible_data(instance.data, level),
        "open_tasks": [task_json(t) for t in open_tasks],
        "history": [
            {
                "task": e.task.bpmn_id if e.task else None,
                "title": e.title,
                "completed_by": e.actor.username if e.actor else None,
                "completed_at": iso(e.created_at),
            }
            for e in events
        ],
    }


# --- request helpers -------------------------------------------------------------------------

def json_object() -> dict:
    """The request body as a JSON object; 400 for malformed JSON or another JSON value."""
    if not request.get_data(cache=True):
        raise ApiError(400, "bad_request", _("Der Anfrage fehlt ein JSON-Objekt."))
    body = request.get_json(force=True, silent=True)
    if body is None:
        raise ApiError(400, "bad_request", _("Der Anfragetext ist kein gültiges JSON."))
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", _("Erwartet wird ein JSON-Objekt."))
    return body


@overload
def int_arg(name: str, default: int, *, maximum: int | None = None) -> int: ...
@overload
def int_arg(name: str, default: None = None, *, maximum: int | None = None) -> int | None: ...
def int_arg(name: str, default: int | None = None, *, maximum: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = bounded_int(raw)
    except ValueError:
        value = 0
    except NotFound:  # beyond the integer range of the database: no such page or id
        if maximum:
            return maximum
        raise ApiError(404, "not_found", _("Der Parameter „%(name)s“ ist zu groß; so etwas gibt es nicht.",
                                           name=name)) from None
    if value < 1:
        raise ApiError(400, "bad_request",
                       _("Der Parameter „%(name)s“ muss eine positive ganze Zahl sein.", name=name))
    return min(value, maximum) if maximum else value


def task_schema(task: Task) -> dict | None:
    """The JSON Schema of the task's form (None for a task without form)."""
    if not task.form_key:
        return None
    return form_schema(build_form(task, csrf=False))


def ensure_can_work_on(task: Task) -> None:
    """409 if the task is done or held by someone else, 403 if it is not the caller's work."""
    user = g.api_user
    if task.status == CANCELLED:
        raise ApiError(409, "conflict", _("Diese Aufgabe wurde abgebrochen."))
    if task.status not in ACTIVE_TASK_STATES:
        raise ApiError(409, "conflict", _("Diese Aufgabe ist bereits erledigt."))
    if task.assignee_id is not None and task.assignee_id != user.id:
        raise ApiError(409, "conflict",
                       _("Diese Aufgabe wurde von einer anderen Person übernommen."))
    if not can_work_on(user, task):
        raise ApiError(403, "forbidden", _("Sie dürfen diese Aufgabe nicht bearbeiten."))


def commit() -> None:
    """Commit once at the edge; a lost race is a 409, rolled back before the message is made."""
    service.commit()


# --- tokens and the caller -------------------------------------------------------------------

@bp.post("/tokens")
@login_limits  # per IP and per user name, like the web login
def create_token():
    body = json_object()
    username, password = body.get("username"), body.get("password")
    fields = {}
    if not isinstance(username, str) or not username.strip():
        fields["username"] = [_("Bitte Benutzernamen eingeben.")]
    if not isinstance(password, str) or not password:
        fields["password"] = [_("Bitte Passwort eingeben.")]
    if fields:
        raise validation_error(fields)
    assert isinstance(username, str) and isinstance(password, str)  # checked just above
    attempt = authenticate(username, password)  # throttled per account (app/auth/throttle.py)
    db.session.commit()  # the failure count, before unauthorized() rolls back
    if attempt.retry_after:
        response = jsonify({"error": {"code": "rate_limited", "message": attempt.message}})
        response.headers["Retry-After"] = str(attempt.retry_after)
        return response, 429
    if attempt.user is None:
        return unauthorized(attempt.message)
    token, row = issue_token(attempt.user)
    commit()
    return jsonify({"token": token, "expires_at": iso(row.expires_at)}), 201


@bp.delete("/tokens/current")
@require_token
def delete_token():
    revoke(g.api_token)
    commit()
    return "", 204


@bp.get("/me")
@require_token
def me():
    user = g.api_user
    return jsonify({
        "username": user.username,
        "display_name": user.display_name,
        "roles": user.roles,
        "teams": [m.team.key for m in user.memberships],
        "organisation": user.organisation.key if user.organisation else None,
        "memberships": [{"team": m.team.key, "name": m.team.name, "kind": m.kind}
                        for m in user.memberships],
        "organisation_name": user.organisation.name if user.organisation else None,
    })


# --- processes and instances -----------------------------------------------------------------

@bp.get("/processes")
@require_token
def processes():
    return jsonify([
        {"key": model.key, "name": model.name, "version": model.versions[-1].number,
         "teams": [t.key for t in teams]}
        for model, teams in startable(g.api_user)
    ])


@bp.post("/process-instances")
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
        errors = validate_json(schema, draft)
        if errors:
            raise validation_error(errors)
    commit()
    response = jsonify(instance_json(instance, access_level(user, instance) or LIMITED))
    response.headers["Location"] = url_for("api.get_instance", instance_id=instance.id)
    return response, 201


@bp.get("/process-instances")
@require_token
def list_instances():
    status = request.args.get("status") or None
    if status is not None and status not in INSTANCE_STATUSES:
        raise ApiError(400, "bad_request", _("Unbekannter Status „%(status)s“.", status=status))
    page = int_arg("page", 1)
    per_page = int_arg("per_page", 50, maximum=MAX_PER_PAGE)
    items, total = visible_cases(g.api_user, process=request.args.get("process") or None,
                                 status=status, page=page, per_page=per_page)
    return jsonify({"items": [instance_summary(i) for i in items], "total": total,
                    "page": page, "per_page": per_page})


@bp.get("/process-instances/<int:instance_id>")
@require_token
def get_instance(instance_id: int):
    instance, level = get_visible_instance_or_404(g.api_user, instance_id)
    return jsonify(instance_json(instance, level))


# --- tasks -----------------------------------------------------------------------------------

@bp.get("/tasks")
@require_token
def list_tasks():
    query = inbox_query(g.api_user)
    process = request.args.get("process") or None
    if process:
        query = (query.join(ProcessInstance, Task.instance_id == ProcessInstance.id)
                 .join(ProcessVersion, ProcessInstance.version_id == ProcessVersion.id)
                 .join(ProcessModel, ProcessVersion.model_id == ProcessModel.id)
                 .where(ProcessModel.key == process))
    instance_id = int_arg("process_instance")
    if instance_id is not None:
        query = query.where(Task.instance_id == instance_id)
    return jsonify([task_json(t) for t in db.session.scalars(query)])


@bp.get("/tasks/<int:task_id>")
@require_token
def get_task(task_id: int):
    task = get_task_or_404(g.api_user, task_id)
    form_data = initial_values(task) if task.form_key else {}
    return jsonify({**task_json(task), "form_schema": task_schema(task), "form_data": form_data})


@bp.post("/tasks/<int:task_id>/claim")
@require_token
def claim_task(task_id: int):
    task = get_task_or_404(g.api_user, task_id)
    service.claim_task(task, g.api_user)
    commit()
    return jsonify(task_json(task))


@bp.post("/tasks/<int:task_id>/unclaim")
@require_token
def unclaim_task(task_id: int):
    task = get_task_or_404(g.api_user, task_id)
    service.unclaim_task(task, g.api_user)
    commit()
    return jsonify(task_json(task))


@bp.post("/tasks/<int:task_id>/complete")
@require_token
def complete_task(task_id: int):
    user = g.api_user
    task = get_task_or_404(user, task_id)
    body = json_object()
    data = body.get("data", {})
    ensure_can_work_on(task)
    schema = task_schema(task)
    if schema is not None:
        errors = validate_json(schema, data)
        if errors:
            raise validation_error(errors)
        form = build_form(task, json_data=data, csrf=False)
        if not form.validate():
            raise validation_error(form_errors(form))
        values = form.to_task_data()
    elif data:
        raise validation_error({"data": [_("Diese Aufgabe hat kein Formular.")]})
    else:
        values = {}
    instance = service.complete_task(task, user, values)
    commit()
    return jsonify(instance_json(instance, access_level(user, instance) or LIMITED))


@bp.post("/process-instances/<int:instance_id>/crisis")
@require_token
def report_crisis(instance_id: int):
    user = g.api_user
    instance, _level = get_visible_instance_or_404(user, instance_id)
    if not service.offers_crisis(instance):
        raise ApiError(409, "crisis_not_offered", service.crisis_not_offered_message())
    if not can_report_crisis(user, instance):
        raise ApiError(403, "forbidden",
                       _("Sie sind an diesem Fall nicht so beteiligt, dass Sie eine Krise melden können."))
    body = json_object()
    form = KriseMeldenForm(formdata=json_to_formdata(body), meta={"csrf": False})
    errors = validate_json(form_schema(form), body)
    if errors:
        raise validation_error(errors)
    if not form.validate():
        raise validation_error(form_errors(form))
    created = service.report_crisis(instance, user, form.beschreibung.data or "", form.dringlichkeit.data)
    if not created:  # the process model routes the message to no crisis task: refuse, save nothing
        raise ApiError(500, "engine_error", _("Die Krisenmeldung hat keine Aufgabe erzeugt."))
    commit()
    return jsonify(task_json(created[0])), 201


# --- the API description ---------------------------------------------------------------------

@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


# --- error answers ---------------------------------------------------------------------------

def _error(status: int, code: str, message: str, fields: dict | None = None):
    db.session.rollback()
    error: dict[str, object] = {"code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    return jsonify({"error": error}), status


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return _error(exc.status, exc.code, exc.message, exc.fields)


@bp.errorhandler(service.ConflictError)
def _conflict(exc: service.ConflictError):
    return _error(409, "conflict", str(exc))


@bp.errorhandler(service.ForbiddenError)
def _forbidden(exc: service.ForbiddenError):
    return _error(403, "forbidden", str(exc))


@bp.errorhandler(service.EngineError)
def _engine_error(exc: service.EngineError):
    return _error(422, "engine_error", str(exc))


@bp.errorhandler(StaleDataError)
@bp.errorhandler(DBAPIError)
def _lost_race(exc: Exception):
    """A write that lost against a concurrent request wherever it surfaced (e.g. an autoflush):
    409, rolled back before the message is translated. Other database errors stay errors."""
    if not service.is_write_conflict(exc):
        raise exc
    db.session.rollback()
    return _error(409, "conflict", _("Der Fall wurde gleichzeitig von einer anderen Person geändert."))
