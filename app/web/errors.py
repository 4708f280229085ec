"""The one JSON error shape of api-v1.md: ``{"error": {"code", "message"[, "fields"]}}``.

It lives in the web kernel because three places answer API requests with it: the API kernel
(``app.api.errors.api_error``), the HTTP error pages (``app.web``) and the input bounds
(``app.web.bounds``), and the lower two must not import the API kernel above them.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify


def json_error(status: int, code: str, message: str, fields: dict[str, Any] | None = None,
               **extra: Any) -> Response:
    """The error answer; ``extra`` adds keys to ``error`` (e.g. ``problems``). Saves nothing itself:
    callers roll back first."""
    error: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    error.update(extra)
    response = jsonify({"error": error})
    response.status_code = status
    return response
