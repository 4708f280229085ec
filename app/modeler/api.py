"""API v1 for process owners: process models, versions, drafts, publishing (app/modeler)."""

from __future__ import annotations

from flask import Response, g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from app.api import ApiError, api_blueprint, api_error, describe, json_object, validation_error
from app.api.auth import require_token
from app.api.openapi import errors, json_response, ref
from app.auth.models import ROLE_PROZESS
from app.engine.models import ProcessModel, ProcessVersion
from app.extensions import db
from app.modeler import approval, services
from app.modeler.models import ProcessDraft
from app.modeler.xmlsafe import UnsafeXml
from app.timeutil import iso
from app.web.bounds import body_limit

PROBLEM = {"type": "object", "required": ["element_id", "message"],
           "properties": {"element_id": {"type": ["string", "null"]}, "message": {"type": "string"},
                          "hint": {"type": "string", "description": "Hinweis, wie das Problem zu beheben ist"}}}
SCHEMAS = {
    "ProcessVersionInfo": {
        "type": "object", "required": ["version", "published_at", "published_by", "comment"],
        "properties": {"version": {"type": "integer"},
                       "published_at": {"type": "string", "format": "date-time"},
                       "published_by": {"type": ["string", "null"],
                                        "description": "Benutzername; null = Import aus Datei"},
                       "comment": {"type": "string"}},
    },
    "ProcessDraftResult": {
        "type": "object", "required": ["id", "valid", "problems"],
        "properties": {"id": {"type": "integer"}, "valid": {"type": "boolean"},
                       "status": {"type": "string", "enum": ["draft", "submitted", "published", "discarded"]},
                       "rejection": {"type": ["object", "null"], "description": "letzte Ablehnung, solange der "
                                     "Entwurf wieder in Bearbeitung ist (Vier-Augen-Prinzip)",
                                     "properties": {"by": {"type": ["string", "null"]},
                                                    "at": {"type": "string", "format": "date-time"},
                                                    "reason": {"type": "string"}}},
                       "problems": {"type": "array", "items": PROBLEM}},
    },
}
TAG = "process-models"


def _path(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}


KEY = _path("key", "Schlüssel des Verfahrens, z. B. alltagsbegleitung", {"type": "string"})
NUMBER = _path("n", "Versionsnummer", {"type": "integer", "minimum": 1})
DRAFT = _path("draft_id", "ID des Entwurfs", {"type": "integer", "minimum": 1})
MODEL = {"type": "object", "required": ["key", "name", "versions"],
         "properties": {"key": {"type": "string"}, "name": {"type": "string"},
                        "versions": {"type": "array", "items": ref("ProcessVersionInfo")},
                        "four_eyes": {"type": "boolean",
                                      "description": "Veröffentlichen braucht die Freigabe einer zweiten Person"}}}
PUBLISHED = {"type": "object", "required": ["version"], "properties": {"version": {"type": ["integer", "null"]},
                                                                        "status": {"type": "string"}}}
REFUSED = json_response({"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message", "problems"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                   "problems": {"type": "array", "items": {"type": "object"}}}}}},
    "Das Modell hat Probleme (Liste in error.problems); nichts wurde veröffentlicht")

bp = api_blueprint("modeler_api", __name__, SCHEMAS)


def _owner():
    user = g.api_user
    if not user.has_role(ROLE_PROZESS):
        raise ApiError(403, "forbidden", _("Nur Prozessverantwortliche dürfen Prozessmodelle bearbeiten."))
    return user


def _model(key: str) -> ProcessModel:
    model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == key))
    if model is None:
        raise ApiError(404, "not_found", _("Dieses Prozessmodell gibt es nicht."))
    return model


def _versions(model: ProcessModel) -> list[ProcessVersion]:
    return list(db.session.scalars(select(ProcessVersion).where(ProcessVersion.model_id == model.id)
                                   .order_by(ProcessVersion.number)))


def version_json(version: ProcessVersion) -> dict:
    return {"version": version.number, "published_at": iso(version.published_at),
            "published_by": version.published_by.username if version.published_by else None,
            "comment": version.comment}


