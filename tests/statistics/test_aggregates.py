"""Daily aggregate rows of step durations: written at completion, rebuilt from the task rows,
and the figures they give equal the exact ones (counts, means; medians at these sizes)."""

from __future__ import annotations

import random
import statistics

import pytest
from sqlalchemy import select

from app.auth.models import Team, User
from app.engine import service
from app.engine.models import ProcessModel, Task
from app.extensions import db
from app.statistics import aggregates
from app.statistics.models import StatTaskDay
from app.statistics.services import compute, resolve_scope
from app.timeutil import aware
from tests.flows import valid_data


def _rows() -> list[tuple]:
    s = StatTaskDay
    return sorted((r.day, r.team_id, r.model_id, r.bpmn_id, r.bucket, r.title, r.completed, round(r.sum_seconds, 3),
                   round(r.min_seconds, 3), round(r.max_seconds, 3))
                  for r in db.session.execute(select(s.day, s.team_id, s.model_id, s.bpmn_id, s.bucket, s.title,
                                                     s.completed, s.sum_seconds, s.min_seconds, s.max_seconds)))


def _start_and_complete(hours: float, clock) -> Task:
    model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == "alltagsbegleitung"))
    fb36 = db.session.scalar(select(User).where(User.username == "fb36"))
    case = service.start_instance(model, fb36, db.session.scalar(select(Team).where(Team.key == "asd")))
    task = db.session.scalar(select(Task).where(Task.instance_id == case.id, Task.bpmn_id == "bedarfsermittlung"))
    clock.advance(hours=hours)
    service.complete_task(task, fb36, valid_data("bedarfsermittlung"))
    db.session.flush()
    return task


def test_each_completion_is_added_to_its_days_row_in_the_same_transaction(app, clock):
    with app.test_request_context():
        first = _start_and_complete(3, clock)
        seconds = (aware(first.completed_at) - aware(first.created_at)).total_seconds()
        assert seconds > 0
        (row,) = db.session.scalars(select(StatTaskDay).where(StatTaskDay.bpmn_id == "bedarfsermittlung"))
        assert 0 <= row.shard < aggregates.SHARDS
        assert (row.completed, row.team_id, row.day) == (1, first.instance.owner_team_id,
                                                        aggregates.office_day(first.completed_at))
        assert row.bucket == aggregates.bucket_of(seconds)
        assert row.sum_seconds == pytest.approx(seconds) and row.min_seconds == row.max_seconds
        second = _start_and_complete(3, clock)  # same day and duration: the same row (or another shard)
        rows = db.session.execute(select(StatTaskDay.completed, StatTaskDay.sum_seconds)
                                  .where(StatTaskDay.bpmn_id == "bedarfsermittlung")).all()  # plain values, no cache
        total = seconds + (aware(second.completed_at) - aware(second.created_at)).total_seconds()
        assert sum(r[0] for r in rows) == 2 and sum(r[1] for r in rows) == pytest.approx(total)
        db.session.rollback()  # undone with the completion
        assert _rows() == []


def _merged() -> dict:
    """Rows summed over the shards: (day, team, model, step, bucket) -> (title, count, sum, min, max)."""
    merged: dict = {}
    for day, team, model, step, bucket, title, count, total, low, high in _rows():
        old = merged.get((day, team, model, step, bucket))
        merged[(day, team, model, step, bucket)] = (title, count, total, low, high) if old is None else (
            max(old[0], title), old[1] + count, round(old[2] + total, 3), min(old[3], low), max(old[4], high))
    return merged


def test_rebuild_makes_the_same_rows_as_the_completions(app, clock):
    with app.test_request_context():
        for hours in (1, 2, 2, 30):
            _start_and_complete(hours, clock)
        written = _merged()
        assert sum(v[1] for v in written.values()) >= 4
        assert aggregates.rebuild() == sum(v[1] for v in written.values())
        assert _merged() == written


def test_flask_statistics_rebuild_command(app, clock):
    with app.test_request_context():
        _start_and_complete(5, clock)
        db.session.commit()
        db.session.execute(StatTaskDay.__table__.delete())
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["statistics", "rebuild"])
    assert result.exit_code == 0 and "completed tasks counted: 1" in result.output
    with app.app_context():
        assert [r[6] for r in _rows()] == [1]


def _figures(app, ds) -> dict:
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.username == "leitung"))
        return compute(resolve_scope(user, ds.date_from.isoformat(), ds.date_to.isoformat(), None))


def test_figures_from_the_aggregates_equal_the_exact_ones(app, dataset):
    exact = _figures(app, dataset)  # few completions: computed from the task rows
    with app.app_context():
        aggregates.rebuild()  # the fixture set the durations behind the app's back
        db.session.commit()
    app.config["STATISTICS_EXACT_UP_TO"] = 0  # always from the aggregate rows
    from_rows = _figures(app, dataset)
    assert from_rows["step_durations"] == exact["step_durations"] and exact["step_durations"]
    assert from_rows["crises"] == exact["crises"] and exact["crises"]["acknowledged"] == 1


def test_bucket_median_is_exact_for_few_values_and_within_one_bucket_for_many():
    def buckets(values):
        merged = aggregates.Buckets()
        for v in values:
            merged.add(aggregates.bucket_of(v), 1, v, v, v)
        return merged

    for values in ([3600.0], [3600.0, 7200.0], [60.0, 3600.0, 3700.0, 90000.0], [10.0] * 5 + [20.0] * 4):
        got = buckets(values)
        assert got.median == statistics.median(values) and got.mean == pytest.approx(statistics.fmean(values))
    rng = random.Random(17)
    many = [rng.lognormvariate(10, 1.5) for _ in range(5_001)]
    got = buckets(many)
    assert got.count == len(many) and got.mean == pytest.approx(statistics.fmean(many))
    exact = statistics.median(many)
    assert abs(got.median - exact) <= (2 ** (1 / aggregates.PER_DOUBLING) - 1) * (exact + 1)
