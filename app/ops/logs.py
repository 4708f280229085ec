"""Structured logs and the request id.

Every request gets an id: the incoming ``X-Request-ID`` when it is a short token (letters,
digits, ``.-_:``, at most 64 characters; a proxy or load balancer usually sets it), otherwise a
new one. It is in ``g.request_id``, in the answer's ``X-Request-ID`` header and in every log
line written while the request runs. At the end of each request one line is logged (logger
``fallwerk.request``): method, the route pattern (never the query string or the concrete path,
which can carry search words or a calendar feed's secret), endpoint, status, duration in ms and
the user id.

``LOG_FORMAT=json`` writes JSON lines (time, level, logger, message, request_id and the request
fields when present) to stderr, for journald / a log shipper; ``text`` (default) a plain line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, has_request_context, request
from sqlalchemy import inspect

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
REQUEST_FIELDS = ("method", "path", "endpoint", "status", "duration_ms", "user_id")
request_log = logging.getLogger("fallwerk.request")
QUIET_ENDPOINTS = frozenset({"ops.healthz", "ops.readyz", "ops.metrics"})


def request_id_from(header: str | None) -> str:
    """The caller's id if it is a harmless short token, else a fresh one."""
    if header and _VALID_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` on every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        for field in REQUEST_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure_logging(log_format: str, level: str = "INFO", engine_level: str = "WARNING") -> logging.Handler:
    """One handler on the root logger (stderr), replacing the one an earlier call installed."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_fallwerk", False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._fallwerk = True  # type: ignore[attr-defined]
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(level.upper())
    # SpiffWorkflow logs every task state change at INFO ("State changed to READY"): several
    # lines per step that say nothing to an operator and cost CPU on the hot path. Its warnings
    # and errors still come through; SPIFF_LOG_LEVEL=INFO brings the rest back for debugging.
    logging.getLogger("spiff").setLevel(engine_level.upper())
    return handler


def configure_from_config(app: Flask) -> None:
    """Install the log handler of ``LOG_FORMAT`` (not under tests: pytest captures logs itself)."""
    if app.testing or app.config.get("LOG_FORMAT") not in ("json", "text"):
        return
    from flask.logging import default_handler

    app.logger.removeHandler(default_handler)  # the root handler below writes every line once
    configure_logging(app.config["LOG_FORMAT"], app.config.get("LOG_LEVEL", "INFO"),
                      app.config.get("SPIFF_LOG_LEVEL", "WARNING"))


def _user_id() -> int | None:
    """The signed-in user's id if this request already loaded it. No query: the log line is
    written after the commit, which expired the user object; its identity key is still known
    (reading ``is_authenticated`` or ``id`` would reload the row and its roles)."""
    user = g.get("api_user") or g.get("_login_user")
    state = inspect(user, raiseerr=False) if user is not None else None
    identity = state.identity if state is not None else None  # None: anonymous, or never saved
    return identity[0] if identity else None


def init_app(app: Flask) -> None:
    from app.ops import metrics

    @app.before_request
    def start_request() -> None:
        g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        g.request_started = time.perf_counter()

    @app.after_request
    def finish_request(response):
        request_id = g.get("request_id") or request_id_from(None)
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        if started is None:  # an earlier before_request answered
            return response
        seconds = time.perf_counter() - started
        endpoint = request.url_rule.endpoint if request.url_rule is not None else None
        metrics.observe_request(endpoint, request.method, response.status_code, seconds)
        route = request.url_rule.rule if request.url_rule is not None else None
        quiet = endpoint in QUIET_ENDPOINTS and response.status_code < 400  # probes every few seconds
        request_log.log(
            logging.DEBUG if quiet else logging.INFO, "%s %s %s", request.method, route or "-", response.status_code,
            extra={"request_id": request_id, "method": request.method, "path": route, "endpoint": endpoint,
                   "status": response.status_code, "duration_ms": round(seconds * 1000, 1),
                   "user_id": _user_id()})
        return response
