"""Daily aggregate rows of completed steps, for the statistics' step durations.

One row per office day, owning team, process model, step and duration bucket: how many tasks
of that step were completed that day, the sum of their durations (creation to completion) and
the smallest and largest duration in the bucket. Written at each completion by the receiver of
``app.engine.signals.task_completed`` (app/statistics/aggregates.py) in the same transaction;
``flask statistics rebuild`` makes them anew from the task rows. No names, no case ids.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Float, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model


class StatTaskDay(Model):
    __tablename__ = "stat_task_day"
    __table_args__ = (
        UniqueConstraint("day", "team_id", "model_id", "bpmn_id", "bucket", "shard", name="uq_stat_task_day_day"),
        Index("ix_stat_task_day_team_day", "team_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)  # the office's day of the completion
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))  # the case's owner at completion
    model_id: Mapped[int] = mapped_column(ForeignKey("process_model.id"))
    bpmn_id: Mapped[str] = mapped_column(String(120))
    bucket: Mapped[int]  # app.statistics.aggregates.bucket_of(seconds)
    # Completions pick one of SHARDS rows at random, so that concurrent completions of the same
    # step rarely wait for each other's row lock until commit; readers sum over the shards.
    shard: Mapped[int] = mapped_column(SmallInteger, default=0)
    title: Mapped[str] = mapped_column(String(200))
    completed: Mapped[int]
    sum_seconds: Mapped[float] = mapped_column(Float)
    min_seconds: Mapped[float] = mapped_column(Float)
    max_seconds: Mapped[float] = mapped_column(Float)
