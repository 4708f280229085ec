"""The access log is append-only in the database itself: no UPDATE, no DELETE gets through."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError

from app.accesslog.models import CASE, VIEW, AccessLogEntry
from app.accesslog.services import record
from app.auth.models import User
from app.extensions import db


def _one_row() -> AccessLogEntry:
    reader = db.session.scalar(select(User).where(User.username == "fb36"))
    record(reader, VIEW, CASE, 7, case_id=7, via="test")
    db.session.commit()
    return db.session.scalars(select(AccessLogEntry)).one()


def test_record_writes_who_what_and_how(ctx):
    row = _one_row()
    assert (row.username, row.action, row.object_type, row.object_id, row.case_id, row.via) == \
        ("fb36", "view", "case", 7, 7, "test")
    assert row.role == "fachkraft" and row.substitution is False and row.at is not None


@pytest.mark.parametrize("change", [
    lambda: update(AccessLogEntry).values(username="someone else"),
    lambda: delete(AccessLogEntry),
])
def test_rows_cannot_be_changed_or_deleted(ctx, change):
    _one_row()
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(change())
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(AccessLogEntry.username)) == "fb36"
    assert db.session.scalar(text("SELECT count(*) FROM access_log")) == 1
