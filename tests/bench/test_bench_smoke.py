"""`make bench` in its smallest size on the suite's database (SQLite, or PostgreSQL when
DATABASE_URL is set): it runs through and writes every figure. No timing is asserted."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[2]
SIZES = (30, 40)  # two sizes: the per-size rows must appear for each
PER_SIZE = ("HTTP start case", "HTTP complete Bedarfsermittlung", "HTTP inbox of k201", "HTTP instance monitor",
            "HTTP statistics page", "HTTP statistics CSV")
ONCE = ("bare start", "bare complete", "bare complete, like for like", "HTTP complete Zwischengespräch",
        "accesslog.record()", "sandbox process")


def _bench_database() -> str | None:
    """PostgreSQL: a database of its own next to the worker's (the bench drops its tables)."""
    if not PG_URL:
        return None
    url = make_url(PG_URL)
    name = f"{url.database}_bench"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def test_bench_runs_in_its_smallest_size_and_writes_every_figure(tmp_path):
    out = tmp_path / "bench.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BENCH_SIZES": ",".join(map(str, SIZES)), "BENCH_SAMPLES": "2",
           "BENCH_CONTACTS": "50", "BENCH_LOG_ROWS": "100", "BENCH_JSON": str(out)}
    env.pop("DATABASE_URL", None)
    if (url := _bench_database()) is not None:
        env["DATABASE_URL"] = url
    done = subprocess.run([sys.executable, "bench/bench.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["database"] == ("postgresql" if PG_URL else "sqlite") and result["sizes"] == list(SIZES)
    rows = result["rows"]
    for row in rows:
        assert row["n"] >= 1 and math.isfinite(row["median_ms"]) and 0 <= row["median_ms"] <= row["p95_ms"], row
    for size in SIZES:
        got = {r["operation"] for r in rows if r["cases"] == f"{size:,}"}
        assert all(any(op.startswith(p) for op in got) for p in PER_SIZE), (size, got)
    assert all(any(r["operation"].startswith(p) for r in rows) for p in ONCE)
    assert result["state_bytes"]["app"] and result["access_log"]
    # the side-by-side report renders it, naming what bounds each figure
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import report
    finally:
        sys.path.remove(str(ROOT / "bench"))
    table = report.render([result])
    assert f"{result['database']} med" in table and "bounded by" in table
    assert all(report.bound(r["operation"]) for r in rows if r["operation"].startswith("HTTP"))
