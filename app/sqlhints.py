"""Small, portable nudges for the query planner (SQLite and PostgreSQL alike)."""

from __future__ import annotations

from sqlalchemy import literal_column


def not_indexed(column):
    """``column + 0``: the same value, but no index on ``column`` is used to look it up.

    For ``task.instance_id + 0 IN (SELECT id FROM process_instance WHERE ...)``: SQLite would
    otherwise probe the task table once per matching case (100,000 probes for a supervisor of
    large teams) instead of one pass over a covering task index that checks each row against
    the id list. PostgreSQL hashes the id list either way.
    """
    return column + literal_column("0")
