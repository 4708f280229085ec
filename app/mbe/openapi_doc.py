"""OpenAPI description of the MBE endpoints (app/mbe/api.py; merged by app.api.openapi)."""

from __future__ import annotations

from typing import Any

COUNT = {"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "enum": ["< 3"]}],
         "description": "Anzahl; 1 und 2 werden als \"< 3\" ausgegeben"}


def _errors(*codes: str) -> dict[str, Any]:
    return {code: {"$ref": f"#/components/responses/E{code}"} for code in codes}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def schemas() -> dict[str, Any]:
    return {
        "MbeHandover": {
            "type": "object", "required": ["an", "grund"],
            "properties": {"an": {"type": "string", "description": "Benutzername der neuen Beratung"},
                           "grund": {"type": "string", "description": "Grund der Übergabe (Pflicht)"}},
        },
        "MbeStatistics": {
            "type": "object", "required": ["from", "to", "cases", "tables", "goals"],
            "properties": {
                "from": {"type": "string", "format": "date"},
                "to": {"type": "string", "format": "date"},
                "cases": COUNT,
                "tables": {"type": "object", "additionalProperties": {
                    "type": "array", "items": {"type": "object", "required": ["label", "count"],
                                               "properties": {"label": {"type": "string"}, "count": COUNT}}}},
                "goals": {"type": "array", "items": {"type": "object", "required": ["area"],
                                                     "properties": {"area": {"type": "string"}},
                                                     "additionalProperties": COUNT}},
            },
        },
    }


def paths() -> dict[str, Any]:
    return {
        "/api/v1/process-instances/{instance_id}/handover": {"post": {
            "operationId": "handOverMbeCase", "tags": ["MBE"],
            "summary": "MBE-Fall an eine andere Beratung übergeben (zuständige Beratung oder Leitung)",
            "parameters": [{"name": "instance_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 1}}],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/MbeHandover"}}}},
            "responses": {"200": _json({"type": "object"}, "Fall übergeben; offene Aufgaben verschoben"),
                          **_errors("400", "401", "403", "404", "409", "422")},
        }},
        "/api/v1/mbe/statistics": {"get": {
            "operationId": "mbeStatistics", "tags": ["MBE"],
            "summary": "Anonyme MBE-Statistik eines Zeitraums (nur Leitung der MBE)",
            "parameters": [
                {"name": "von", "in": "query", "schema": {"type": "string", "format": "date"}},
                {"name": "bis", "in": "query", "schema": {"type": "string", "format": "date"}},
            ],
            "responses": {"200": _json({"$ref": "#/components/schemas/MbeStatistics"}, "Kennzahlen"),
                          **_errors("401", "403", "422")},
        }},
    }
