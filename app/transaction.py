"""The one transaction edge: every request, CLI command and worker item commits here, once.

Views and services only *flush*. The app factory wraps every view function of every blueprint
(``init_app``, after all blueprints are registered, so the error handlers still apply):

- the view raises → roll back, re-raise (the error handlers below answer);
- the view answers below 400 (a page, a redirect, 201/204) → commit; a commit that loses against
  a concurrent request is rolled back and becomes a ``ConflictError`` → 409;
- the view answers 400 or more (a form re-rendered with 422, a 401 of the API) → roll back,
  unless the view said ``keep()`` (a failed sign-in still counts towards the lockout).

A view that catches a refused change and still answers normally (flash and redirect) calls
``discard()`` first, so the half-done change is not committed with the answer.

The error mapping of the domain exceptions is registered here, once, for HTML and JSON alike:
``ForbiddenError`` → 403, ``ConflictError`` and lost write races → 409, ``EngineError`` → 422
(error page, or ``{"error": {"code": "engine_error"}}`` under ``/api/``).

CLI commands and background work use ``unit_of_work()``: commit when the block ends, roll back
if it raises.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from app.engine.service import ConflictError, EngineError, ForbiddenError, is_write_conflict, write_conflicts
from app.extensions import db

_KEEP = "_transaction_keep"


def commit() -> None:
    """Commit the session; a commit that loses against a concurrent one is rolled back and
    raised as ``ConflictError`` (HTTP 409)."""
    with write_conflicts():
        db.session.commit()


def discard() -> None:
    """Throw away what this request (or unit of work) wrote so far. For a view that catches a
    refused change and answers normally (flash, redirect, the form again): anything it writes
    afterwards is committed at the edge as usual."""
    db.session.rollback()


def keep() -> None:
    """Commit this request's writes even though its answer is an error (4xx): a failed sign-in
    must count towards the lockout although the answer is 401/429."""
    g.setdefault(_KEEP, True)


@contextmanager
def unit_of_work() -> Iterator[None]:
    """One unit of work outside a request (a CLI command, a loader step, a worker item):
    commit at the end of the block, roll back if it raises."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    commit()


def transactional(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``view`` as one unit of work (see the module docstring)."""

    @wraps(view)
    def edge(*args: Any, **kwargs: Any) -> Any:
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except BaseException:
            db.session.rollback()
            raise
        if response.status_code < 400 or g.get(_KEEP):
            commit()
        else:
            db.session.rollback()
        return response

    edge.__transaction_edge__ = True  # type: ignore[attr-defined]
    return edge


def _wrap_views(app: Flask) -> None:
    for endpoint, view in list(app.view_functions.items()):
        if endpoint == "static" or getattr(view, "__transaction_edge__", False):
            continue
        app.view_functions[endpoint] = transactional(view)


def _answer(status: int, code: str, message: str, title: str):
    db.session.rollback()
    if request.path.startswith("/api/"):
        return jsonify({"error": {"code": code, "message": message}}), status
    return render_template("error.html", code=status, title=title, text=message), status


def init_app(app: Flask) -> None:
    """Wrap every view registered so far (call after all blueprints) and map the domain errors."""
    _wrap_views(app)

    @app.errorhandler(ForbiddenError)
    def _forbidden(exc: ForbiddenError):
        return _answer(403, "forbidden", str(exc), _("Keine Berechtigung"))

    @app.errorhandler(ConflictError)
    def _conflict(exc: ConflictError):
        return _answer(409, "conflict", str(exc), _("Konflikt"))

    @app.errorhandler(EngineError)
    def _engine_error(exc: EngineError):
        return _answer(422, "engine_error", str(exc), _("Schritt nicht ausführbar"))

    @app.errorhandler(StaleDataError)
    @app.errorhandler(DBAPIError)
    def _lost_race(exc: Exception):
        """A write that lost against a concurrent request wherever it surfaced (e.g. an
        autoflush): 409, rolled back before the message is translated. Other database errors
        stay errors (500)."""
        if not is_write_conflict(exc):
            raise exc
        db.session.rollback()
        return _answer(409, "conflict", _("Der Fall wurde gleichzeitig von einer anderen Person geändert."),
                       _("Konflikt"))
