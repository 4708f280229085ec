"""SQLite and PostgreSQL side by side, from the JSON files `make bench` writes.

    python bench/report.py [instance/bench-sqlite.json instance/bench-postgresql.json]

Each row: the operation, the database size, median and p95 (ms) per database, and what bounds
the figure (the work that grows, or the fixed cost that dominates).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = [ROOT / "instance" / "bench-sqlite.json", ROOT / "instance" / "bench-postgresql.json"]

# What bounds each figure (checked with profiles and query plans at 100,000 cases; README "Performance").
BOUNDS = {
    "HTTP start case": "CPU in Python: engine steps, serialising the new state, the case/task INSERTs",
    "HTTP complete Bedarfsermittlung": "CPU in Python, mostly SQLAlchemy's ORM: 21 (web) to 22 (API) "
                                       "statements (auth, access, routing, 4 writes, notices, plan, statistics, "
                                       "answer); the engine's share a few per cent",
    "HTTP inbox of k201": "rendering the page and the per-request basics; the lists are read in index "
                          "order (short branches merged) and counted up to 1,001: flat in the size",
    "HTTP instance monitor": "cases per current step: one index range per led team over their open "
                             "tasks (the rows carry the case's team), O(open tasks of the teams); the "
                             "count and the page of cases",
    "HTTP statistics page": "open tasks per step (one index range per team over their open tasks) and "
                            "the index-only counts of cases and crisis reports in the period; durations "
                            "from the daily aggregate rows",
    "HTTP statistics CSV": "as the statistics page (same figures), plus writing the CSV",
    "HTTP complete Zwischengespräch": "the growing case state (deserialise/serialise, row size)",
    "HTTP case view": "rendering the case page; the access log adds one INSERT",
    "accesslog.record()": "one INSERT (and with it a COMMIT: the disk's fsync)",
    "bare": "SpiffWorkflow in Python, no database (CPU)",
    "sandbox process": "pipe round trip + JSON both ways + process start (spawn)",
    "in-process RestrictedPython": "compiling/evaluating the expression (CPU)",
}


def bound(operation: str) -> str:
    return next((text for prefix, text in BOUNDS.items() if operation.startswith(prefix)), "")


def load(paths: list[Path]) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths if p.exists()]


def render(results: list[dict]) -> str:
    """One table: operation, cases, then median / p95 per database, then what bounds it."""
    names = [r["database"] for r in results]
    keys: list[tuple[str, str]] = []
    data: dict[tuple[str, str, str], dict] = {}
    for result in results:
        for row in result["rows"]:
            key = (row["operation"], row["cases"])
            if key not in keys:
                keys.append(key)
            data[(result["database"], *key)] = row
    head = f"{'operation':<52} {'cases':>8}" + "".join(f" {name + ' med':>16} {'p95':>9}" for name in names)
    lines = [head + "  bounded by", "-" * (len(head) + 12)]
    for operation, cases in keys:
        cells = ""
        for name in names:
            row = data.get((name, operation, cases))
            cells += f" {row['median_ms']:>16.2f} {row['p95_ms']:>9.2f}" if row else f" {'–':>16} {'–':>9}"
        lines.append(f"{operation[:52]:<52} {cases:>8}{cells}  {bound(operation)}")
    meta = "; ".join(f"{r['database']}: {r['cases_at_end']:,} cases at the end, {r.get('total_seconds', '?')} s, "
                     f"{r['cpus']} CPUs" for r in results)
    return "\n".join(lines) + f"\n\n{meta}\n"


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or DEFAULT
    results = load(paths)
    if not results:
        print("no bench results found: run `make bench` (and with DATABASE_URL for PostgreSQL) first")
        return 1
    print(render(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
