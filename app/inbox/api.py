"""API v1: the caller's tasks (inbox), one task with its form, claim, unclaim, complete."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, select

from app.accesslog import services as accesslog
from app.accesslog.models import TASK
from app.api import ApiError, api_blueprint, describe, int_arg, json_object, validation_error
from app.api.auth import require_token
from app.api.openapi import errors, json_body, json_response, path_id, query, ref
from app.auth.access import COVER, can_work_on, data_level, get_task_or_404, inbox_query
from app.cases.serialize import instance_json, task_json
from app.cases.taskforms import build_form, initial_values, task_schema
from app.engine import service
from app.engine.models import (
    ACTIVE_TASK_STATES,
    CANCELLED,
    FULL,
    LIMITED,
    ProcessInstance,
    ProcessModel,
    ProcessVersion,
    Task,
)
from app.inbox.listing import Key, decode_cursor, encode_cursor, ordered_tasks
from forms import form_errors, validate_json

SCHEMAS = {
    "CompleteRequest": {
        "type": "object", "required": ["data"],
        "properties": {"data": {"type": "object",
                                "description": "Werte nach dem form_schema der Aufgabe"}},
    },
    "TaskDetail": {
        "allOf": [ref("Task"), {
            "type": "object", "required": ["form_schema", "form_data"],
            "properties": {
                "form_schema": {"type": ["object", "null"],
                                "description": "JSON Schema (draft 2020-12) des Formulars"},
                "form_data": {"type": "object",
                              "description": "aktuelle Werte bzw. Vorgaben"},
            },
        }],
    },
}
TASK_ID = path_id("id", "ID der Aufgabe")

bp = api_blueprint("inbox_api", __name__, SCHEMAS)


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


MAX_LIMIT = 200  # tasks per page at most (``limit``)


@bp.get("/tasks")
@describe("listTasks", "Ihr Posteingang (Krisen zuerst, dann nach Fälligkeit)", tag="tasks",
          description="Ohne `limit` alle Aufgaben. Mit `limit` seitenweise: hat die Liste weitere Aufgaben, "
                      "nennt der Kopf `Link` (`rel=\"next\"`) die Adresse der nächsten Seite; deren `after` "
                      "ist ein undurchsichtiger Zeiger hinter die letzte Aufgabe der Seite. Erledigte oder "
                      "neue Aufgaben verschieben nichts: jede Aufgabe erscheint höchstens einmal.",
          responses={"200": {**json_response({"type": "array", "items": ref("Task")}, "OK"),
                             "headers": {"Link": {"schema": {"type": "string"},
                                                  "description": "<…?limit=…&after=…>; rel=\"next\" – nur mit "
                                                                 "`limit` und wenn weitere Aufgaben folgen"}}},
                     **errors("400", "401")},
          parameters=[query("process", "Verfahrensschlüssel", {"type": "string"}),
                      query("process_instance", "ID des Falls", {"type": "integer", "minimum": 1}),
                      query("limit", f"höchstens so viele Aufgaben (bis {MAX_LIMIT}); ohne: alle",
                            {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
                      query("after", "Fortsetzung: der Zeiger aus dem `Link` der vorigen Seite",
                            {"type": "string"})])
@require_token
def list_tasks():
    where: list[ColumnElement[bool]] = []
    process = request.args.get("process") or None
    if process:
        where.append(Task.instance_id.in_(
            select(ProcessInstance.id)
            .join(ProcessVersion, ProcessInstance.version_id == ProcessVersion.id)
            .join(ProcessModel, ProcessVersion.model_id == ProcessModel.id)
            .where(ProcessModel.key == process)))
    instance_id = int_arg("process_instance")
    if instance_id is not None:
        where.append(Task.instance_id == instance_id)
    limit = int_arg("limit", maximum=MAX_LIMIT)
    after = None
    if token := request.args.get("after"):
        cursor = decode_cursor(token)
        if cursor is None:
            raise ApiError(400, "bad_request", _("Der Parameter „after“ ist ungültig; bitte die Adresse aus dem "
                                                 "Kopf „Link“ der vorigen Antwort verwenden."))
        after = cursor[0]
    # One truth with the HTML inbox: its index-ordered branches, by key (app/inbox/listing.py).
    tasks = ordered_tasks(inbox_query(g.api_user), g.api_user, None, None if limit is None else limit + 1,
                          after, where)
    accesslog.list_read(g.api_user, TASK)
    response = jsonify([task_json(t) for t in tasks[:limit]])
    if limit is not None and len(tasks) > limit:
        after_last = encode_cursor(Key.of(tasks[limit - 1]))
        args: dict[str, Any] = {**request.args.to_dict(), "limit": limit, "after": after_last}
        response.headers["Link"] = f'<{url_for("inbox_api.list_tasks", _external=True, **args)}>; rel="next"'
    return response


@bp.get("/tasks/<int:task_id>")
@describe("getTask", "Eine Aufgabe mit Formularschema und aktuellen Werten", tag="tasks", parameters=[TASK_ID],
          responses={"200": json_response(ref("TaskDetail"), "OK"), **errors("401", "404")})
@require_token
def get_task(task_id: int):
    task = get_task_or_404(g.api_user, task_id)
    accesslog.case_read(g.api_user, task.instance, object_type=TASK, object_id=task.id)
    form_data = initial_values(task) if task.form_key else {}
    return jsonify({**task_json(task), "form_schema": task_schema(task), "form_data": form_data})


@bp.post("/tasks/<int:task_id>/claim")
@describe("claimTask", "Gruppenaufgabe übernehmen", tag="tasks", parameters=[TASK_ID],
          responses={"200": json_response(ref("Task"), "übernommen"), **errors("401", "403", "404", "409")})
@require_token
def claim_task(task_id: int):
    task = get_task_or_404(g.api_user, task_id)
    service.claim_task(task, g.api_user)
    return jsonify(task_json(task))


@bp.post("/tasks/<int:task_id>/unclaim")
@describe("unclaimTask", "Aufgabe an die Gruppe zurückgeben", tag="tasks", parameters=[TASK_ID],
          responses={"200": json_response(ref("Task"), "zurückgegeben"), **errors("401", "403", "404", "409")})
@require_token
def unclaim_task(task_id: int):
    task = get_task_or_404(g.api_user, task_id)
    service.unclaim_task(task, g.api_user)
    return jsonify(task_json(task))


@bp.post("/tasks/<int:task_id>/complete")
@describe("completeTask", "Aufgabe erledigen", tag="tasks", parameters=[TASK_ID],
          request_body=json_body(ref("CompleteRequest")),
          responses={"200": json_response(ref("Instance"), "erledigt; der Fall danach"),
                     **errors("400", "401", "403", "404", "409", "422")})
@require_token
def complete_task(task_id: int):
    user = g.api_user
    task = get_task_or_404(user, task_id, with_state=True)
    body = json_object()
    data = body.get("data", {})
    ensure_can_work_on(task)
    if task.is_todo:
        raise ApiError(422, "todo_not_completable",
                       _("Diese Aufgabe ist eine Wiedervorlage ohne Formular; sie wird im Posteingang "
                         "als erledigt oder verworfen markiert."))
    schema = task_schema(task)
    if schema is not None:
        errors_ = validate_json(schema, data)
        if errors_:
            raise validation_error(errors_)
        form = build_form(task, json_data=data, csrf=False)
        if not form.validate():
            raise validation_error(form_errors(form))
        values = form.to_task_data()
    elif data:
        raise validation_error({"data": [_("Diese Aufgabe hat kein Formular.")]})
    else:
        values = {}
    instance = service.complete_task(task, user, values)
    reading = data_level(user, instance)  # one access query for the answer (COVER: a substitute)
    level = FULL if reading == COVER else (reading or LIMITED)
    return jsonify(instance_json(instance, level, reading=reading or LIMITED))
