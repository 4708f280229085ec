"""The cost of the access log (issue 14.1: "one insert, no measurable slow-down of a page").

Measured through the real app on the same database as bench.py:
  - the case view           GET /faelle/<id> as fb36, which writes one access log row
  - the same page with the log switched off (``record`` replaced by a no-op): the difference is
    what logging costs the page
  - ``record()`` alone      one Core INSERT in a request context (committed in batches)
and the share of one page's time the log insert takes (median record / median page). The log is
seeded with LOG_ROWS rows first, so the insert goes into a table with realistic indexes and size.

Run alone (``PYTHONPATH=. python bench/bench_accesslog.py``: 1,000 cases, a few seconds) or as part of
``make bench`` (bench.py calls :func:`measure` with the largest database).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from app.accesslog import services as accesslog  # noqa: E402
from app.accesslog.models import CASE, VIEW, AccessLogEntry  # noqa: E402
from app.auth.models import User  # noqa: E402
from app.engine.models import ProcessInstance  # noqa: E402
from app.extensions import db  # noqa: E402
from app.timeutil import utcnow  # noqa: E402
from bench import (  # noqa: E402
    Results,
    _samples,
    copy_cases,
    expect_status,
    login,
    make_app,
    make_templates,
    p95,
    step,
    timed,
)

N_VIEWS = _samples(100)
N_RECORDS = _samples(1_000)
LOG_ROWS = 100_000
BATCH = 5_000

PAGE = "HTTP case view of fb36 (GET /faelle/<id>), logged"
PAGE_OFF = "HTTP case view, access log switched off"
RECORD = "accesslog.record() alone (one INSERT)"
RECORD_COMMIT = "accesslog.record() + its own COMMIT"
N_COMMITS = _samples(200)


def seed_log(app, rows: int) -> None:
    """``rows`` log rows spread over the cases and a year (Core INSERTs in batches)."""
    with app.app_context():
        ids = list(db.session.scalars(select(ProcessInstance.id).order_by(ProcessInstance.id).limit(10_000)))
        user_id = db.session.scalar(select(User.id).where(User.username == "fb36"))
        now = utcnow()
        for start in range(0, rows, BATCH):
            db.session.execute(insert(AccessLogEntry), [
                {"at": now - timedelta(minutes=n), "user_id": user_id, "username": "fb36", "role": "fachkraft",
                 "action": VIEW, "object_type": CASE, "object_id": ids[n % len(ids)],
                 "case_id": ids[n % len(ids)], "via": "cases.view", "substitution": False}
                for n in range(start, min(start + BATCH, rows))])
            db.session.commit()


def measure(app, results: Results, cases: str) -> dict[str, float]:
    """Case view with and without the log, ``record()`` alone; returns the medians and the share."""
    with app.app_context():
        case_id = db.session.scalar(select(ProcessInstance.id).order_by(ProcessInstance.id.desc()).limit(1))
    fb36 = login(app, "fb36")
    url = f"/faelle/{case_id}"

    def view():
        expect_status(fb36.get(url), 200, f"GET {url}")

    view()  # warm the template cache
    samples_on, samples_off = [], []
    real = accesslog.record
    for _ in range(N_VIEWS):  # interleaved, so that drift hits both alike
        samples_on.append(timed(view))
        accesslog.record = lambda *args, **kwargs: None  # type: ignore[assignment]
        try:
            samples_off.append(timed(view))
        finally:
            accesslog.record = real
    results.add(PAGE, cases, samples_on)
    results.add(PAGE_OFF, cases, samples_off)

    samples = []
    with app.test_request_context():
        reader = db.session.scalar(select(User).where(User.username == "fb36"))
        for n in range(N_RECORDS):
            samples.append(timed(lambda: accesslog.record(reader, VIEW, CASE, case_id, case_id=case_id,
                                                          via="bench")))
            if n % 100 == 99:
                db.session.commit()
        db.session.commit()
        # A page that only read commits nothing; with the log it commits one row: the write
        # transaction (on SQLite the journal sync) is part of the price, measured here.
        committed = []
        for _ in range(N_COMMITS):
            def one() -> None:
                accesslog.record(reader, VIEW, CASE, case_id, case_id=case_id, via="bench")
                db.session.commit()
            committed.append(timed(one))
    results.add(RECORD, cases, samples)
    results.add(RECORD_COMMIT, cases, committed)
    page, off, one = statistics.median(samples_on), statistics.median(samples_off), statistics.median(samples)
    with_commit = statistics.median(committed)
    return {"page": page, "page_off": off, "record": one, "share": one / page,
            "page_p95": p95(samples_on), "record_p95": p95(samples), "commit": with_commit,
            "commit_p95": p95(committed), "share_commit": with_commit / page}


def report(numbers: dict[str, float]) -> str:
    return "\n".join([
        f"  case view, logged:          median {numbers['page']:7.2f} ms  p95 {numbers['page_p95']:7.2f} ms",
        f"  case view, log off:         median {numbers['page_off']:7.2f} ms"
        f"  (difference {numbers['page'] - numbers['page_off']:+.2f} ms)",
        f"  record() alone:             median {numbers['record']:7.3f} ms  p95 {numbers['record_p95']:7.3f} ms",
        f"  record() + COMMIT:          median {numbers['commit']:7.3f} ms  p95 {numbers['commit_p95']:7.3f} ms",
        f"  share of one page's time:   {numbers['share']:.1%} (the INSERT), "
        f"{numbers['share_commit']:.1%} (with the commit a read-only page would not need)",
    ])


def main() -> None:
    results = Results()
    with tempfile.TemporaryDirectory(prefix="fallwerk-bench-log-") as tmpdir:
        app = make_app(tmpdir)
        with step("template cases and 1,000 copies"):
            copy_cases(app, make_templates(app), 1_000)
        with step(f"{LOG_ROWS:,} access log rows"):
            seed_log(app, LOG_ROWS)
        with step("measuring the access log"):
            numbers = measure(app, results, "1,000")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    print()
    print(results.table())
    print("\nAccess log (medians)\n")
    print(report(numbers))


if __name__ == "__main__":
    main()
