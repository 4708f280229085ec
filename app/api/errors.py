"""The one shape of an API error: ``{"error": {"code", "message"[, "fields"]}}`` (api-v1.md).

``api_error`` builds the answer; a view raises ``ApiError`` (or one of the engine's exceptions)
and the handlers that ``register_error_handlers`` puts on every API blueprint answer it, after
a rollback, so a failed request saves nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response
from flask_babel import gettext as _

from app import transaction
from app.web.errors import json_error


class ApiError(Exception):
    """An error answer: HTTP status, machine code, German message, optional field errors."""

    def __init__(self, status: int, code: str, message: str,
                 fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields


def api_error(status: int, code: str, message: str, fields: dict[str, Any] | None = None,
              **extra: Any) -> Response:
    """The error answer; nothing of the request is saved. ``extra`` adds keys to ``error``
    (e.g. ``problems``)."""
    transaction.discard()
    return json_error(status, code, message, fields, **extra)


def validation_error(fields: dict[str, list[str]]) -> ApiError:
    """422 with the field errors (raise it)."""
    message = _("Die Eingaben sind nicht gültig. Bitte die markierten Felder prüfen.")
    return ApiError(422, "validation_failed", message, fields)


def _api_error(exc: ApiError) -> Response:
    return api_error(exc.status, exc.code, exc.message, exc.fields)


def register_error_handlers(bp: Blueprint) -> None:
    """The JSON answers of every API blueprint (registered by ``api_blueprint``)."""
    bp.register_error_handler(ApiError, _api_error)
    # The engine's errors (403 forbidden, 409 conflict, 422 engine_error) and lost write races
    # are answered once for the whole app by app/transaction.py, in this same JSON shape.
