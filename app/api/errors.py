"""The one shape of an API error: ``{"error": {"code", "message"[, "fields"]}}`` (api-v1.md).

``api_error`` builds the answer; a view raises ``ApiError`` (or one of the engine's exceptions)
and the handlers that ``register_error_handlers`` puts on every API blueprint answer it, after
a rollback, so a failed request saves nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from app.engine import service
from app.extensions import db
from app.web.errors import json_error


class ApiError(Exception):
    """An error answer: HTTP status, machine code, German message, optional field errors."""

    def __init__(self, status: int, code: str, message: str,
                 fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields


def api_error(status: int, code: str, message: str, fields: dict[str, Any] | None = None,
              **extra: Any) -> Response:
    """The error answer, after a rollback. ``extra`` adds keys to ``error`` (e.g. ``problems``)."""
    db.session.rollback()
    return json_error(status, code, message, fields, **extra)


def validation_error(fields: dict[str, list[str]]) -> ApiError:
    """422 with the field errors (raise it)."""
    message = _("Die Eingaben sind nicht gültig. Bitte die markierten Felder prüfen.")
    return ApiError(422, "validation_failed", message, fields)


def _api_error(exc: ApiError) -> Response:
    return api_error(exc.status, exc.code, exc.message, exc.fields)


def _conflict(exc: service.ConflictError) -> Response:
    return api_error(409, "conflict", str(exc))


def _forbidden(exc: service.ForbiddenError) -> Response:
    return api_error(403, "forbidden", str(exc))


def _engine_error(exc: service.EngineError) -> Response:
    return api_error(422, "engine_error", str(exc))


def _lost_race(exc: Exception) -> Response:
    """A write that lost against a concurrent request wherever it surfaced (e.g. an autoflush):
    409, rolled back before the message is translated. Other database errors stay errors."""
    if not service.is_write_conflict(exc):
        raise exc
    db.session.rollback()
    return api_error(409, "conflict", _("Der Fall wurde gleichzeitig von einer anderen Person geändert."))


def register_error_handlers(bp: Blueprint) -> None:
    """The JSON answers of every API blueprint (registered by ``api_blueprint``)."""
    bp.register_error_handler(ApiError, _api_error)
    bp.register_error_handler(service.ConflictError, _conflict)
    bp.register_error_handler(service.ForbiddenError, _forbidden)
    bp.register_error_handler(service.EngineError, _engine_error)
    bp.register_error_handler(StaleDataError, _lost_race)
    bp.register_error_handler(DBAPIError, _lost_race)
