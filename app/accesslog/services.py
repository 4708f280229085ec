"""Writing the access log: one INSERT per read, in the request's own transaction.

The read and its log row commit together at the request edge (app/transaction.py): a page that
fails (4xx/5xx) showed nothing and logs nothing. ``record`` issues a single Core INSERT (no ORM
unit of work), so a logged page costs one statement more (``make bench`` measures it).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import has_request_context, request
from sqlalchemy import insert

from app import timeutil
from app.accesslog.models import CASE, LIST, VIEW, AccessLogEntry
from app.auth.access import COVER, data_level
from app.engine.models import ProcessInstance
from app.extensions import db


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
        at=timeutil.utcnow(), user_id=getattr(user, "id", None), username=getattr(user, "username", "") or "",
        role=",".join(getattr(user, "roles", []) or [])[:120], action=action, object_type=object_type,
        object_id=object_id, case_id=case_id, client_id=client_id, via=(via or current_via())[:200],
        substitution=substitution))


# --- who read whose data: the ids of one read ----------------------------------------------

#: Functions ``instance -> client id or None`` registered by the features that link cases to a
#: person (app/mbe): the log names the person without app.accesslog importing the feature.
_client_lookups: list[Callable[[ProcessInstance], int | None]] = []


def register_client_lookup(lookup: Callable[[ProcessInstance], int | None]) -> None:
    if lookup not in _client_lookups:
        _client_lookups.append(lookup)


def client_id_of(instance: ProcessInstance) -> int | None:
    for lookup in _client_lookups:
        found = lookup(instance)
        if found is not None:
            return found
    return None


def case_read(user, instance: ProcessInstance, *, action: str = VIEW, object_type: str = CASE,
              object_id: int | None = None, level: str | None = None) -> None:
    """Log one read of (a part of) ``instance``'s file: the case itself (``object_id`` defaults to
    the case's id) or one of its documents, journal, tasks. ``level`` is the reader's
    ``data_level`` if the view knows it already (COVER marks the row as a substitution)."""
    if level is None:
        level = data_level(user, instance)
    record(user, action, object_type, instance.id if object_id is None and object_type == CASE else object_id,
           case_id=instance.id, client_id=client_id_of(instance), substitution=level == COVER)


def list_read(user, object_type: str, *, case_id: int | None = None) -> None:
    """Log one list or search result page (one row for the whole list, no object id)."""
    record(user, LIST, object_type, None, case_id=case_id)
