"""OpenAPI description of the process-owner endpoints (merged by app.api.openapi)."""

from __future__ import annotations

from typing import Any

P = "/api/v1/process-models"


def _errors(*codes: str) -> dict[str, Any]:
    return {code: {"$ref": f"#/components/responses/E{code}"} for code in codes}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _param(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}


KEY = _param("key", "Schlüssel des Verfahrens, z. B. alltagsbegleitung", {"type": "string"})
NUMBER = _param("n", "Versionsnummer", {"type": "integer", "minimum": 1})
DRAFT = _param("draft_id", "ID des Entwurfs", {"type": "integer", "minimum": 1})
VERSION = {"$ref": "#/components/schemas/ProcessVersionInfo"}
DRAFT_RESULT = {"$ref": "#/components/schemas/ProcessDraftResult"}
MODEL = {"type": "object", "required": ["key", "name", "versions"],
         "properties": {"key": {"type": "string"}, "name": {"type": "string"},
                        "versions": {"type": "array", "items": VERSION}}}
PUBLISHED = {"type": "object", "required": ["version"], "properties": {"version": {"type": ["integer", "null"]},
                                                                        "status": {"type": "string"}}}


def schemas() -> dict[str, Any]:
    problem = {"type": "object", "required": ["element_id", "message"],
               "properties": {"element_id": {"type": ["string", "null"]}, "message": {"type": "string"}}}
    return {
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
                           "problems": {"type": "array", "items": problem}},
        },
    }


def paths() -> dict[str, Any]:
    def op(op_id, summary, responses, **extra):
        return {"operationId": op_id, "summary": summary, "tags": ["process-models"],
                "responses": responses, **extra}

    refused = _json({"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message", "problems"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                       "problems": {"type": "array", "items": {"type": "object"}}}}}},
        "Das Modell hat Probleme (Liste in error.problems); nichts wurde veröffentlicht")
    return {
        P: {"get": op("listProcessModels", "Prozessmodelle mit ihren Versionen (Prozessverantwortliche)",
                      {"200": _json({"type": "array", "items": MODEL}, "OK"), **_errors("401", "403")})},
        P + "/{key}/versions": {"get": op(
            "listProcessVersions", "Versionen eines Prozessmodells",
            {"200": _json({"type": "array", "items": VERSION}, "OK"), **_errors("401", "403", "404")},
            parameters=[KEY])},
        P + "/{key}/versions/{n}/bpmn": {"get": op(
            "getProcessVersionBpmn", "BPMN-XML einer Version",
            {"200": {"description": "BPMN 2.0 XML", "content": {"application/xml": {"schema": {"type": "string"}}}},
             **_errors("401", "403", "404")}, parameters=[KEY, NUMBER])},
        P + "/{key}/drafts": {"post": op(
            "createProcessDraft", "Entwurf aus BPMN-XML anlegen; wird sofort geprüft",
            {"201": _json(DRAFT_RESULT, "Entwurf angelegt (valid=false: siehe problems)"),
             **_errors("400", "401", "403", "404"),
             "413": _json({"$ref": "#/components/schemas/Error"}, "Datei zu groß")},
            parameters=[KEY],
            requestBody={"required": True, "content": {"application/xml": {"schema": {"type": "string"}}}})},
        P + "/{key}/drafts/{draft_id}": {"get": op(
            "getProcessDraft", "Entwurf mit dem Ergebnis der letzten Prüfung",
            {"200": _json(DRAFT_RESULT, "OK"), **_errors("401", "403", "404")}, parameters=[KEY, DRAFT])},
        P + "/{key}/drafts/{draft_id}/publish": {"post": op(
            "publishProcessDraft", "Entwurf als neue Version veröffentlichen (bei Vier-Augen-Prinzip: vorlegen)",
            {"201": _json(PUBLISHED, "veröffentlicht"), "202": _json(PUBLISHED, "zur Freigabe vorgelegt"),
             "422": refused, **_errors("401", "403", "404", "409")},
            parameters=[KEY, DRAFT],
            requestBody={"required": False, "content": {"application/json": {"schema": {
                "type": "object", "properties": {"comment": {"type": "string", "maxLength": 500}}}}}})},
        P + "/{key}/drafts/{draft_id}/approve": {"post": op(
            "approveProcessDraft", "Vorgelegten Entwurf freigeben (zweite prozessverantwortliche Person)",
            {"201": _json(PUBLISHED, "veröffentlicht"), "422": refused, **_errors("401", "403", "404", "409")},
            parameters=[KEY, DRAFT])},
    }
