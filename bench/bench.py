"""`make bench`: what one request costs with 1,000 and 10,000 cases in the database.

Measured through the real app (Flask test client, test-like config: fast password hashing,
CSRF and rate limit off):
  - start a case            POST /faelle/neu as fb36
  - complete a task         POST /aufgaben/<id> (Bedarfsermittlung of a case started above)
  - render the inbox        GET /aufgaben as k201 (Koordinierungsstelle, many group tasks), the
                            first page and the page after 2,000 group tasks (its cursor)
and, in the same run, the bare SpiffWorkflow cost of the same steps (no database, no HTTP):
  - start                   BpmnWorkflow(spec) + do_engine_steps() to the first user task
  - complete                deserialise + complete Bedarfsermittlung + engine steps + serialise
plus the stored state size of one case (fresh, after Vorgespräch, after 50 Zwischengespräche).

  - the instance monitor    GET /monitor as leitung (if app/monitor is there)
  - the statistics page     GET /statistik as leitung (this year, all teams they lead) and its CSV

Seeding: five template cases are walked through the real services (one waiting for
Bedarfsermittlung, one for Vermittlung at 201, one in the running assignment, one closed with
an outcome, one with an acknowledged crisis), then their rows (case, participants, task rows,
history) are copied with SQL INSERTs in batches up to 10,000 cases; beyond that the database
copies its own rows (INSERT ... SELECT with shifted ids) up to 100,000. 5,000 counselling-log
contacts (with topics) are inserted for the statistics. Only the seeding takes these shortcuts;
every measured operation goes through the app.

Database: a temporary SQLite file, or DATABASE_URL if set (its tables are DROPPED and made
anew, as in the test suite). Run from the repository root with PYTHONPATH=. (make bench).

Options (environment; `make bench SIZE=ci` sets BENCH_SIZES=200,1000 and fewer samples):
  BENCH_SIZES=200,1000    database sizes (cases) to measure at, default 1000,10000,100000
  BENCH_SAMPLES=5         at most this many samples per measurement (default: the N_* below)
  BENCH_CONTACTS, BENCH_LOG_ROWS   counselling contacts and access log rows seeded (5,000 / 100,000)
  BENCH_JSON=path         where the result is written as JSON (default instance/bench-<database>.json);
                          bench/report.py renders SQLite and PostgreSQL side by side from these files.
The copied rows bypass the app, so after each copy the statistics' daily aggregate rows are
rebuilt (app/statistics/aggregates.py, as `flask statistics rebuild` does).
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text

from app import create_app
from app.auth.models import Team, User
from app.cli import load_demo, sync_processes
from app.counselling.models import ContactRecord, ContactTopic
from app.crisis.services import report_crisis
from app.engine import service
from app.engine.models import CaseEvent, CaseParticipant, ProcessInstance, ProcessModel, Task
from app.extensions import db
from tests.conftest import BASE_CONFIG
from tests.flows import complete_web, open_task, to_form, valid_data

ROOT = Path(__file__).resolve().parent.parent
BPMN = ROOT / "processes" / "alltagsbegleitung.bpmn"
PROCESS_ID = "alltagsbegleitung"
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "1000,10000,100000").split(",") if n.strip())
COPY_IN_PYTHON_UP_TO = 10_000  # beyond: INSERT ... SELECT inside the database
_CAP = int(os.environ.get("BENCH_SAMPLES", "0") or 0)  # 0: no cap


def _samples(n: int) -> int:
    return min(n, _CAP) if _CAP else n


N_CONTACTS = int(os.environ.get("BENCH_CONTACTS", "5000"))
N_PAGES = _samples(20)  # monitor / statistics requests per size
N_PAGES_100K = _samples(20)  # ... at 100,000 cases as well (well under 300 ms each since the aggregates)
N_START = _samples(100)  # HTTP starts per database size (their cases feed the completions)
N_INBOX = _samples(50)
DEEP = 2_000  # the inbox page after this many group tasks (keyset: costs what the first page costs)
N_BARE = _samples(300)
LOOPS = _samples(50)
BATCH = 1_000


# --- small helpers ---------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]


def timed(fn) -> float:
    """Milliseconds one call of ``fn`` takes."""
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


class Results:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, list[float]]] = []

    def add(self, label: str, cases: str, samples: list[float]) -> list[float]:
        self.rows.append((label, cases, samples))
        return samples

    def median(self, label: str, cases: str) -> float:
        return next(statistics.median(s) for lbl, c, s in self.rows if lbl == label and c == cases)

    def table(self) -> str:
        head = f"{'operation':<52} {'cases in DB':>11} {'n':>5} {'median ms':>10} {'p95 ms':>9}"
        lines = [head, "-" * len(head)]
        for label, cases, samples in self.rows:
            lines.append(
                f"{label:<52} {cases:>11} {len(samples):>5} "
                f"{statistics.median(samples):>10.2f} {p95(samples):>9.2f}"
            )
        return "\n".join(lines)


@contextmanager
def step(message: str):
    print(f"  {message} ...", end="", flush=True)
    t0 = time.perf_counter()
    yield
    print(f" {time.perf_counter() - t0:.1f} s", flush=True)


def expect_status(response, status: int, what: str) -> None:
    if response.status_code != status:
        body = response.get_data(as_text=True)[:400]
        sys.exit(f"bench: {what} answered {response.status_code}, expected {status}:\n{body}")


def login(app, username: str):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": "demo"})
    expect_status(response, 302, f"login as {username}")
    return client


# --- the app and the database ----------------------------------------------------------------


def make_app(tmpdir: str):
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(tmpdir) / 'bench.db'}"
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.drop_all()
        db.create_all()
        load_demo()
        sync_processes()
        db.session.commit()
    return app


def count_cases(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ProcessInstance)) or 0


def start_web(client) -> int:
    """POST /faelle/neu; returns the id of the new Bedarfsermittlung task."""
    response = client.post("/faelle/neu", data={"verfahren": PROCESS_ID, "team": "asd"})
    expect_status(response, 302, "starting a case")
    return int(re.search(r"/aufgaben/(\d+)", response.headers["Location"]).group(1))


def make_templates(app) -> list[int]:
    """Three cases walked through the real services, at three points of the process."""
    fb36, k201 = login(app, "fb36"), login(app, "k201")
    ids = []
    for steps in (
        [],
        [(fb36, "bedarfsermittlung")],
        [(fb36, "bedarfsermittlung"), (k201, "vermittlung"), (fb36, "vorgespraech")],
        [(fb36, "bedarfsermittlung"), (k201, "vermittlung"), (fb36, "vorgespraech"),
         (k201, ("zwischengespraech", valid_data("zwischengespraech", abschluss_einleiten=True))),
         (fb36, "abschluss")],
        [(fb36, "bedarfsermittlung"), (k201, "vermittlung"), (fb36, "vorgespraech"), (None, "krise"),
         (fb36, ("krise_quittieren", {"erste_massnahme": "Rückruf"}))],
    ):
        task_id = start_web(fb36)
        with app.app_context():
            case_id = db.session.get(Task, task_id).instance_id
        for client, name in steps:
            if name == "krise":
                with app.test_request_context():
                    case = db.session.get(ProcessInstance, case_id)
                    user = db.session.scalar(select(User).where(User.username == "ehrenamt1"))
                    report_crisis(case, user, "Bench-Krise", "normal")
                    db.session.commit()
                continue
            name, data = name if isinstance(name, tuple) else (name, None)
            expect_status(complete_web(client, case_id, name, data), 302, f"completing {name}")
        ids.append(case_id)
    return ids


def copy_in_database(app, count: int) -> None:
    """Copy ``count`` cases with all their rows inside the database (INSERT ... SELECT, ids shifted)."""
    from sqlalchemy import String, cast, literal

    tables = {"instance": ProcessInstance.__table__, "participant": CaseParticipant.__table__,
              "task": Task.__table__, "event": CaseEvent.__table__}
    with app.app_context():
        while count > 0:
            offsets = {key: db.session.scalar(select(func.max(t.c.id))) or 0 for key, t in tables.items()}
            n = min(count, offsets["instance"])

            def shifted(table, where, offsets=offsets):
                columns = []
                for column in table.c:
                    if column.name == "id":
                        columns.append(column + offsets[next(k for k, t in tables.items() if t is table)])
                    elif column.name == "instance_id":
                        columns.append(column + offsets["instance"])
                    elif column.name == "task_id":
                        columns.append(column + offsets["task"])
                    elif column.name == "reference":
                        columns.append(literal("BENCH-") + cast(table.c.id + offsets["instance"], String))
                    else:
                        columns.append(column)
                return insert(table).from_select([c.name for c in table.c], select(*columns).where(where))

            inst = tables["instance"]
            db.session.execute(shifted(inst, inst.c.id <= n))
            for key in ("participant", "task", "event"):
                db.session.execute(shifted(tables[key], tables[key].c.instance_id <= n))
            db.session.commit()
            count -= n
        _move_sequences(tables.values())


def _move_sequences(tables) -> None:
    if db.engine.dialect.name == "postgresql":  # explicit ids: move the sequences on
        for table in tables:
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                    f"(SELECT max(id) FROM {table.name}))"))
        db.session.commit()


def seed_contacts(app, count: int) -> None:
    """Counselling-log contacts of team k201 spread over this year (rows only, for the statistics)."""
    from datetime import date

    kinds = ["sprechstunde", "telefon", "hausbesuch", "veranstaltung"]
    topics = ["krisenintervention", "schule", "ausbildung_arbeit", "behoerden", "alltagsfragen", "wohnen",
              "aerztliche_vermittlung"]
    activities = ["beratung", "case_management", "gruppenarbeit", "netzwerkarbeit"]
    with app.app_context():
        team = db.session.scalar(select(Team).where(Team.key == "k201"))
        user = db.session.scalar(select(User).where(User.username == "k201"))
        case_id = db.session.scalar(select(ProcessInstance.id).order_by(ProcessInstance.id).limit(1))
        start = date(date.today().year, 1, 1).toordinal()
        days = max(date.today().toordinal() - start, 1)
        next_id = (db.session.scalar(select(func.max(ContactRecord.id))) or 0) + 1
        records, topic_rows = [], []
        for i in range(count):
            kind = kinds[i % 4]
            records.append({"id": next_id + i, "instance_id": case_id, "team_id": team.id, "recorded_by_id": user.id,
                            "datum": date.fromordinal(start + i * 7 % days), "art": kind,
                            "taetigkeit": activities[i % 4], "dauer_minuten": 15 + i % 60,
                            "veranstaltungsart": "netzwerktreffen" if kind == "veranstaltung" else None,
                            "teilnehmende": 5 + i % 20 if kind == "veranstaltung" else None,
                            "nachverfolgung": False})
            if kind != "veranstaltung":
                topic_rows.append({"contact_id": next_id + i, "topic": topics[i % 7]})
        db.session.execute(insert(ContactRecord.__table__), records)
        db.session.execute(insert(ContactTopic.__table__), topic_rows)
        db.session.commit()


def copy_cases(app, template_ids: list[int], count: int) -> None:
    """Insert ``count`` copies of the template cases (round robin) with plain SQL INSERTs."""
    tables = {
        "instance": ProcessInstance.__table__,
        "participant": CaseParticipant.__table__,
        "task": Task.__table__,
        "event": CaseEvent.__table__,
    }
    with app.app_context():
        templates = []
        for tid in template_ids:
            rows = {
                "instance": [
                    dict(
                        db.session.execute(
                            select(tables["instance"]).where(tables["instance"].c.id == tid)
                        )
                        .mappings()
                        .one()
                    )
                ]
            }
            for key in ("participant", "task", "event"):
                table = tables[key]
                rows[key] = [
                    dict(r)
                    for r in db.session.execute(
                        select(table).where(table.c.instance_id == tid).order_by(table.c.id)
                    ).mappings()
                ]
            templates.append(rows)
        next_id = {
            key: (db.session.scalar(select(func.max(t.c.id))) or 0) + 1 for key, t in tables.items()
        }
        done = 0
        while done < count:
            batch = {key: [] for key in tables}
            for _ in range(min(BATCH, count - done)):
                template = templates[done % len(templates)]
                case_id = next_id["instance"]
                next_id["instance"] += 1
                case = dict(template["instance"][0], id=case_id)
                case["reference"] = re.sub(r"\d+$", f"{case_id:05d}", case["reference"])
                batch["instance"].append(case)
                for row in template["participant"]:
                    batch["participant"].append(
                        dict(row, id=next_id["participant"], instance_id=case_id)
                    )
                    next_id["participant"] += 1
                task_ids = {}
                for row in template["task"]:
                    task_ids[row["id"]] = next_id["task"]
                    new = dict(row, id=next_id["task"], instance_id=case_id)
                    if new["due_at"] is not None:  # spread due dates: the inbox must sort
                        new["due_at"] = new["due_at"] + timedelta(minutes=done % 5000)
                    batch["task"].append(new)
                    next_id["task"] += 1
                for row in template["event"]:
                    batch["event"].append(
                        dict(
                            row,
                            id=next_id["event"],
                            instance_id=case_id,
                            task_id=task_ids.get(row["task_id"]),
                        )
                    )
                    next_id["event"] += 1
                done += 1
            for key in ("instance", "participant", "task", "event"):
                if batch[key]:
                    db.session.execute(insert(tables[key]), batch[key])
            db.session.commit()
        if db.engine.dialect.name == "postgresql":  # explicit ids: move the sequences on
            for table in tables.values():
                db.session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT max(id) FROM {table.name}))"
                    )
                )
            db.session.commit()


def rebuild_aggregates(app) -> None:
    """The copied task rows bypassed the completion signal: make the aggregate rows anew."""
    from app.statistics import aggregates

    with app.app_context():
        aggregates.rebuild()
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does soon after bulk inserts: statistics for the planner and the
            # visibility map, without which no index-only scan is possible on the copied rows.
            db.session.remove()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")


def write_json(path: Path, dialect: str, total: int, results: Results, extra: dict) -> None:
    """The result as JSON: one row per measurement (bench/report.py renders these files)."""
    rows = [{"operation": label, "cases": cases, "n": len(samples), "median_ms": round(statistics.median(samples), 3),
             "p95_ms": round(p95(samples), 3)} for label, cases, samples in results.rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"database": dialect, "sizes": list(SIZES), "cases_at_end": total,
                                "cpus": os.cpu_count(), "python": platform.python_version(),
                                "rows": rows, **extra}, indent=1, ensure_ascii=False), encoding="utf-8")


def service_start_ms(app, n: int) -> list[float]:
    """start_instance called directly (the loop the seeding would take without copying)."""
    samples = []
    with app.test_request_context():
        model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == PROCESS_ID))
        user = db.session.scalar(select(User).where(User.username == "fb36"))
        team = db.session.scalar(select(Team).where(Team.key == "asd"))
        for _ in range(n):
            samples.append(timed(lambda: service.start_instance(model, user, team)))
        db.session.commit()
    return samples


def measure_http(app, results: Results, cases: str) -> None:
    fb36, k201 = login(app, "fb36"), login(app, "k201")
    task_ids: list[int] = []
    form = to_form(valid_data("bedarfsermittlung"))

    def start():
        task_ids.append(start_web(fb36))

    results.add("HTTP start case (POST /faelle/neu)", cases, [timed(start) for _ in range(N_START)])

    def complete(task_id):
        expect_status(fb36.post(f"/aufgaben/{task_id}", data=form), 302, "completing a task")

    results.add(
        "HTTP complete Bedarfsermittlung (POST /aufgaben/<id>)",
        cases,
        [timed(lambda t=t: complete(t)) for t in task_ids],
    )

    def inbox():
        expect_status(k201.get("/aufgaben"), 200, "GET /aufgaben")

    inbox()  # warm the template cache
    results.add("HTTP inbox of k201 (GET /aufgaben)", cases, [timed(inbox) for _ in range(N_INBOX)])

    deep = deep_inbox_url(app)

    def inbox_deep():
        expect_status(k201.get(deep), 200, "GET /aufgaben?nach_group=…")

    inbox_deep()
    results.add(f"HTTP inbox of k201, page after {DEEP:,} tasks (keyset)", cases,
                [timed(inbox_deep) for _ in range(N_INBOX)])


def deep_inbox_url(app) -> str:
    """The link "Nächste Seite" of k201's group list after its first DEEP tasks (fewer: half of them)."""
    from app.inbox.listing import Key, encode_cursor, ordered_ids

    with app.app_context():
        k201 = db.session.scalar(select(User).where(User.username == "k201"))
        ids = ordered_ids(k201, False, DEEP)
        if not ids:
            return "/aufgaben"
        last = db.session.get(Task, ids[-1] if len(ids) >= DEEP else ids[len(ids) // 2])
        return f"/aufgaben?nach_group={encode_cursor(Key.of(last), 2)}"


def has_monitor(app) -> bool:
    return any(rule.rule == "/monitor" for rule in app.url_map.iter_rules())


def measure_pages(app, results: Results, size: int) -> None:
    """The supervisor's pages: the instance monitor and the statistics (page and CSV)."""
    leitung = login(app, "leitung")
    pages = [("HTTP statistics page of leitung (GET /statistik)", "/statistik"),
             ("HTTP statistics CSV (GET /statistik/export.csv)", "/statistik/export.csv")]
    if has_monitor(app):
        pages.insert(0, ("HTTP instance monitor of leitung (GET /monitor)", "/monitor"))
    for label, url in pages:
        expect_status(leitung.get(url), 200, f"GET {url}")  # warm up

        def get(url=url):
            expect_status(leitung.get(url), 200, f"GET {url}")

        n = N_PAGES if size <= COPY_IN_PYTHON_UP_TO else N_PAGES_100K
        results.add(label, f"{size:,}", [timed(get) for _ in range(n)])


def app_state_sizes(app, results: Results) -> dict[str, int]:
    """Stored state of one case at three points, and the time of 50 Zwischengespräche."""
    fb36, k201 = login(app, "fb36"), login(app, "k201")
    task_id = start_web(fb36)
    with app.app_context():
        case_id = db.session.get(Task, task_id).instance_id

    def size() -> int:
        with app.app_context():
            return len(db.session.get(ProcessInstance, case_id).state.encode("utf-8"))

    sizes = {"fresh": size()}
    for client, name in (
        (fb36, "bedarfsermittlung"),
        (k201, "vermittlung"),
        (fb36, "vorgespraech"),
    ):
        expect_status(complete_web(client, case_id, name), 302, f"completing {name}")
    sizes["after Vorgespräch"] = size()
    samples = []
    for _ in range(LOOPS):
        samples.append(
            timed(
                lambda: expect_status(
                    complete_web(k201, case_id, "zwischengespraech"), 302, "Zwischengespräch"
                )
            )
        )
    assert open_task(app, case_id, "zwischengespraech") is not None
    results.add(f"HTTP complete Zwischengespräch, iterations 1–{LOOPS}", "+1 case", samples)
    sizes[f"after {LOOPS} Zwischengespräche"] = size()
    return sizes


# --- bare SpiffWorkflow ----------------------------------------------------------------------


#: The engine's own work for one completion, as the app does it (bench/bench_write.py).
LIKE_FOR_LIKE = "bare complete, like for like (engine door)"


def bare(results: Results) -> tuple[float, dict[str, int]]:
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
    from SpiffWorkflow.util.task import TaskState

    t0 = time.perf_counter()
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_str(BPMN.read_bytes())
    spec = parser.get_spec(PROCESS_ID)
    subprocess_specs = parser.get_subprocess_specs(PROCESS_ID)
    parse_ms = (time.perf_counter() - t0) * 1000
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))

    def new():
        workflow = BpmnWorkflow(spec, subprocess_specs)
        workflow.do_engine_steps()
        return workflow

    def complete(workflow, name: str) -> None:
        ready = [
            t
            for t in workflow.get_tasks(state=TaskState.READY, manual=True)
            if t.task_spec.bpmn_id == name
        ]
        assert ready, f"bare: no READY {name}"
        ready[0].data.update(valid_data(name))
        ready[0].run()
        workflow.do_engine_steps()

    results.add(
        "bare start (BpmnWorkflow + engine steps)", "–", [timed(new) for _ in range(N_BARE)]
    )
    results.add(
        "bare start + serialise",
        "–",
        [timed(lambda: serializer.serialize_json(new())) for _ in range(N_BARE)],
    )
    fresh = serializer.serialize_json(new())

    def load_complete_save():
        workflow = serializer.deserialize_json(fresh)
        complete(workflow, "bedarfsermittlung")
        serializer.serialize_json(workflow)

    results.add(
        "bare complete Bedarfsermittlung (deser.+run+ser.)",
        "–",
        [timed(load_complete_save) for _ in range(N_BARE)],
    )

    workflow = new()
    sizes = {"fresh": len(serializer.serialize_json(workflow).encode("utf-8"))}
    for name in ("bedarfsermittlung", "vermittlung", "vorgespraech"):
        complete(workflow, name)
    sizes["after Vorgespräch"] = len(serializer.serialize_json(workflow).encode("utf-8"))
    for _ in range(LOOPS):
        complete(workflow, "zwischengespraech")
    sizes[f"after {LOOPS} Zwischengespräche"] = len(
        serializer.serialize_json(workflow).encode("utf-8")
    )
    return parse_ms, sizes


