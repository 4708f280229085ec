"""`make bench`: what one request costs with 1,000 and 10,000 cases in the database.

Measured through the real app (Flask test client, test-like config: fast password hashing,
CSRF and rate limit off):
  - start a case            POST /faelle/neu as fb36
  - complete a task         POST /aufgaben/<id> (Bedarfsermittlung of a case started above)
  - render the inbox        GET /aufgaben as k201 (Koordinierungsstelle, many group tasks)
and, in the same run, the bare SpiffWorkflow cost of the same steps (no database, no HTTP):
  - start                   BpmnWorkflow(spec) + do_engine_steps() to the first user task
  - complete                deserialise + complete Bedarfsermittlung + engine steps + serialise
plus the stored state size of one case (fresh, after Vorgespräch, after 50 Zwischengespräche).

Seeding: three template cases are walked through the real services (one waiting for
Bedarfsermittlung, one for Vermittlung at 201, one in the running assignment), then their rows
(case, participants, task rows, history) are copied with SQL INSERTs in batches until the
database holds the wanted number of cases. Only the seeding takes that shortcut; every
measured operation goes through the app.

Database: a temporary SQLite file, or DATABASE_URL if set (its tables are DROPPED and made
anew, as in the test suite). Run from the repository root with PYTHONPATH=. (make bench).
"""

from __future__ import annotations

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
from app.engine import service
from app.engine.models import CaseEvent, CaseParticipant, ProcessInstance, ProcessModel, Task
from app.extensions import db
from tests.conftest import BASE_CONFIG
from tests.flows import complete_web, open_task, to_form, valid_data

ROOT = Path(__file__).resolve().parent.parent
BPMN = ROOT / "processes" / "alltagsbegleitung.bpmn"
PROCESS_ID = "alltagsbegleitung"
SIZES = (1_000, 10_000)
N_START = 100  # HTTP starts per database size (their cases feed the completions)
N_INBOX = 50
N_BARE = 300
LOOPS = 50
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
    ):
        task_id = start_web(fb36)
        with app.app_context():
            case_id = db.session.get(Task, task_id).instance_id
        for client, name in steps:
            expect_status(complete_web(client, case_id, name), 302, f"completing {name}")
        ids.append(case_id)
    return ids


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


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    from importlib.metadata import version

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
        with step("3 template cases through the web pages"):
            templates = make_templates(app)
        with step("20 cases via service.start_instance (for reference)"):
            per_start = service_start_ms(app, 20)
        print(
            f"    service.start_instance: median {statistics.median(per_start):.1f} ms, "
            f"so {SIZES[-1]:,} real starts would take "
            f"~{statistics.median(per_start) * SIZES[-1] / 1000:.0f} s"
        )
        for size in SIZES:
            missing = size - count_cases(app)
            with step(f"copying template rows up to {size:,} cases ({missing:,} new)"):
                copy_cases(app, templates, missing)
            with step(f"measuring HTTP with {size:,} cases"):
                measure_http(app, results, f"{size:,}")
        with step(f"one case through Vorgespräch and {LOOPS} Zwischengespräche"):
            app_sizes = app_state_sizes(app, results)
        with app.app_context():
            total = count_cases(app)
            db.session.remove()
            db.engine.dispose()
    with step("bare SpiffWorkflow"):
        parse_ms, bare_sizes = bare(results)

    print(f"\nTimings ({total:,} cases at the end; p95 = nearest rank)\n")
    print(results.table())
    print(f"\nbare parse of {BPMN.name} (with XSD validation, once): {parse_ms:.1f} ms")

    print("\nHTTP / bare (medians)\n")
    for label, http_label, bare_label in (
        ("start", "HTTP start case (POST /faelle/neu)", "bare start (BpmnWorkflow + engine steps)"),
        (
            "complete",
            "HTTP complete Bedarfsermittlung (POST /aufgaben/<id>)",
            "bare complete Bedarfsermittlung (deser.+run+ser.)",
        ),
    ):
        bare_ms = results.median(bare_label, "–")
        for size in SIZES:
            http_ms = results.median(http_label, f"{size:,}")
            print(
                f"  {label:<9} {size:>6,} cases: {http_ms:8.2f} ms / {bare_ms:6.2f} ms "
                f"= {http_ms / bare_ms:6.1f} x"
            )

    print("\nSerialised state per case (bytes)\n")
    print(f"  {'':<28} {'stored by the app':>18} {'bare Spiff JSON':>16}")
    print("  " + " " * 28 + f" {'(no spec, pruned)':>18} {'(with spec)':>16}")
    for key in app_sizes:
        print(f"  {key:<28} {app_sizes[key]:>18,} {bare_sizes[key]:>16,}")
    print(f"\nTotal bench time: {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
