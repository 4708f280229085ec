"""Bounded input: what a request may bring before any view sees it.

Why one module and not a check in each view: a 300 MB body, JSON nested 100,000 levels deep, an
id beyond the database's integer range or a NUL character reached views that could not know
about them, and each ended in a 500 (or a worker grown to 700 MB) instead of a clear answer.
Here every request gets the same limits:

- **Body size**: ``MAX_CONTENT_LENGTH`` for every request, ``MAX_JSON_BYTES`` for JSON bodies
  (and every API request that is not a multipart upload), a view's own limit set with
  :func:`body_limit`. Werkzeug enforces them while reading, so a chunked body without
  ``Content-Length`` is cut off at the limit too (413), not read whole first.
- **JSON**: at most ``MAX_JSON_DEPTH`` levels (400), no ``NaN``/``Infinity`` nor numbers beyond
  a float, no NUL or lone surrogate in any key or string (422 with the place as field).
- **Integers**: ``<int:...>`` in every URL and ``args.get(..., type=int)`` accept 0…2**31-1
  (PostgreSQL's ``integer``); beyond, the thing cannot exist: 404.
- **NUL** in the query string (422), a header (400) or a path segment (404).
- A last net under everything: a text parameter with NUL or a lone surrogate that reaches SQL
  is answered with 422 instead of a driver error (SQLite and PostgreSQL fail differently).

Form fields are checked by their form (``forms.base.AppForm``), so the message sits next to the
field; this module catches what no form sees.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import IO, Any, cast

from flask import Flask, Request, current_app, render_template, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from sqlalchemy import event
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    NotFound,
    RequestEntityTooLarge,
    UnprocessableEntity,
)
from werkzeug.routing import IntegerConverter, ValidationError
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream

from forms.base import MAX_INT, UNSAFE_CHARS, UNSAFE_TEXT_MESSAGE, has_unsafe_chars

JSON_TYPES_EXEMPT = frozenset({"multipart/form-data"})


# --- errors ----------------------------------------------------------------------------------

class UnusableInput(UnprocessableEntity):
    """422: input no database can store (NUL, lone surrogate) or no rule can use (NaN)."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.fields = fields


class JsonTooDeep(BadRequest):
    """400: a JSON body nested deeper than ``MAX_JSON_DEPTH``."""


def _answer(exc: HTTPException):
    """JSON error (api-v1.md) under /api/, the error page elsewhere; nothing is saved."""
    from app import transaction
    from app.web import ERROR_CODES, ERROR_TEXT

    transaction.discard()
    code = exc.code or 400
    message = str(exc.description)
    if request.path.startswith("/api/"):
        from app.web.errors import json_error

        fields = None
        if code == 422:  # api-v1.md: field errors; "_" is the whole input (as in forms/jsonio.py)
            fields = getattr(exc, "fields", None) or {"_": [message]}
        return json_error(code, ERROR_CODES.get(code, str(code)), message, fields)
    title = ERROR_TEXT[400][0] if code == 400 else _("Ungültige Eingabe")
    return render_template("error.html", code=code, title=title,
                           text=f"{message} {_('Es wurde nichts gespeichert.')}"), code