# --- the process-isolated sandbox ----------------------------------------------------------------

N_SANDBOX = _samples(500)


def sandbox_costs(results: Results) -> dict[str, float]:
    """What running process owners' code in a separate process costs: one condition and one
    script through the pool (pipes + JSON both ways + the sandbox) against the same code run by
    the RestrictedPython environment inside this process, with a realistic case file as task
    data; and how many evaluations one completion of each Alltagsbegleitung step makes."""
    from app.engine.isolation import IsolatedEnvironment, Limits
    from app.engine.sandbox import RestrictedEnvironment

    data: dict = {}
    for name in ("bedarfsermittlung", "vermittlung", "vorgespraech", "zwischengespraech"):
        data.update(valid_data(name))
    data["ergebnis"] = "fortfuehren"
    condition = 'ergebnis == "fortfuehren"'
    script = "anzahl_ziele = len(ziele)\nfristen = sorted(z['frist'] for z in ziele)"
    isolated, local = IsolatedEnvironment(Limits()), RestrictedEnvironment(timeout=1.0)
    isolated.evaluate(condition, dict(data))  # spawn the first sandbox process outside the timing
    rows = {
        "sandbox process: evaluate condition": lambda: isolated.evaluate(condition, dict(data)),
        "in-process RestrictedPython: evaluate condition": lambda: local.evaluate(condition, dict(data)),
        "sandbox process: execute script": lambda: isolated.execute(script, dict(data)),
        "in-process RestrictedPython: execute script": lambda: local.execute(script, dict(data)),
    }
    medians = {}
    for label, fn in rows.items():
        samples = results.add(label, "–", [timed(fn) for _ in range(N_SANDBOX)])
        medians[label] = statistics.median(samples)
    spawn = results.add("sandbox process: spawn a new one (first call)", "–",
                        [timed(lambda: _spawn_once()) for _ in range(_samples(10))])
    medians["spawn"] = statistics.median(spawn)
    return medians