def _draft_json(draft: ProcessDraft) -> dict:
    rejected = approval.last_rejection(draft)
    return {"id": draft.id, "valid": bool(draft.valid), "status": draft.status,
            "problems": [{"element_id": p.get("element_id"), "message": p.get("message"), "hint": p.get("hint") or ""}
                         for p in draft.problems],
            "rejection": {"by": rejected.user.username if rejected.user else None, "at": iso(rejected.at),
                          "reason": rejected.note} if rejected else None}


def _refused(exc: services.PublishRefused):
    """422 with the problems; nothing of the attempt is kept."""
    return api_error(422, "validation_failed", str(exc), problems=[p.as_dict() for p in exc.problems])


@bp.get("/process-models")
@describe("listProcessModels", "Prozessmodelle mit ihren Versionen (Prozessverantwortliche)", tag=TAG,
          responses={"200": json_response({"type": "array", "items": MODEL}, "OK"), **errors("401", "403")})
@require_token
def list_process_models():
    _owner()
    models = db.session.scalars(select(ProcessModel).order_by(ProcessModel.key)).all()
    return jsonify([{"key": m.key, "name": m.name, "versions": [version_json(v) for v in _versions(m)],
                     "four_eyes": services.four_eyes(m)} for m in models])


@bp.get("/process-models/<key>/versions")
@describe("listProcessVersions", "Versionen eines Prozessmodells", tag=TAG, parameters=[KEY],
          responses={"200": json_response({"type": "array", "items": ref("ProcessVersionInfo")}, "OK"),
                     **errors("401", "403", "404")})
@require_token
def list_process_versions(key: str):
    _owner()
    return jsonify([version_json(v) for v in _versions(_model(key))])


@bp.get("/process-models/<key>/versions/<int:number>/bpmn")
@describe("getProcessVersionBpmn", "BPMN-XML einer Version", tag=TAG, parameters=[KEY, NUMBER],
          responses={"200": {"description": "BPMN 2.0 XML",
                             "content": {"application/xml": {"schema": {"type": "string"}}}},
                     **errors("401", "403", "404")})
@require_token
def get_version_bpmn(key: str, number: int):
    _owner()
    model = _model(key)
    version = db.session.scalar(select(ProcessVersion).where(ProcessVersion.model_id == model.id,
                                                             ProcessVersion.number == number))
    if version is None:
        raise ApiError(404, "not_found", _("Diese Version gibt es nicht."))
    return Response(version.bpmn_xml, mimetype="application/xml")


@bp.post("/process-models/<key>/drafts")
@describe("createProcessDraft", "Entwurf aus BPMN-XML anlegen; wird sofort geprüft", tag=TAG, parameters=[KEY],
          responses={"201": json_response(ref("ProcessDraftResult"), "Entwurf angelegt (valid=false: siehe problems)"),
                     **errors("400", "401", "403", "404"), "413": json_response(ref("Error"), "Datei zu groß")},
          request_body={"required": True, "content": {"application/xml": {"schema": {"type": "string"}}}})
