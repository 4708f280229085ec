"""API v1: creating a process model (process owners). Its drafts, versions and publishing are
the modeler's API (app/modeler/api.py); its first uploaded draft may use any process id."""

from __future__ import annotations

from flask import g, jsonify
from flask_babel import gettext as _

from app.api import ApiError, api_blueprint, describe, json_object, validation_error
from app.api.auth import require_token
from app.api.openapi import errors, json_body, json_response, ref
from app.auth.models import ROLE_PROZESS
from app.processsetup import services

bp = api_blueprint("processsetup_api", __name__)

CREATED = {"type": "object", "required": ["key", "name", "versions"],
           "properties": {"key": {"type": "string"}, "name": {"type": "string"},
                          "versions": {"type": "array", "items": {"type": "object"}, "maxItems": 0}}}
BODY = {"type": "object", "required": ["key", "name"],
        "properties": {"key": {"type": "string", "pattern": services.KEY_PATTERN.pattern},
                       "name": {"type": "string", "minLength": 3, "maxLength": 200}}}


@bp.post("/process-models")
@describe("createProcessModel", "Neues Prozessmodell ohne Versionen anlegen (Prozessverantwortliche); "
          "sein erster hochgeladener Entwurf darf eine beliebige Prozess-ID haben",
          tag="process-models", request_body=json_body(BODY),
          responses={"201": json_response(CREATED, "angelegt"),
                     "409": json_response(ref("Error"), "Schlüssel schon vergeben"),
              **errors("400", "401", "403", "422")})
@require_token
def create_process_model():
    if not g.api_user.has_role(ROLE_PROZESS):
        raise ApiError(403, "forbidden", _("Nur Prozessverantwortliche dürfen Prozessmodelle bearbeiten."))
    body = json_object()
    key, name = body.get("key"), body.get("name")
    fields: dict[str, list[str]] = {}
    if not isinstance(name, str):
        fields["name"] = [_("Bitte einen Namen angeben.")]
    if not isinstance(key, str):
        fields["key"] = [_("Bitte einen Schlüssel angeben.")]
    if fields:
        raise validation_error(fields)
    assert isinstance(key, str) and isinstance(name, str)
    try:
        model = services.create_model(key, name)
    except services.SetupError as exc:
        if exc.status == 409:
            raise ApiError(409, "conflict", str(exc)) from exc
        raise validation_error({exc.field: [str(exc)]}) from exc
    return jsonify({"key": model.key, "name": model.name, "versions": []}), 201
