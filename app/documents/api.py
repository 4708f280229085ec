"""API v1: a case's documents (list, multipart upload) and the download of one document.

The same form class (app/documents/forms.py) validates the upload as on the page; the same
service decides who may see and file what (app/documents/services.py).
"""

from __future__ import annotations

from flask import g, jsonify, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from app.accesslog import services as accesslog
from app.accesslog.models import DOCUMENT
from app.api import ApiError, api_blueprint, describe, validation_error
from app.api.auth import require_token
from app.api.openapi import errors, json_response, path_id, ref
from app.auth.access import get_visible_instance_or_404
from app.documents import services
from app.documents.download import document_response, log_download
from app.documents.forms import CASE_CATEGORIES, UploadForm, size_text
from app.documents.models import Document
from app.documents.routes import upload_limit
from app.documents.sniff import ALLOWED_TEXT, EXTENSIONS
from app.timeutil import iso
from app.web.bounds import body_limit
from forms import form_errors

TAG = "documents"
SCHEMAS = {
    "Document": {
        "type": "object",
        "required": ["id", "filename", "content_type", "size", "sha256", "category", "uploaded_by", "uploaded_at"],
        "properties": {
            "id": {"type": "integer"},
            "filename": {"type": "string", "description": "bereinigter Dateiname"},
            "content_type": {"type": "string", "enum": list(EXTENSIONS),
                             "description": "am Inhalt erkannter Typ"},
            "size": {"type": "integer", "description": "Bytes"},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "category": {"type": "string", "enum": [key for key, _label in CASE_CATEGORIES]},
            "note": {"type": "string"},
            "shared_with_volunteer": {"type": "boolean"},
            "uploaded_by": {"type": "string", "description": "Benutzername"},
            "uploaded_at": {"type": "string", "format": "date-time"},
        },
    },
}
UPLOAD_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file", "category"],
    "properties": {
        "file": {"type": "string", "format": "binary", "contentMediaType": "application/octet-stream",
                 "description": "Die Datei; der Typ wird am Inhalt geprüft. " + str(ALLOWED_TEXT)},
        "category": {"type": "string", "enum": [key for key, _label in CASE_CATEGORIES],
                     "x-labels": {key: str(label) for key, label in CASE_CATEGORIES}},
        "note": {"type": "string", "maxLength": 1000},
        "shared_with_volunteer": {"type": "boolean",
                                  "description": "für die ehrenamtliche Person des Falls sichtbar"},
    },
}}}}
INSTANCE_ID = path_id("id", "ID des Falls")
DOCUMENT_ID = path_id("id", "ID des Dokuments")
TOO_LARGE = {"413": json_response(ref("Error"), "Datei zu groß (DOCUMENT_MAX_BYTES)")}

bp = api_blueprint("documents_api", __name__, SCHEMAS)


def document_json(document: Document) -> dict:
    return {"id": document.id, "filename": document.filename, "content_type": document.content_type,
            "size": document.size, "sha256": document.sha256, "category": document.category,
            "note": document.note, "shared_with_volunteer": document.shared_with_volunteer,
            "uploaded_by": document.uploaded_by.username, "uploaded_at": iso(document.uploaded_at)}


@bp.get("/process-instances/<int:instance_id>/documents")
@describe("listDocuments", "Dokumente eines Falls (nur die für Sie sichtbaren)", tag=TAG, parameters=[INSTANCE_ID],
          responses={"200": json_response({"type": "array", "items": ref("Document")}, "OK"),
                     **errors("401", "404")})
@require_token
def list_documents(instance_id: int):
    instance, level = get_visible_instance_or_404(g.api_user, instance_id)
    accesslog.list_read(g.api_user, DOCUMENT, case_id=instance.id)
    return jsonify([document_json(d) for d in services.case_documents(instance, g.api_user, level)])


@bp.post("/process-instances/<int:instance_id>/documents")
@describe("uploadDocument", "Dokument zum Fall ablegen (multipart/form-data)", tag=TAG, parameters=[INSTANCE_ID],
          request_body=UPLOAD_BODY,
          responses={"201": json_response(ref("Document"), "Dokument abgelegt"),
                     **errors("401", "403", "404", "422"), **TOO_LARGE})
@body_limit(upload_limit)
@require_token
def upload_document(instance_id: int):
    user = g.api_user
    instance, level = get_visible_instance_or_404(user, instance_id)
    if not services.can_file_on_case(level):
        raise ApiError(403, "forbidden", _("Dokumente zum Fall legen nur die Fachkräfte des Falls ab."))
    too_large = ApiError(413, "too_large", size_text())
    if request.content_length is not None and request.content_length > upload_limit():
        raise too_large
    try:  # a chunked body stops being read at the limit (app/web/bounds.py)
        form = UploadForm(meta={"csrf": False})
        valid = form.validate()
    except RequestEntityTooLarge:
        raise too_large from None
    if form.too_large:
        raise too_large
    if not valid:
        raise validation_error(form_errors(form))
    assert form.sniffed is not None
    document = services.file_on_case(
        instance, user, content=form.content, sniffed=form.sniffed, filename=form.file.data.filename,
        category=form.category.data or "", note=form.note.data or "",
        shared_with_volunteer=bool(form.shared_with_volunteer.data))
    response = jsonify(document_json(document))
    response.headers["Location"] = url_for("documents_api.get_document", document_id=document.id)
    return response, 201


@bp.get("/documents/<int:document_id>")
@describe("getDocument", "Die Datei eines Dokuments (immer als Anhang, nosniff)", tag=TAG, parameters=[DOCUMENT_ID],
          responses={"200": {"description": "die Datei", "headers": {
              "Content-Disposition": {"schema": {"type": "string"}, "description": "attachment; filename*=…"},
              "X-Content-Type-Options": {"schema": {"type": "string", "enum": ["nosniff"]}}},
              "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in EXTENSIONS}},
              **errors("401", "404", "409")})
@require_token
def get_document(document_id: int):
    document, _may_delete = services.visible_document_or_404(g.api_user, document_id)
    try:
        content = services.content_of(document)
    except services.FileChanged:
        raise ApiError(409, "file_changed", services.changed_message()) from None
    log_download(g.api_user, document)
    return document_response(document, content)