def _spawn_once() -> None:
    from app.engine.isolation import Limits, _Process

    proc = _Process(Limits().spawn_settings())
    proc.kill()


def evaluations_per_completion(app) -> dict[str, int]:
    """Sandbox round trips each step of one Alltagsbegleitung case makes (web completions)."""
    from app.engine import isolation

    counts: dict[str, int] = {}
    real_run = isolation.POOL.run
    calls = [0]

    def counting(request, limits):
        calls[0] += 1
        return real_run(request, limits)

    isolation.POOL.run = counting  # type: ignore[method-assign]
    try:
        fb36, k201 = login(app, "fb36"), login(app, "k201")
        calls[0] = 0
        task_id = start_web(fb36)
        counts["start"] = calls[0]
        with app.app_context():
            case_id = db.session.get(Task, task_id).instance_id
        for step_name, client in (("bedarfsermittlung", fb36), ("vermittlung", k201),
                                  ("vorgespraech", fb36), ("zwischengespraech", k201)):
            calls[0] = 0
            expect_status(complete_web(client, case_id, step_name), 302, step_name)
            counts[step_name] = calls[0]
    finally:
        isolation.POOL.run = real_run  # type: ignore[method-assign]
    return counts


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    from importlib.metadata import version

    import bench_accesslog  # next to this file (bench/ is the script's directory)

    began = time.perf_counter()
    results = Results()
    with tempfile.TemporaryDirectory(prefix="fallwerk-bench-") as tmpdir:
        app = make_app(tmpdir)
        with app.app_context():
            dialect = db.engine.dialect.name
            where = db.engine.url.render_as_string(hide_password=True)
        print(
            f"Fallwerk bench – {where} ({dialect}) – SpiffWorkflow {version('SpiffWorkflow')}"
            f" – Python {platform.python_version()} – {os.cpu_count()} CPUs"
        )
        if os.environ.get("DATABASE_URL"):
            print("  (DATABASE_URL is set: its tables were dropped and created anew)")
        print("\nSeeding")
        with step("5 template cases through the web pages"):
            templates = make_templates(app)
        with step(f"{_samples(20)} cases via service.start_instance (for reference)"):
            per_start = service_start_ms(app, _samples(20))
        print(
            f"    service.start_instance: median {statistics.median(per_start):.1f} ms, "
            f"so {SIZES[-1]:,} real starts would take "
            f"~{statistics.median(per_start) * SIZES[-1] / 1000:.0f} s"
        )
        with step(f"{N_CONTACTS:,} counselling-log contacts (rows)"):
            seed_contacts(app, N_CONTACTS)
        if not has_monitor(app):
            print("    note: app/monitor has no /monitor route here; the monitor is not measured")
        for size in SIZES:
            missing = size - count_cases(app)
            if size <= COPY_IN_PYTHON_UP_TO:
                with step(f"copying template rows up to {size:,} cases ({missing:,} new)"):
                    copy_cases(app, templates, missing)
            else:
                with step(f"copying rows inside the database up to {size:,} cases ({missing:,} new)"):
                    copy_in_database(app, missing)
            with step("rebuilding the statistics' daily aggregate rows (PostgreSQL: and VACUUM ANALYZE)"):
                rebuild_aggregates(app)
            with step(f"measuring HTTP with {size:,} cases"):
                measure_http(app, results, f"{size:,}")
            with step(f"measuring monitor and statistics with {size:,} cases"):
                measure_pages(app, results, size)
        log_rows = int(os.environ.get("BENCH_LOG_ROWS", bench_accesslog.LOG_ROWS))
        with step(f"{log_rows:,} access log rows, then the cost of the access log"):
            bench_accesslog.seed_log(app, log_rows)
            log_numbers = bench_accesslog.measure(app, results, f"{SIZES[-1]:,}")
        with step(f"one case through Vorgespräch and {LOOPS} Zwischengespräche"):
            app_sizes = app_state_sizes(app, results)
        with step("sandbox round trips per step"):
            per_step = evaluations_per_completion(app)
        with step("bare engine, like for like (the app's engine door, no HTTP, no database)"):
            import bench_write  # next to this file

            results.add(LIKE_FOR_LIKE, "–", bench_write.bare_like_for_like(app, N_BARE)[0])
        with app.app_context():
            total = count_cases(app)
            dialect = db.engine.dialect.name
            db.session.remove()
            db.engine.dispose()
    with step("bare SpiffWorkflow"):
        parse_ms, bare_sizes = bare(results)
    with step("process-isolated sandbox"):
        sandbox = sandbox_costs(results)

    print(f"\nTimings ({total:,} cases at the end; p95 = nearest rank)\n")
    print(results.table())
    print(f"\nbare parse of {BPMN.name} (with XSD validation, once): {parse_ms:.1f} ms")

    print("\nHTTP / bare (medians; a completion against the engine's work like for like: the stored state"
          "\n onto the cached spec, run, state dumped without the spec -- what the app's engine door does)\n")
    for label, http_label, bare_label in (
        ("start", "HTTP start case (POST /faelle/neu)", "bare start (BpmnWorkflow + engine steps)"),
        ("complete", "HTTP complete Bedarfsermittlung (POST /aufgaben/<id>)", LIKE_FOR_LIKE),
    ):
        bare_ms = results.median(bare_label, "–")
        for size in SIZES:
            http_ms = results.median(http_label, f"{size:,}")
            print(
                f"  {label:<9} {size:>6,} cases: {http_ms:8.2f} ms / {bare_ms:6.2f} ms "
                f"= {http_ms / bare_ms:6.1f} x"
            )

    print("\nAccess log (medians; one INSERT per read of personal data)\n")
    print(bench_accesslog.report(log_numbers))

    print("\nProcess-isolated sandbox (medians)\n")
    for kind in ("evaluate condition", "execute script"):
        remote = sandbox[f"sandbox process: {kind}"]
        local = sandbox[f"in-process RestrictedPython: {kind}"]
        print(f"  {kind:<20} {remote:6.3f} ms in a sandbox process vs {local:6.3f} ms in-process "
              f"(+{remote - local:.3f} ms per evaluation)")
    print(f"  spawning a sandbox process (once per process, and after a kill): {sandbox['spawn']:.0f} ms")
    added = sandbox["sandbox process: evaluate condition"] - sandbox["in-process RestrictedPython: evaluate condition"]
    for name, count in per_step.items():
        print(f"  {name:<20} {count:3d} evaluation(s) -> about +{count * added:.2f} ms per completion")

    print("\nSerialised state per case (bytes)\n")
    print(f"  {'':<28} {'stored by the app':>18} {'bare Spiff JSON':>16}")
    print("  " + " " * 28 + f" {'(no spec, pruned)':>18} {'(with spec)':>16}")
    for key in app_sizes:
        print(f"  {key:<28} {app_sizes[key]:>18,} {bare_sizes[key]:>16,}")
    seconds = time.perf_counter() - began
    print(f"\nTotal bench time: {seconds:.0f} s")
    out = Path(os.environ.get("BENCH_JSON") or ROOT / "instance" / f"bench-{dialect}.json")
    write_json(out, dialect, total, results, {
        "total_seconds": round(seconds), "bare_parse_ms": round(parse_ms, 3),
        "state_bytes": {"app": app_sizes, "bare": bare_sizes}, "sandbox_evaluations": per_step,
        "access_log": log_numbers})
    print(f"Result written to {out} (side by side with the other database: python bench/report.py)")


if __name__ == "__main__":
    main()