@body_limit(services.max_bytes)
@require_token
def create_process_draft(key: str):
    user = _owner()
    model = _model(key)
    limit = services.max_bytes()
    too_large = ApiError(413, "too_large", _("Die Datei ist zu groß (höchstens %(kb)s KB).", kb=limit // 1024))
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    try:  # a chunked body stops being read at the limit (app/bounds.py)
        data = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise too_large from None
    try:
        draft = services.create_draft(model, user, data, comment=_("Über die API hochgeladen"))
    except UnsafeXml as exc:
        raise ApiError(exc.status, "too_large" if exc.status == 413 else "bad_request", str(exc)) from exc
    return jsonify(_draft_json(draft)), 201


def _get_draft(model: ProcessModel, draft_id: int) -> ProcessDraft:
    draft = db.session.get(ProcessDraft, draft_id)
    if draft is None or draft.model_id != model.id:
        raise ApiError(404, "not_found", _("Diesen Entwurf gibt es nicht."))
    return draft


@bp.get("/process-models/<key>/drafts/<int:draft_id>")
@describe("getProcessDraft", "Entwurf mit dem Ergebnis der letzten Prüfung", tag=TAG, parameters=[KEY, DRAFT],
          responses={"200": json_response(ref("ProcessDraftResult"), "OK"), **errors("401", "403", "404")})
@require_token
def get_process_draft(key: str, draft_id: int):
    _owner()
    return jsonify(_draft_json(_get_draft(_model(key), draft_id)))


@bp.post("/process-models/<key>/drafts/<int:draft_id>/publish")
@describe("publishProcessDraft", "Entwurf als neue Version veröffentlichen (bei Vier-Augen-Prinzip: vorlegen)",
          tag=TAG, parameters=[KEY, DRAFT],
          responses={"201": json_response(PUBLISHED, "veröffentlicht"),
                     "202": json_response(PUBLISHED, "zur Freigabe vorgelegt"),
                     "422": REFUSED, **errors("401", "403", "404", "409")},
          request_body={"required": False, "content": {"application/json": {"schema": {
              "type": "object", "properties": {"comment": {"type": "string", "maxLength": 500}}}}}})
@require_token
def publish_process_draft(key: str, draft_id: int):
    user = _owner()
    draft = _get_draft(_model(key), draft_id)
    body = request.get_json(silent=True) if request.data else None
    comment = (body or {}).get("comment") if isinstance(body, dict) else None
    try:
        comment = str(comment or draft.comment or _("Über die API veröffentlicht"))
        version = services.request_publish(draft, user, comment)
    except services.PublishRefused as exc:
        return _refused(exc)
    except services.ModelerError as exc:
        raise ApiError(409, "conflict", str(exc)) from exc
    if version is None:
        return jsonify({"version": None, "status": "submitted"}), 202
    return jsonify({"version": version.number}), 201


@bp.post("/process-models/<key>/drafts/<int:draft_id>/approve")
@describe("approveProcessDraft", "Vorgelegten Entwurf freigeben (zweite prozessverantwortliche Person)",
          tag=TAG, parameters=[KEY, DRAFT],
          responses={"201": json_response(PUBLISHED, "veröffentlicht"), "422": REFUSED,
                     **errors("401", "403", "404", "409")})
@require_token
def approve_process_draft(key: str, draft_id: int):
    user = _owner()
    draft = _get_draft(_model(key), draft_id)
    try:
        version = services.approve(draft, user)
    except services.PublishRefused as exc:
        return _refused(exc)
    except services.NotAllowed as exc:
        raise ApiError(403, "forbidden", str(exc)) from exc
    except services.ModelerError as exc:
        raise ApiError(409, "conflict", str(exc)) from exc
    return jsonify({"version": version.number}), 201


@bp.post("/process-models/<key>/drafts/<int:draft_id>/reject")
@describe("rejectProcessDraft", "Vorgelegten Entwurf ablehnen (zweite prozessverantwortliche Person): er geht mit "
          "dem Grund als bearbeitbarer Entwurf an die Autorin / den Autor zurück", tag=TAG, parameters=[KEY, DRAFT],
          responses={"200": json_response(ref("ProcessDraftResult"), "abgelehnt; status ist wieder draft"),
                     **errors("400", "401", "403", "404", "409", "422")},
          request_body={"required": True, "content": {"application/json": {"schema": {
              "type": "object", "required": ["reason"],
              "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": approval.REASON_MAX}}}}}})
@require_token
def reject_process_draft(key: str, draft_id: int):
    user = _owner()
    draft = _get_draft(_model(key), draft_id)
    body = json_object()
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise validation_error({"reason": [_("Bitte geben Sie einen Grund für die Ablehnung an.")]})
    if len(reason) > approval.REASON_MAX:
        raise validation_error({"reason": [_("Höchstens %(n)s Zeichen.", n=approval.REASON_MAX)]})
    try:
        approval.reject(draft, user, reason)
    except services.NotAllowed as exc:
        raise ApiError(403, "forbidden", str(exc)) from exc
    except services.ModelerError as exc:
        raise ApiError(409, "conflict", str(exc)) from exc
    return jsonify(_draft_json(draft)), 200
