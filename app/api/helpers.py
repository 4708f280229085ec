"""Request helpers of the JSON API: the body as a JSON object, integer query arguments."""

from __future__ import annotations

from typing import overload

from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from app.api.errors import ApiError
from app.web.bounds import bounded_int


def json_object() -> dict:
    """The request body as a JSON object; 400 for malformed JSON or another JSON value."""
    if not request.get_data(cache=True):
        raise ApiError(400, "bad_request", _("Der Anfrage fehlt ein JSON-Objekt."))
    body = request.get_json(force=True, silent=True)
    if body is None:
        raise ApiError(400, "bad_request", _("Der Anfragetext ist kein gültiges JSON."))
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", _("Erwartet wird ein JSON-Objekt."))
    return body


@overload
def int_arg(name: str, default: int, *, maximum: int | None = None) -> int: ...
@overload
def int_arg(name: str, default: None = None, *, maximum: int | None = None) -> int | None: ...
def int_arg(name: str, default: int | None = None, *, maximum: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = bounded_int(raw)
    except ValueError:
        value = 0
    except NotFound:  # beyond the integer range of the database: no such page or id
        if maximum:
            return maximum
        raise ApiError(404, "not_found", _("Der Parameter „%(name)s“ ist zu groß; so etwas gibt es nicht.",
                                           name=name)) from None
    if value < 1:
        raise ApiError(400, "bad_request",
                       _("Der Parameter „%(name)s“ muss eine positive ganze Zahl sein.", name=name))
    return min(value, maximum) if maximum else value
