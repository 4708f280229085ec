"""The kernel of the JSON API v1 (contract: api-v1.md; document: GET /api/v1/openapi.json).

The endpoints live with their features (``app/<feature>/api.py``), each on a blueprint made by
``api_blueprint`` and registered by the app factory. This package only holds what they share:
token auth (``auth``), the error answer (``errors``), request helpers (``helpers``) and the
OpenAPI assembly (``openapi``). It imports no feature's views or services (only the token and
user rows of ``app.auth.models`` and the engine's exceptions); features import it
(tests/api/test_api_shape.py).
"""

from __future__ import annotations

from typing import Any

from app.api.errors import ApiError, api_error, register_error_handlers, validation_error
from app.api.helpers import int_arg, json_object
from app.api.openapi import PREFIX, ApiBlueprint, describe

__all__ = ["ApiError", "api_blueprint", "api_error", "describe", "int_arg", "json_object",
           "validation_error"]


def api_blueprint(name: str, import_name: str, schemas: dict[str, Any] | None = None) -> ApiBlueprint:
    """A feature's API blueprint: under /api/v1, without CSRF (bearer tokens, no cookies), with
    the JSON error answers; ``schemas`` are the OpenAPI component schemas its endpoints use.
    Each view checks the token itself (``@require_token``), as the login endpoint has none."""
    from app.extensions import csrf

    bp = ApiBlueprint(name, import_name, url_prefix=PREFIX)
    bp.schemas = dict(schemas or {})
    register_error_handlers(bp)
    csrf.exempt(bp)
    return bp
