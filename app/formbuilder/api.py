"""API v1 of the form builder: builder form definitions for process owners (app/formbuilder)."""

from __future__ import annotations

from flask import g, jsonify
from flask_babel import gettext as _

from app.api import ApiError, api_blueprint, api_error, describe, json_object
from app.api.auth import require_token
from app.api.openapi import errors, json_body, json_response, ref
from app.auth.models import ROLE_PROZESS
from app.formbuilder import services
from app.formbuilder.models import FormDefinition, FormDefinitionVersion
from app.timeutil import iso

TAG = "forms"
LOCAL_TEXT = {"oneOf": [{"type": "string"}, {"type": "object", "properties": {
    "de": {"type": "string"}, "en": {"type": "string"}}, "required": ["de"]}]}
SCHEMAS = {
    "FormField": {
        "type": "object", "required": ["name", "type", "label"],
        "properties": {
            "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"},
            "type": {"type": "string", "enum": ["text", "longtext", "number", "date", "choice", "multichoice",
                                                "yesno", "group"]},
            "label": LOCAL_TEXT, "help": LOCAL_TEXT,
            "required": {"type": "boolean"},
            "volunteer": {"type": "boolean", "description": "Ehrenamtliche dürfen das Feld in der Akte sehen"},
            "max_length": {"type": "integer"}, "min": {"type": "number"}, "max": {"type": "number"},
            "decimal": {"type": "boolean"},
            "earliest": {"type": "string", "description": "JJJJ-MM-TT oder today"},
            "latest": {"type": "string", "description": "JJJJ-MM-TT oder today"},
            "widget": {"type": "string", "enum": ["radio", "select"]},
            "choices": {"type": "array", "items": {"type": "object", "required": ["value", "label"],
                                                   "properties": {"value": {"type": "string"},
                                                                  "label": LOCAL_TEXT}}},
            "fields": {"type": "array", "items": {"type": "object"},
                       "description": "Felder einer wiederholbaren Gruppe (type group)"},
            "min_entries": {"type": "integer"}, "max_entries": {"type": "integer"},
        },
    },
    "FormDefinition": {
        "type": "object", "required": ["key", "title", "fields"],
        "properties": {
            "key": {"type": "string", "examples": ["beratung.erstgespraech"]},
            "title": LOCAL_TEXT,
            "fields": {"type": "array", "items": ref("FormField")},
            "comment": {"type": "string", "description": "Kommentar zur neuen Version"},
            "version": {"type": "integer", "readOnly": True},
            "versions": {"type": "array", "readOnly": True, "items": {"type": "object"}},
        },
    },
}
PROBLEMS = json_response({"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message", "problems"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                   "problems": {"type": "array", "items": {"type": "object", "properties": {
                       "path": {"type": "string"}, "message": {"type": "string"}}}}}}}},
    "Die Definition hat Fehler (alle in error.problems); nichts wurde gespeichert")
KEY = {"name": "key", "in": "path", "required": True, "description": "Schlüssel des Formulars",
       "schema": {"type": "string"}}

bp = api_blueprint("formbuilder_api", __name__, SCHEMAS)


def _owner():
    user = g.api_user
    if not user.has_role(ROLE_PROZESS):
        raise ApiError(403, "forbidden", _("Nur Prozessverantwortliche dürfen Formulare bearbeiten."))
    return user


def _version_json(version: FormDefinitionVersion) -> dict:
    return {"version": version.number, "created_at": iso(version.created_at),
            "created_by": version.created_by.username if version.created_by else None,
            "comment": version.comment}


def form_json(form: FormDefinition, *, full: bool = True) -> dict:
    newest = services.newest_version(form)
    body = dict(newest.definition) if newest is not None else {"key": form.key, "title": {"de": form.title},
                                                               "fields": []}
    body["version"] = newest.number if newest is not None else None
    if full:
        body["versions"] = [_version_json(v) for v in form.versions]
    return body


def _refused(problems: list[dict[str, str]]):
    fields: dict[str, list[str]] = {}
    for problem in problems:
        fields.setdefault(problem["path"] or "_", []).append(problem["message"])
    return api_error(422, "validation_failed", _("Die Formulardefinition hat Fehler. Nichts wurde gespeichert."),
                     fields, problems=problems)


def _save(body: dict, *, create: bool):
    user = _owner()
    comment = body.pop("comment", "")
    for read_only in ("version", "versions"):  # what GET answers may be sent back as it is
        body.pop(read_only, None)
    if not isinstance(comment, str):
        return _refused([{"path": "comment", "message": _("Erwartet wird ein Text.")}])
    try:
        saved = services.save(body, user, comment, create=create)
    except services.DefinitionProblems as exc:
        return _refused(exc.problems)
    except services.FormExists:
        raise ApiError(409, "conflict", _("Ein Formular mit diesem Schlüssel gibt es schon.")) from None
    except LookupError:
        raise ApiError(404, "not_found", _("Dieses Formular gibt es nicht.")) from None
    return saved


@bp.get("/forms")
@require_token
@describe("listForms", "Formulare des Formular-Baukastens (neueste Version)", tag=TAG,
          responses={"200": json_response({"type": "array", "items": ref("FormDefinition")}, "OK"),
                     **errors("401", "403")})
def list_forms():
    _owner()
    return jsonify([form_json(form, full=False) for form in services.all_forms()])


@bp.post("/forms")
@require_token
@describe("createForm", "Neues Formular anlegen (Version 1)", tag=TAG, request_body=json_body(ref("FormDefinition")),
          responses={"201": json_response(ref("FormDefinition"), "Angelegt"), "422": PROBLEMS,
                     **errors("400", "401", "403", "409")})
def create_form():
    body = json_object()
    saved = _save(body, create=True)
    if not isinstance(saved, services.Saved):
        return saved
    return jsonify(form_json(saved.form)), 201


@bp.get("/forms/<key>")
@require_token
@describe("getForm", "Ein Formular mit seiner neuesten Definition und seinen Versionen", tag=TAG,
          parameters=[KEY], responses={"200": json_response(ref("FormDefinition"), "OK"),
                                       **errors("401", "403", "404")})
def get_form(key: str):
    _owner()
    form = services.get_form(key)
    if form is None:
        raise ApiError(404, "not_found", _("Dieses Formular gibt es nicht."))
    return jsonify(form_json(form))


@bp.put("/forms/<key>")
@require_token
@describe("updateForm", "Definition speichern: eine neue Version, wenn sich der Inhalt geändert hat", tag=TAG,
          parameters=[KEY], request_body=json_body(ref("FormDefinition")),
          responses={"200": json_response(ref("FormDefinition"), "Gespeichert (oder unverändert)"),
                     "422": PROBLEMS, **errors("400", "401", "403", "404")})
def update_form(key: str):
    body = json_object()
    body.setdefault("key", key)
    if body.get("key") != key:
        return _refused([{"path": "key", "message": _("Der Schlüssel eines Formulars kann nicht geändert werden.")}])
    _owner()
    if services.get_form(key) is None:
        raise ApiError(404, "not_found", _("Dieses Formular gibt es nicht."))
    saved = _save(body, create=False)
    if not isinstance(saved, services.Saved):
        return saved
    return jsonify(form_json(saved.form))