def too_large_text() -> str:
    """The German 413 message, with the limit that applied to this request."""
    limit = request.max_content_length
    if not limit:
        return _("Die Anfrage ist zu groß. Es wurde nichts gespeichert.")
    return _("Die Anfrage ist zu groß (höchstens %(kb)s KB). Es wurde nichts gespeichert.",
             kb=max(limit // 1024, 1))


# --- integers --------------------------------------------------------------------------------

class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` that matches only 0…2**31-1: a larger id cannot exist, so the URL is a 404."""

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = MAX_INT, signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> Any:
        if len(value) > len(str(MAX_INT)) + 1:  # never convert thousands of digits
            raise ValidationError()
        return super().to_python(value)


def bounded_int(raw: str) -> int:
    """``int(raw)`` within 2**31-1 either way; 404 beyond (no such page or id); ValueError if
    ``raw`` is no integer at all. Thousands of digits are never converted."""
    text = raw.strip()
    digits = text.lstrip("+-")
    if digits.isdecimal() and len(digits) > len(str(MAX_INT)):
        raise NotFound()
    value = int(text)
    if not -MAX_INT - 1 <= value <= MAX_INT:
        raise NotFound()
    return value


class BoundedArgs(ImmutableMultiDict):
    """Query and form arguments whose ``get(..., type=int)`` uses :func:`bounded_int`.

    A value that is no integer at all still gives the default, as werkzeug does.
    """

    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:  # type: ignore[override]  # noqa: A002 - one signature for werkzeug's overloads
        return super().get(key, default, bounded_int if type is int else type)


# --- JSON ------------------------------------------------------------------------------------

def _max_depth() -> int:
    return int(current_app.config["MAX_JSON_DEPTH"]) if current_app else 32


def _reject_constant(name: str) -> float:
    raise UnusableInput(_("Zahlen wie „%(name)s“ sind nicht erlaubt; bitte eine endliche Zahl angeben.",
                          name=name))


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise UnusableInput(_("Die Zahl %(text)s ist zu groß.", text=text[:40]))
    return value


def shown(name: str) -> str:
    """A field name fit for a JSON answer: NUL and lone surrogates written as ``\\uXXXX``."""
    return UNSAFE_CHARS.sub(lambda m: f"\\u{ord(m.group()):04x}", name)


def _path(parts: tuple[Any, ...]) -> str:
    return shown(".".join(str(p) for p in parts)) or "_"


def _check_json(value: Any) -> None:
    """Depth and characters of a parsed body, without recursion (the body decides the depth)."""
    limit = _max_depth()
    bad: dict[str, list[str]] = {}
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack:
        item, where = stack.pop()
        if len(where) > limit:
            raise JsonTooDeep(_("Der Anfragetext ist zu tief verschachtelt (höchstens %(n)s Ebenen).",
                                n=limit))
        if isinstance(item, str):
            if has_unsafe_chars(item):
                bad[_path(where)] = [str(UNSAFE_TEXT_MESSAGE)]
        elif isinstance(item, dict):
            for key, sub in item.items():
                if has_unsafe_chars(key):
                    bad[_path((*where, key))] = [str(UNSAFE_TEXT_MESSAGE)]
                stack.append((sub, (*where, key)))
        elif isinstance(item, list):
            stack.extend((sub, (*where, index)) for index, sub in enumerate(item))
    if bad:
        raise UnusableInput(_("Die Eingaben sind nicht gültig. Bitte die markierten Felder prüfen."), bad)


class StrictJson:
    """JSON of request bodies: bounded depth, finite numbers, storable text.

    Its errors are HTTP errors, not ``ValueError``: ``get_json(silent=True)`` does not swallow
    them, so the client learns what was wrong instead of "not valid JSON".
    """

    @staticmethod
    def loads(data: str | bytes, **kwargs: Any) -> Any:
        try:
            value = json.loads(data, parse_constant=_reject_constant, parse_float=_finite_float, **kwargs)
        except RecursionError:
            raise JsonTooDeep(_("Der Anfragetext ist zu tief verschachtelt (höchstens %(n)s Ebenen).",
                                n=_max_depth())) from None
        _check_json(value)
        return value



class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON with :class:`StrictJson` for reading: request bodies are parsed here."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return StrictJson.loads(s, **kwargs)


# --- request ---------------------------------------------------------------------------------

def body_limit(limit: Callable[[], int]) -> Callable:
    """Decorator: this view reads at most ``limit()`` bytes of body (413 beyond, chunked too).

    Put it right under the route decorator; it applies before any body is read (also by the
    CSRF check), unlike a check inside the view.
    """

    def decorate(view: Callable) -> Callable:
        view.max_body_bytes = limit  # type: ignore[attr-defined]
        return view

    return decorate


class CappedStream(LimitedStream):
    """A body the server ends itself (chunked), read up to ``limit`` bytes: more is a 413.

    werkzeug's own stream stops quietly at the limit when read whole (``get_data``, an
    urlencoded form), which cut a chunked body short without a word.
    """

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        super().__init__(stream, limit, is_max=True)
        self._raw = stream

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted and self._raw.read(1):
            raise RequestEntityTooLarge()
        return data


class BoundedRequest(Request):
    """Flask's request with the limits of this module."""

    parameter_storage_class = BoundedArgs

    @cached_property
    def stream(self) -> IO[bytes]:
        limit = self.max_content_length
        if self.shallow or limit is None or "wsgi.input_terminated" not in self.environ:
            return super().stream
        if self.content_length is not None and self.content_length > limit:
            raise RequestEntityTooLarge()
        return cast(IO[bytes], CappedStream(self.environ["wsgi.input"], limit))  # an IOBase, as werkzeug casts its own

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is not None:
            return self._max_content_length
        if not current_app:
            return None
        view = current_app.view_functions.get(self.endpoint or "")
        own = getattr(view, "max_body_bytes", None)
        if own is not None:
            return int(own())
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        if self.is_json or (self.path.startswith("/api/") and self.mimetype not in JSON_TYPES_EXEMPT):
            json_limit = current_app.config["MAX_JSON_BYTES"]
            limit = json_limit if limit is None else min(limit, json_limit)
        return limit

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def _refuse_unusable_request() -> None:
    """NUL in a header (400), a path segment (404) or the query string (422)."""
    if any("\x00" in value for _name, value in request.headers.items()):
        raise BadRequest(_("Die Anfrage enthält unzulässige Zeichen in einem Header."))
    if any(isinstance(v, str) and has_unsafe_chars(v) for v in (request.view_args or {}).values()):
        raise NotFound()
    bad = sorted({key for key, value in request.args.items(multi=True)
                  if has_unsafe_chars(key) or has_unsafe_chars(value)})
    if bad:
        raise UnusableInput(str(UNSAFE_TEXT_MESSAGE), {shown(name): [str(UNSAFE_TEXT_MESSAGE)] for name in bad})


# --- the last net: SQL parameters --------------------------------------------------------------

_CONTAINERS = (list, tuple, dict)


def _has_unsafe_text(params: Any) -> bool:
    """Any text in ``params`` (a dict, a sequence, or sequences of them) with NUL or a surrogate.

    Runs for every statement: plain type checks, no regex for ASCII text (see has_unsafe_chars).
    """
    for value in params.values() if type(params) is dict else params:
        kind = type(value)
        if kind is str:
            if has_unsafe_chars(value):
                return True
        elif kind in _CONTAINERS and _has_unsafe_text(value):
            return True
    return False


def _check_parameters(_conn, _cursor, _statement, parameters, _context, _executemany) -> None:
    if parameters and _has_unsafe_text(parameters):
        raise UnusableInput(str(UNSAFE_TEXT_MESSAGE))


def init_app(app: Flask) -> None:
    """Install the limits; call before any blueprint is registered (the int converter)."""
    app.request_class = BoundedRequest
    app.json = StrictJSONProvider(app)
    app.url_map.converters["int"] = BoundedIntConverter
    app.register_error_handler(UnusableInput, _answer)
    app.register_error_handler(JsonTooDeep, _answer)
    app.before_request(_refuse_unusable_request)
    from app.extensions import db

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", _check_parameters)
