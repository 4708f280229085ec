"""Writing the access log: one INSERT per read, in the request's own transaction.

The read and its log row commit together at the request edge (app/transaction.py): a page that
fails (4xx/5xx) showed nothing and logs nothing. ``record`` issues a single Core INSERT (no ORM
unit of work), so a logged page costs one statement more (``make bench`` measures it).
"""

from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy import insert

from app.accesslog.models import AccessLogEntry
from app.extensions import db
from app.timeutil import utcnow


def current_via() -> str:
    """The page or API call of the current request: the endpoint for pages, method and URL rule
    for the API (``GET /api/v1/process-instances/<int:instance_id>``); "cli" outside a request."""
    if not has_request_context():
        return "cli"
    if request.path.startswith("/api/"):
        rule = request.url_rule.rule if request.url_rule is not None else request.path
        return f"{request.method} {rule}"[:200]
    return (request.endpoint or request.path)[:200]


def record(user, action: str, object_type: str, object_id: int | None, *, case_id: int | None = None,
           client_id: int | None = None, substitution: bool = False, via: str | None = None) -> None:
    """Log that ``user`` read ``object_type`` ``object_id`` (``action``: view, download, export,
    list). ``case_id`` / ``client_id`` say whose data it was, so the log can be searched by case
    and by person. Only executes the INSERT; the edge commits."""
    db.session.execute(insert(AccessLogEntry).values(
        at=utcnow(), user_id=getattr(user, "id", None), username=getattr(user, "username", "") or "",
        role=",".join(getattr(user, "roles", []) or [])[:120], action=action, object_type=object_type,
        object_id=object_id, case_id=case_id, client_id=client_id, via=(via or current_via())[:200],
        substitution=substitution))
