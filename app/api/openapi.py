"""The OpenAPI 3.1 description of API v1, built as a plain dict (served at /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any

from app.auth.models import ROLES

PREFIX = "/api/v1"
TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
ERROR_STATUS = {
    "400": "Ungültige Anfrage (kein gültiges JSON-Objekt oder ungültiger Parameter)",
    "401": "Nicht angemeldet: Token fehlt, ist ungültig, abgelaufen oder widerrufen",
    "403": "Keine Berechtigung",
    "404": "Nicht gefunden oder für Sie nicht sichtbar",
    "409": "Konflikt: Aufgabe erledigt, von einer anderen Person übernommen oder Fall geändert",
    "422": "Eingaben ungültig; die Fehler je Feld stehen in error.fields",
    "429": "Zu viele Versuche",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: str) -> dict[str, Any]:
    return {code: {"$ref": f"#/components/responses/E{code}"} for code in codes}


def _body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _path_id(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "integer", "minimum": 1}}


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}


def _op(op_id: str, summary: str, responses: dict[str, Any], *, tag: str, **extra: Any) -> dict:
    return {"operationId": op_id, "summary": summary, "tags": [tag], "responses": responses,
            **extra}


def _schemas() -> dict[str, Any]:
    nullable_str = {"type": ["string", "null"]}
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "examples": ["validation_failed"]},
                    "message": {"type": "string", "description": "Deutsch, für Menschen lesbar"},
                    "fields": {
                        "type": "object",
                        "description": "Nur bei 422: Fehlermeldungen je Feld "
                                       "(Listen von Objekten: ziele-0-frist; ganze Eingabe: _)",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                },
            }},
        },
        "TokenRequest": {
            "type": "object", "required": ["username", "password"],
            "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
        },
        "Token": {
            "type": "object", "required": ["token", "expires_at"],
            "properties": {"token": {"type": "string"},
                           "expires_at": {"type": "string", "format": "date-time"}},
        },
        "Me": {
            "type": "object",
            "required": ["username", "display_name", "roles", "teams", "organisation"],
            "properties": {
                "username": {"type": "string"},
                "display_name": {"type": "string"},
                "roles": {"type": "array", "items": {"type": "string", "enum": ROLES}},
                "teams": {"type": "array", "items": {"type": "string"},
                          "description": "Schlüssel der Teams (Mitglied oder Leitung)"},
                "organisation": {**nullable_str, "description": "Schlüssel der Organisation"},
                "organisation_name": nullable_str,
                "memberships": {"type": "array", "items": {
                    "type": "object",
                    "properties": {"team": {"type": "string"}, "name": {"type": "string"},
                                   "kind": {"type": "string", "enum": ["member", "lead"]}},
                }},
            },
        },
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
        "CompleteRequest": {
            "type": "object", "required": ["data"],
            "properties": {"data": {"type": "object",
                                    "description": "Werte nach dem form_schema der Aufgabe"}},
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
                "lane": nullable_str,
                "assignee": {**nullable_str, "description": "Benutzername"},
                "candidate_group": {**nullable_str, "description": "Team-Schlüssel"},
                "team": {**nullable_str, "description": "fallverantwortliches Team"},
                "due_at": TIMESTAMP,
                "priority": {"type": "integer"},
                "crisis": {"type": "boolean"},
                "created_at": {"type": "string", "format": "date-time"},
                "status": {"type": "string", "enum": ["open", "claimed", "completed", "cancelled", "paused"],
                           "description": "paused: der Fall ist angehalten"},
            },
        },
        "TaskDetail": {
            "allOf": [_ref("Task"), {
                "type": "object", "required": ["form_schema", "form_data"],
                "properties": {
                    "form_schema": {"type": ["object", "null"],
                                    "description": "JSON Schema (draft 2020-12) des Formulars"},
                    "form_data": {"type": "object",
                                  "description": "aktuelle Werte bzw. Vorgaben"},
                },
            }],
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
                "status": {"type": "string",
                           "enum": ["running", "completed", "terminated", "suspended", "error"]},
                "outcome": nullable_str,
                "started_at": {"type": "string", "format": "date-time"},
                "ended_at": TIMESTAMP,
                "started_by": {"type": "string"},
                "owner_team": nullable_str,
            },
        },
        "Instance": {
            "allOf": [_ref("InstanceSummary"), {
                "type": "object", "required": ["data", "open_tasks", "history"],
                "properties": {
                    "data": {"type": "object",
                             "description": "nur die Angaben, die Sie sehen dürfen"},
                    "open_tasks": {"type": "array", "items": _ref("Task")},
                    "history": {"type": "array", "items": {
                        "type": "object",
                        "required": ["task", "title", "completed_by", "completed_at"],
                        "properties": {
                            "task": nullable_str, "title": {"type": "string"},
                            "completed_by": nullable_str,
                            "completed_at": {"type": "string", "format": "date-time"},
                        },
                    }},
                },
            }],
        },
        "InstanceList": {
            "type": "object", "required": ["items", "total"],
            "properties": {
                "items": {"type": "array", "items": _ref("InstanceSummary")},
                "total": {"type": "integer"},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
            },
        },
    }


def _statistics_schema() -> dict[str, Any]:
    """GET /statistics (app/statistics/services.py compute())."""
    def rows(**props: Any) -> dict[str, Any]:
        return {"type": "array", "items": {"type": "object", "required": list(props), "properties": props}}

    num, text, count = {"type": "number"}, {"type": "string"}, {"type": "integer"}
    maybe = {"type": ["number", "null"]}
    obj = lambda **props: {"type": "object", "required": list(props), "properties": props}  # noqa: E731
    return obj(
        period=obj(**{"from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"}}),
        teams=rows(key=text, name=text),
        cases_started=rows(process=text, name=text, count=count),
        cases_closed=rows(process=text, name=text, outcome=text, count=count),
        open_tasks=obj(total=count, overdue=count,
                       by_step=rows(process=text, step=text, title=text, open=count, overdue=count)),
        crises=obj(reported=count, acknowledged=count, escalated=count, open_crisis_tasks=count,
                   ack_minutes_mean=maybe, ack_minutes_median=maybe),
        step_durations=rows(process=text, step=text, title=text, completed=count, mean_hours=num, median_hours=num),
        consultations=obj(total=count, by_topic=rows(topic=text, label=text, count=count),
                          by_kind=rows(kind=text, label=text, count=count)),
        home_visits=obj(total=count, per_week=num, by_week=rows(week=text, count=count)),
        events=obj(count=count, participants=count,
                   by_type=rows(type=text, label=text, count=count, participants=count)),
        working_time=obj(total_minutes=count,
                         by_activity=rows(activity=text, label=text, minutes=count, share_percent=num)),
    )


def _paths() -> dict[str, Any]:
    task_id = _path_id("id", "ID der Aufgabe")
    instance_id = _path_id("id", "ID des Falls")
    task_action = {"parameters": [task_id]}
    return {
        PREFIX + "/tokens": {"post": _op(
            "createToken", "Token anfordern (Anmeldung)",
            {"201": _json(_ref("Token"), "Token erstellt"), **_errors("400", "401", "422", "429")},
            tag="auth", security=[], requestBody=_body(_ref("TokenRequest")),
        )},
        PREFIX + "/tokens/current": {"delete": _op(
            "revokeToken", "Das verwendete Token widerrufen",
            {"204": {"description": "widerrufen"}, **_errors("401")}, tag="auth",
        )},
        PREFIX + "/me": {"get": _op(
            "getMe", "Angemeldete Person", {"200": _json(_ref("Me"), "OK"), **_errors("401")},
            tag="auth",
        )},
        PREFIX + "/processes": {"get": _op(
            "listProcesses", "Verfahren, die Sie starten dürfen",
            {"200": _json({"type": "array", "items": _ref("Process")}, "OK"), **_errors("401")},
            tag="processes",
        )},
        PREFIX + "/process-instances": {
            "post": _op(
                "startInstance", "Fall starten",
                {"201": _json(_ref("Instance"), "Fall angelegt"),
                 **_errors("400", "401", "403", "404", "422")},
                tag="processes", requestBody=_body(_ref("StartRequest")),
            ),
            "get": _op(
                "listInstances", "Für Sie sichtbare Fälle",
                {"200": _json(_ref("InstanceList"), "OK"), **_errors("400", "401")},
                tag="processes", parameters=[
                    _query("process", "Verfahrensschlüssel", {"type": "string"}),
                    _query("status", "Status", {"type": "string", "enum": [
                        "running", "completed", "terminated", "suspended", "error"]}),
                    _query("page", "Seite (ab 1)", {"type": "integer", "minimum": 1, "default": 1}),
                    _query("per_page", "Einträge je Seite",
                           {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}),
                ],
            ),
        },
        PREFIX + "/process-instances/{id}": {"get": _op(
            "getInstance", "Ein Fall", {"200": _json(_ref("Instance"), "OK"),
                                        **_errors("401", "404")},
            tag="processes", parameters=[instance_id],
        )},
        PREFIX + "/process-instances/{id}/crisis": {"post": _op(
            "reportCrisis", "Krise melden: erzeugt sofort eine Krisenaufgabe für das fallverantwortliche Team",
            {"201": _json(_ref("Task"), "die erzeugte Krisenaufgabe"),
             **_errors("400", "401", "403", "404", "409", "422")},
            tag="processes", parameters=[instance_id],
            requestBody=_body({
                "type": "object", "additionalProperties": False,
                "required": ["beschreibung", "dringlichkeit"],
                "properties": {
                    "beschreibung": {"type": "string", "title": "Was ist passiert?"},
                    "dringlichkeit": {"type": "string", "enum": ["normal", "hoch"], "title": "Dringlichkeit"},
                },
            }),
        )},
        PREFIX + "/process-instances/{id}/interventions": {"post": _op(
            "intervene", "Eingriff der Leitung des fallverantwortlichen Teams (mit Grund, in der Fallhistorie)",
            {"200": _json({"type": "object", "required": ["message", "instance"], "properties": {
                "message": {"type": "string"}, "instance": _ref("Instance")}}, "ausgeführt; der Fall danach"),
             **_errors("400", "401", "403", "404", "409", "422")},
            tag="monitoring", parameters=[instance_id],
            requestBody=_body({
                "type": "object", "additionalProperties": False, "required": ["kind", "grund"],
                "properties": {
                    "kind": {"type": "string", "enum": ["reassign", "suspend", "resume", "terminate", "reset"],
                             "description": "neu zuweisen, anhalten, fortsetzen, beenden, zurücksetzen"},
                    "grund": {"type": "string", "title": "Grund", "maxLength": 2000},
                    "aufgabe": {"type": "integer", "description": "reassign: ID der offenen Aufgabe"},
                    "person": {"type": "string", "description": "reassign: Benutzername (oder team)"},
                    "team": {"type": "string", "description": "reassign: Team-Schlüssel (oder person)"},
                    "schritt": {"type": "integer",
                                "description": "reset: ID der erledigten Aufgabe, die erneut zu bearbeiten ist"},
                },
            }),
        )},
        PREFIX + "/tasks": {"get": _op(
            "listTasks", "Ihr Posteingang (Krisen zuerst, dann nach Fälligkeit)",
            {"200": _json({"type": "array", "items": _ref("Task")}, "OK"), **_errors("400", "401")},
            tag="tasks", parameters=[
                _query("process", "Verfahrensschlüssel", {"type": "string"}),
                _query("process_instance", "ID des Falls", {"type": "integer", "minimum": 1}),
            ],
        )},
        PREFIX + "/tasks/{id}": {"get": _op(
            "getTask", "Eine Aufgabe mit Formularschema und aktuellen Werten",
            {"200": _json(_ref("TaskDetail"), "OK"), **_errors("401", "404")},
            tag="tasks", parameters=[task_id],
        )},
        PREFIX + "/tasks/{id}/claim": {"post": _op(
            "claimTask", "Gruppenaufgabe übernehmen",
            {"200": _json(_ref("Task"), "übernommen"), **_errors("401", "403", "404", "409")},
            tag="tasks", **task_action,
        )},
        PREFIX + "/tasks/{id}/unclaim": {"post": _op(
            "unclaimTask", "Aufgabe an die Gruppe zurückgeben",
            {"200": _json(_ref("Task"), "zurückgegeben"), **_errors("401", "403", "404", "409")},
            tag="tasks", **task_action,
        )},
        PREFIX + "/tasks/{id}/complete": {"post": _op(
            "completeTask", "Aufgabe erledigen",
            {"200": _json(_ref("Instance"), "erledigt; der Fall danach"),
             **_errors("400", "401", "403", "404", "409", "422")},
            tag="tasks", requestBody=_body(_ref("CompleteRequest")), **task_action,
        )},
        PREFIX + "/statistics": {"get": _op(
            "getStatistics", "Statistik der Teams, die Sie leiten (wie die Seite Statistik)",
            {"200": _json(_statistics_schema(), "Kennzahlen des Zeitraums"), **_errors("400", "401", "403")},
            tag="monitoring", parameters=[
                _query("from", "Beginn des Zeitraums (JJJJ-MM-TT; Standard: 1. Januar)",
                       {"type": "string", "format": "date"}),
                _query("to", "Ende des Zeitraums (JJJJ-MM-TT, einschließlich; Standard: heute)",
                       {"type": "string", "format": "date"}),
                _query("team", "Teamschlüssel (nur Teams, die Sie leiten; Standard: alle)", {"type": "string"}),
            ],
        )},
        PREFIX + "/openapi.json": {"get": _op(
            "getOpenApi", "Diese Beschreibung", {"200": {"description": "OpenAPI 3.1"}},
            tag="meta", security=[],
        )},
    }


def _modeler_doc():
    from app.modeler import openapi_doc  # the process-owner endpoints (app/modeler/api.py)

    return openapi_doc


def _volunteer_doc():
    from app.volunteers import openapi_doc  # question thread and expenses (app/volunteers/api.py)

    return openapi_doc


def _mbe_doc():
    from app.mbe import openapi_doc  # handover and MBE statistics (app/mbe/api.py)

    return openapi_doc


def openapi_document() -> dict[str, Any]:
    error_responses = {f"E{code}": _json(_ref("Error"), text)
                       for code, text in ERROR_STATUS.items()}
    error_responses["E401"]["headers"] = {
        "WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Fallwerk API",
            "version": "1",
            "description": "JSON-API für Fälle und Aufgaben. Fehler: "
                           '{"error": {"code", "message"[, "fields"]}}. Zeitangaben ISO 8601.',
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": {**_paths(), **_modeler_doc().paths(), **_volunteer_doc().paths(), **_mbe_doc().paths()},
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "Token aus POST /tokens"}},
            "schemas": {**_schemas(), **_modeler_doc().schemas(), **_volunteer_doc().schemas(),
                        **_mbe_doc().schemas()},
            "responses": error_responses,
        },
    }
