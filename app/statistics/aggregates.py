"""Step durations from daily aggregate rows (``stat_task_day``) instead of every task row.

Written at each completion (receiver of ``app.engine.signals.task_completed``, same
transaction, one upsert); ``flask statistics rebuild`` makes every row anew from the task rows
(after the migration, after a restore of old data, or when rows were changed behind the app).

Precision. Durations fall into fixed logarithmic buckets, 16 per doubling: bucket
``floor(16 * log2(1 + seconds))``, so a bucket spans about 4.4 % of its durations. Count, sum
(hence the mean), smallest and largest duration are kept per bucket, so count and mean are
exact. A median (or any rank) is exact when the value at that rank is the smallest or the
largest one of its bucket — always when at most two durations share the bucket, or all in it
are equal; otherwise it is interpolated between the bucket's smallest and largest value and
off by less than the bucket's width (< 4.4 % of the duration, plus one second).
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Table, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.engine import signals
from app.engine.models import BPMN_TASK, DONE, ProcessInstance, ProcessModel, ProcessVersion, Task
from app.engine.todos import TODO_BPMN_ID
from app.extensions import db
from app.statistics.models import StatTaskDay
from app.timeutil import aware

PER_DOUBLING = 16
SHARDS = 8  # rows per key that completions spread over (see StatTaskDay.shard)
BATCH = 5_000


def bucket_of(seconds: float) -> int:
    return int(PER_DOUBLING * math.log2(1.0 + max(seconds, 0.0)))


def office_day(moment: datetime) -> date:
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Berlin"))
    return aware(moment).astimezone(zone).date()


def _seconds(completed: datetime, created: datetime) -> float:
    return max((aware(completed) - aware(created)).total_seconds(), 0.0)


@signals.task_completed.connect
def record_completion(instance: ProcessInstance, task: Task, **_kwargs) -> None:
    """Add the completed ``task`` to its day's row (created if it is the first of its kind)."""
    if (task.status != DONE or task.completed_at is None or task.created_at is None
            or instance.owner_team_id is None or task.bpmn_id == TODO_BPMN_ID):
        return
    seconds = _seconds(task.completed_at, task.created_at)
    key = {"day": office_day(task.completed_at), "team_id": instance.owner_team_id,
           "model_id": instance.version.model_id, "bpmn_id": task.bpmn_id, "bucket": bucket_of(seconds),
           "shard": random.randrange(SHARDS)}  # noqa: S311 - spreads lock contention, no secret
    table = cast(Table, StatTaskDay.__table__)
    row = {**key, "title": task.title, "completed": 1, "sum_seconds": seconds,
           "min_seconds": seconds, "max_seconds": seconds}
    statement: Any
    if db.engine.dialect.name == "postgresql":
        statement = postgresql.insert(table).values(**row)
        least, greatest = func.least, func.greatest
    else:
        statement = sqlite.insert(table).values(**row)
        least, greatest = func.min, func.max  # type: ignore[assignment]  # SQLite: scalar with two arguments
    excluded = statement.excluded
    db.session.execute(statement.on_conflict_do_update(
        index_elements=[table.c.day, table.c.team_id, table.c.model_id, table.c.bpmn_id, table.c.bucket,
                        table.c.shard],
        set_={"completed": table.c.completed + 1, "sum_seconds": table.c.sum_seconds + excluded.sum_seconds,
              "min_seconds": least(table.c.min_seconds, excluded.min_seconds),
              "max_seconds": greatest(table.c.max_seconds, excluded.max_seconds),
              "title": greatest(table.c.title, excluded.title)}))


