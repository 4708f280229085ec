"""The OpenAPI 3.1 description of API v1, assembled from the endpoints (GET /api/v1/openapi.json).

Each endpoint carries its own description: ``@describe(...)`` next to the view (summary, tag,
parameters, request body or the WTForms class that validates it, responses). The component
schemas a feature's endpoints refer to sit on that feature's blueprint (``bp.schemas``). The
assembly walks the app's URL map, so a route without a description fails loudly instead of
silently missing from the document; apispec's path/operation handling does the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apispec import APISpec, BasePlugin
from flask import Blueprint, Flask, current_app, jsonify
from werkzeug.routing import Rule

PREFIX = "/api/v1"
RULE_VARIABLE = re.compile(r"<(?:[^<>:]+:)?([^<>:]+)>")  # <int:instance_id> -> instance_id
TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
NULLABLE_STR = {"type": ["string", "null"]}
ERROR_STATUS = {
    "400": "Ungültige Anfrage (kein gültiges JSON-Objekt oder ungültiger Parameter)",
    "401": "Nicht angemeldet: Token fehlt, ist ungültig, abgelaufen oder widerrufen",
    "403": "Keine Berechtigung",
    "404": "Nicht gefunden oder für Sie nicht sichtbar",
    "409": "Konflikt: Aufgabe erledigt, von einer anderen Person übernommen oder Fall geändert",
    "422": "Eingaben ungültig; die Fehler je Feld stehen in error.fields",
    "429": "Zu viele Versuche",
}
ERROR_SCHEMA = {
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
}


# --- building blocks for the descriptions ------------------------------------------------------

def ref(name: str) -> dict[str, str]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def errors(*codes: str) -> dict[str, Any]:
    """The shared error answers (``components/responses/E<code>``)."""
    return {code: {"$ref": f"#/components/responses/E{code}"} for code in codes}


def json_body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def path_id(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "integer", "minimum": 1}}


def query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}


@dataclass
class Operation:
    """The description of one endpoint; ``request_form`` is turned into the body's JSON Schema
    by ``forms.form_schema`` when the document is built, so the document states what the form
    validates."""

    operation_id: str
    summary: str
    tag: str
    responses: dict[str, Any]
    parameters: list[dict[str, Any]] = field(default_factory=list)
    request_body: dict[str, Any] | None = None
    request_form: type | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        op: dict[str, Any] = {"operationId": self.operation_id, "summary": self.summary, "tags": [self.tag],
                              "responses": self.responses}
        if self.parameters:
            op["parameters"] = self.parameters
        if self.request_form is not None:
            from forms import form_schema

            op["requestBody"] = json_body(form_schema(self.request_form(meta={"csrf": False})))
        elif self.request_body is not None:
            op["requestBody"] = self.request_body
        return {**op, **self.extra}


def describe(operation_id: str, summary: str, *, tag: str, responses: dict[str, Any],
             parameters: list[dict[str, Any]] | None = None, request_body: dict[str, Any] | None = None,
             request_form: type | None = None, **extra: Any) -> Callable:
    """Decorator: the OpenAPI description of the view below it (``extra``: e.g. ``security=[]``)."""
    operation = Operation(operation_id, summary, tag, responses, list(parameters or []), request_body,
                          request_form, extra)

    def decorate(view: Callable) -> Callable:
        view.openapi = operation  # type: ignore[attr-defined]
        return view

    return decorate


# --- assembly ----------------------------------------------------------------------------------

class FlaskRulePlugin(BasePlugin):
    """apispec plugin: the path of a Flask rule and the operations from its view's ``describe``.

    Path placeholders take the names of the operation's path parameters in order (the document
    says ``{id}`` where the rule says ``<int:instance_id>``)."""

    def path_helper(self, path: str | None = None, operations: dict | None = None,
                    parameters: list[dict] | None = None, **kwargs: Any) -> str | None:
        rule: Rule = kwargs["rule"]
        description: Operation | None = getattr(kwargs["view"], "openapi", None)
        if description is None:
            raise LookupError(f"{rule.endpoint} ({rule.rule}) has no @describe(...) OpenAPI description")
        op = description.as_dict()
        names = iter(p["name"] for p in op.get("parameters", []) if p.get("in") == "path")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            assert operations is not None
            operations[method.lower()] = op
        return RULE_VARIABLE.sub(lambda m: "{" + next(names, m.group(1)) + "}", rule.rule)


class ApiBlueprint(Blueprint):
    """A feature's API blueprint; ``schemas`` are the component schemas its endpoints refer to."""

    schemas: dict[str, Any]


def openapi_document(app: Flask) -> dict[str, Any]:
    spec = APISpec(
        title="Fallwerk API", version="1", openapi_version="3.1.0", plugins=[FlaskRulePlugin()],
        info={"description": "JSON-API für Fälle und Aufgaben. Fehler: "
                             '{"error": {"code", "message"[, "fields"]}}. Zeitangaben ISO 8601.'},
        servers=[{"url": "/"}],
        security=[{"bearerAuth": []}],
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer",
                                                   "description": "Token aus POST /tokens"})
    spec.components.schema("Error", ERROR_SCHEMA)
    for blueprint in app.blueprints.values():
        for name, schema in getattr(blueprint, "schemas", {}).items():
            spec.components.schema(name, schema)
    for code, text in ERROR_STATUS.items():
        response = json_response(ref("Error"), text)
        if code == "401":
            response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}}
        spec.components.response(f"E{code}", response)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.rule.startswith(PREFIX + "/"):
            spec.path(rule=rule, view=app.view_functions[rule.endpoint])
    return spec.to_dict()


bp = Blueprint("openapi", __name__, url_prefix=PREFIX)


@bp.get("/openapi.json")
@describe("getOpenApi", "Diese Beschreibung", tag="meta", responses={"200": {"description": "OpenAPI 3.1"}},
          security=[])
def openapi():
    return jsonify(openapi_document(current_app))
