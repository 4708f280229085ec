"""Reading the access log back in tests."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accesslog.models import AccessLogEntry
from app.extensions import db

ROLES = ["fb36", "fb36fh", "fb31", "k201", "ehrenamt1", "ehrenamt2", "mbe1", "mbe2", "mbeleitung", "leitung",
         "prozess", "prozess2", "admin", "dsb"]


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AccessLogEntry)) or 0


def rows_after(app, last_id: int) -> list[AccessLogEntry]:
    """The rows written after row ``last_id`` (detached; read their columns)."""
    with app.app_context():
        rows = list(db.session.scalars(select(AccessLogEntry).where(AccessLogEntry.id > last_id)
                                       .order_by(AccessLogEntry.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def last_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(AccessLogEntry.id))) or 0


def read(app, request, last: int | None = None) -> tuple[int, list[AccessLogEntry]]:
    """Send ``request()`` (a callable returning a response); its status and the rows it wrote."""
    before = last_id(app) if last is None else last
    response = request()
    return response.status_code, rows_after(app, before)
