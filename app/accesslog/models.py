"""The append-only access log table.

Rows are never changed or deleted by the application: on both databases a trigger refuses
UPDATE and DELETE (created with the table, here for ``create_all`` and in the migration). The row
holds ids and names of the reader, never the personal data read, so it may outlive an erasure of
the case it names (an erased case keeps its id; its log stays the proof of who read it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, Boolean, Index, Integer, String, event
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model, db
from app.timeutil import utcnow

#: What was done with the object.
VIEW, DOWNLOAD, EXPORT, LIST = "view", "download", "export", "list"
#: What kind of object was read.
CASE, CLIENT, DOCUMENT, JOURNAL, TASK = "case", "client", "document", "journal", "task"
#: More kinds of objects: a printed plan (Integrationsvereinbarung), appointments with names (the
#: calendar feed), a volunteer's own data (expense statement export).
PLAN, APPOINTMENT, VOLUNTEER = "plan", "appointment", "volunteer"


class AccessLogEntry(Model):
    """One read of personal data. No foreign keys on purpose: the log is evidence and must stay
    readable after a user is renamed or a case is erased; ``username`` is kept as it was."""

    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_case_at", "case_id", "at"),
        Index("ix_access_log_client_at", "client_id", "at"),
        Index("ix_access_log_user_at", "user_id", "at"),
        Index("ix_access_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(80), default="")
    # The reader's roles at the time (sorted, comma-separated), e.g. "leitung,mbe".
    role: Mapped[str] = mapped_column(String(120), default="")
    action: Mapped[str] = mapped_column(String(20))
    object_type: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[int | None] = mapped_column(Integer)
    case_id: Mapped[int | None] = mapped_column(Integer)
    client_id: Mapped[int | None] = mapped_column(Integer)
    # The page (endpoint) or API call, e.g. "cases.view" or "GET /api/v1/process-instances/{id}".
    via: Mapped[str] = mapped_column(String(200), default="")
    # Read only because the reader stands in for an absent colleague.
    substitution: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())


# Append-only, enforced by the database (also against a bug or a hand-written UPDATE in the app).
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'access_log is append-only';
END;
$$ LANGUAGE plpgsql"""
PG_TRIGGER = ("CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log "
              "FOR EACH ROW EXECUTE FUNCTION access_log_append_only()")
SQLITE_TRIGGERS = (
    "CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log "
    "BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END",
    "CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log "
    "BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END",
)

_table = AccessLogEntry.__table__
event.listen(_table, "after_create", DDL(PG_FUNCTION).execute_if(dialect="postgresql"))
event.listen(_table, "after_create", DDL(PG_TRIGGER).execute_if(dialect="postgresql"))
for _sql in SQLITE_TRIGGERS:
    event.listen(_table, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