def resync_task_case_columns() -> int:
    """Set every task row's copies of its case's owner team and model from the case again (rows
    written behind the app, e.g. restored or inserted by SQL, may lack them). Returns how many rows
    were wrong."""
    team = (select(ProcessInstance.owner_team_id).where(ProcessInstance.id == Task.instance_id)
            .scalar_subquery())
    model = (select(ProcessVersion.model_id).join(ProcessInstance, ProcessInstance.version_id == ProcessVersion.id)
             .where(ProcessInstance.id == Task.instance_id).scalar_subquery())
    wrong = or_(Task.owner_team_id.is_distinct_from(team), Task.model_id.is_distinct_from(model))
    result = db.session.execute(update(Task).where(wrong).values(owner_team_id=team, model_id=model)
                                .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def rebuild() -> int:
    """Delete every aggregate row and make them anew from the completed task rows (flushes;
    the caller commits). Returns the number of task rows counted."""
    rows: dict[tuple, list] = {}
    query = (select(Task.created_at, Task.completed_at, Task.bpmn_id, Task.title, ProcessInstance.owner_team_id,
                    ProcessVersion.model_id)
             .join(ProcessInstance, Task.instance_id == ProcessInstance.id)
             .join(ProcessVersion, ProcessInstance.version_id == ProcessVersion.id)
             .where(Task.status == DONE, Task.kind == BPMN_TASK, Task.bpmn_id != TODO_BPMN_ID,
                    Task.completed_at.is_not(None), ProcessInstance.owner_team_id.is_not(None))
             .execution_options(yield_per=BATCH))
    counted = 0
    days: dict[datetime, date] = {}
    for created, completed, bpmn_id, title, team_id, model_id in db.session.execute(query):
        assert completed is not None  # selected so
        seconds = _seconds(completed, created)
        day = days.get(completed)
        if day is None:
            day = days[completed] = office_day(completed)
        key = (day, team_id, model_id, bpmn_id, bucket_of(seconds))
        row = rows.get(key)
        if row is None:
            rows[key] = [title, 1, seconds, seconds, seconds]
        else:
            row[0] = max(row[0], title)
            row[1] += 1
            row[2] += seconds
            row[3] = min(row[3], seconds)
            row[4] = max(row[4], seconds)
        counted += 1
    db.session.execute(delete(StatTaskDay))
    values = [{"day": k[0], "team_id": k[1], "model_id": k[2], "bpmn_id": k[3], "bucket": k[4], "shard": 0,
               "title": v[0],
               "completed": v[1], "sum_seconds": v[2], "min_seconds": v[3], "max_seconds": v[4]}
              for k, v in rows.items()]
    for i in range(0, len(values), BATCH):
        db.session.execute(insert(cast(Table, StatTaskDay.__table__)), values[i:i + BATCH])
    db.session.flush()
    return counted


# --- reading -------------------------------------------------------------------------------


class Buckets:
    """The merged buckets of one step: (bucket, count, sum, min, max) in bucket order."""

    def __init__(self) -> None:
        self.parts: dict[int, list[float]] = {}
        self.title = ""

    def add(self, bucket: int, count: int, total: float, low: float, high: float) -> None:
        part = self.parts.get(bucket)
        if part is None:
            self.parts[bucket] = [count, total, low, high]
        else:
            part[0] += count
            part[1] += total
            part[2] = min(part[2], low)
            part[3] = max(part[3], high)

    @property
    def count(self) -> int:
        return int(sum(p[0] for p in self.parts.values()))

    @property
    def mean(self) -> float:
        count = self.count
        return math.fsum(p[1] for p in self.parts.values()) / count if count else 0.0

    def at_rank(self, rank: int) -> float:
        """The value at ``rank`` (1 = smallest): exact at a bucket's first or last rank."""
        seen = 0
        for bucket in sorted(self.parts):
            count, _total, low, high = self.parts[bucket]
            count = int(count)
            if rank <= seen + count:
                position = rank - seen  # 1 … count within the bucket
                if position == 1 or low == high:
                    return low
                if position == count:
                    return high
                return low + (high - low) * (position - 1) / (count - 1)
            seen += count
        raise ValueError(rank)

    @property
    def median(self) -> float:
        count = self.count
        if count == 0:
            return 0.0
        if count % 2:
            return self.at_rank(count // 2 + 1)
        return (self.at_rank(count // 2) + self.at_rank(count // 2 + 1)) / 2


def step_buckets(team_ids: list[int], date_from: date, date_to: date,
                 steps: Iterable[str] | None = None) -> dict[tuple[str, str], Buckets]:
    """(model key, step) -> merged buckets of the steps completed in the period by cases the
    teams owned then; confidential process models never count (see app/statistics/services.py)."""
    s = StatTaskDay
    query = (select(ProcessModel.key, s.bpmn_id, s.bucket, func.max(s.title), func.sum(s.completed),
                    func.sum(s.sum_seconds), func.min(s.min_seconds), func.max(s.max_seconds))
             .join(ProcessModel, s.model_id == ProcessModel.id)
             .where(s.team_id.in_(team_ids or [-1]), s.day >= date_from, s.day <= date_to,
                    ProcessModel.confidential.is_(False))
             .group_by(ProcessModel.key, s.bpmn_id, s.bucket))
    if steps is not None:
        query = query.where(s.bpmn_id.in_(list(steps)))
    result: dict[tuple[str, str], Buckets] = defaultdict(Buckets)
    for key, step, bucket, title, count, total, low, high in db.session.execute(query):
        group = result[(key, step)]
        group.title = max(group.title, title)
        group.add(bucket, int(count), float(total), float(low), float(high))
    return dict(result)
