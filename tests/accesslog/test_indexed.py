"""The log's searches run on its indexes (case_id+at, client_id+at, user_id+at, at): newest first
without sorting the table, whatever the log's size (SQLite's plan; PostgreSQL plans the same with
an incremental sort on the index order, see README "Access log")."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.accesslog import search
from app.extensions import db


@pytest.mark.parametrize("filters, index", [
    (search.Filters(), "ix_access_log_at"),
    (search.Filters(user_id=3), "ix_access_log_user_at"),
    (search.Filters(case_id=3), "ix_access_log_case_at"),
    (search.Filters(client_id=3), "ix_access_log_client_at"),
])
def test_search_uses_the_index_and_no_sort(ctx, filters, index):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plan is checked on SQLite")
    query = search.page_query(filters, limit=50)
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = " | ".join(str(row[-1]) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert index in plan, plan
    assert "TEMP B-TREE" not in plan, plan
