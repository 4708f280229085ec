"""OpenAPI description of the volunteer endpoints (app/volunteers/api.py; merged by app.api.openapi)."""

from __future__ import annotations

from typing import Any

P = "/api/v1/process-instances/{instance_id}"


def _errors(*codes: str) -> dict[str, Any]:
    return {code: {"$ref": f"#/components/responses/E{code}"} for code in codes}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ID = {"name": "instance_id", "in": "path", "required": True, "description": "ID des Falls",
      "schema": {"type": "integer", "minimum": 1}}
DECIMAL = {"type": "string", "pattern": r"^\d+(\.\d+)?$", "description": "Dezimalzahl als Text"}


def schemas() -> dict[str, Any]:
    return {
        "CaseMessage": {
            "type": "object", "required": ["id", "author", "author_name", "text", "created_at"],
            "properties": {"id": {"type": "integer"}, "author": {"type": "string"},
                           "author_name": {"type": "string"}, "text": {"type": "string"},
                           "created_at": {"type": "string", "format": "date-time"}},
        },
        "ExpenseEntry": {
            "type": "object",
            "required": ["id", "process_instance_id", "datum", "stunden", "kilometer", "auslagen", "notiz", "betrag",
                         "status", "kommentar"],
            "properties": {"id": {"type": "integer"}, "process_instance_id": {"type": "integer"},
                           "datum": {"type": "string", "format": "date"}, "stunden": DECIMAL,
                           "kilometer": DECIMAL, "auslagen": DECIMAL, "betrag": DECIMAL,
                           "notiz": {"type": "string"},
                           "status": {"type": "string", "enum": ["eingereicht", "genehmigt", "zurueckgegeben"]},
                           "kommentar": {"type": "string", "description": "Begründung einer Rückgabe"}},
        },
    }


def paths() -> dict[str, Any]:
    def op(op_id, summary, responses, **extra):
        return {"operationId": op_id, "summary": summary, "tags": ["volunteers"], "parameters": [ID],
                "responses": responses, **extra}

    def body(schema):
        return {"required": True, "content": {"application/json": {"schema": schema}}}

    message = {"$ref": "#/components/schemas/CaseMessage"}
    expense = {"$ref": "#/components/schemas/ExpenseEntry"}
    number = {"type": ["number", "string"]}
    return {
        f"{P}/messages": {
            "get": op("listCaseMessages", "Fragenverlauf des Einsatzes (Ehrenamt, 201, fallführendes Team)", {
                "200": _json({"type": "object", "required": ["items", "may_write"],
                              "properties": {"items": {"type": "array", "items": message},
                                             "may_write": {"type": "boolean"}}}, "Nachrichten, älteste zuerst"),
                **_errors("401", "404")}),
            "post": op("postCaseMessage", "Frage / Antwort schreiben (Ehrenamtliche des Falls und 201)", {
                "201": _json(message, "Die Nachricht; die andere Seite wird benachrichtigt"),
                **_errors("400", "401", "403", "404", "422")},
                requestBody=body({"type": "object", "required": ["text"],
                                  "properties": {"text": {"type": "string", "maxLength": 4000}}})),
        },
        f"{P}/expenses": {
            "get": op("listExpenses", "Eigene Aufwandseinträge zum Einsatz (nur die Ehrenamtliche des Falls)", {
                "200": _json({"type": "object", "required": ["items"],
                              "properties": {"items": {"type": "array", "items": expense}}}, "Einträge"),
                **_errors("401", "403", "404")}),
            "post": op("addExpense", "Aufwand einreichen (Datum, Stunden, km, Auslagen, Notiz)", {
                "201": _json(expense, "Der eingereichte Eintrag mit berechnetem Betrag"),
                **_errors("400", "401", "403", "404", "422")},
                requestBody=body({"type": "object", "required": ["datum", "stunden"], "properties": {
                    "datum": {"type": "string", "format": "date"}, "stunden": number, "kilometer": number,
                    "auslagen": number, "notiz": {"type": "string", "maxLength": 500}}})),
        },
    }
