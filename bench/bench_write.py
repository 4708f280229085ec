"""The write side of `make bench`: what completing a task costs against the engine's own work,
how many SQL statements it issues, where its time goes, and how fast 500 timers due at the same
instant are fired. Runnable alone (PYTHONPATH=. .venv/bin/python bench/bench_write.py) in about
a minute; `bench/bench_throughput.py` measures completions per second under gunicorn.

  - bare engine, like for like: what the app's engine door does for one completion of
    Bedarfsermittlung, without HTTP and database: the stored state (no spec) is loaded onto the
    cached spec (``runtime.load_workflow``), the task is run with the app's sandboxed script
    engine, the engine steps run and the state is dumped without the spec
    (``runtime.dumped_state``) -- not Spiff's full (de)serialisation of the spec, which the app
    never does.
  - HTTP completion through the API (POST /api/v1/tasks/<id>/complete) and the web page
    (POST /aufgaben/<id>), each as a ratio to that; SQL statements per completion.
  - a cProfile of the API completion (the top functions by own time, grouped).
  - 500 timers due at the same instant fired by 1 and (PostgreSQL) 2 timer workers: the lag
    of the last one.

Database: a temporary SQLite file, or DATABASE_URL if set (its tables are DROPPED).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import UTC, timedelta
from pathlib import Path
from uuid import UUID

from sqlalchemy import event, func, select, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.auth.models import Team, User  # noqa: E402
from app.cli import load_demo, sync_processes  # noqa: E402
from app.engine import service  # noqa: E402
from app.engine.models import ProcessInstance, ProcessModel, Task  # noqa: E402
from app.extensions import db  # noqa: E402
from tests.conftest import BASE_CONFIG  # noqa: E402
from tests.flows import to_form, valid_data  # noqa: E402

PROCESS_ID = "alltagsbegleitung"
STEP = "bedarfsermittlung"


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(int(round(q * len(ordered) + 0.5)) - 1, 0)] if ordered else float("nan")


# --- set-up ------------------------------------------------------------------------------------


def make_app(tmpdir: str, extra: dict | None = None):
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(tmpdir) / 'bench_write.db'}"
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, **(extra or {})})
    with app.app_context():
        db.drop_all()
        db.create_all()
        load_demo()
        sync_processes()
        db.session.commit()
    return app


def start_cases(app, n: int, username: str = "fb36", team_key: str = "asd") -> list[int]:
    """``n`` new cases through the engine service; returns their open Bedarfsermittlung task ids."""
    ids = []
    with app.test_request_context():
        model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == PROCESS_ID))
        user = db.session.scalar(select(User).where(User.username == username))
        team = db.session.scalar(select(Team).where(Team.key == team_key))
        for _ in range(n):
            instance = service.start_instance(model, user, team)
            db.session.flush()
            ids.append(db.session.scalar(select(Task.id).where(Task.instance_id == instance.id,
                                                               Task.bpmn_id == STEP)))
        db.session.commit()
    return ids


@contextmanager
def statement_counter(app):
    """Counts the SQL statements sent to the database while the block runs (``counts[0]``)."""
    counts = [0]
    with app.app_context():
        engine = db.engine

    def count(*_args, **_kwargs):
        counts[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", count)


def api_token(client, username: str) -> dict:
    response = client.post("/api/v1/tokens", json={"username": username, "password": "demo"})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


# --- bare engine, like for like ------------------------------------------------------------------


def bare_like_for_like(app, n: int) -> tuple[list[float], list[float]]:
    """load_workflow (state onto the cached spec) + run the task + engine steps + dumped_state."""
    from SpiffWorkflow.util.task import TaskState

    from app.engine.runtime import dumped_state, load_workflow
    from app.engine.versions import parsed_version

    [task_id] = start_cases(app, 1)
    data = valid_data(STEP)
    samples, cpu = [], []
    with app.test_request_context():
        task = db.session.get(Task, task_id)
        instance = task.instance
        parsed = parsed_version(instance.version)  # from the spec cache, as the app
        spiff_id = UUID(task.spiff_task_id)
        instance.state  # noqa: B018 - loaded once: the app loads it with the task (one query)
        for _ in range(n):
            t0, c0 = time.perf_counter(), time.process_time()
            workflow = load_workflow(instance, parsed)
            spiff_task = workflow.get_task_from_id(spiff_id)
            assert spiff_task.state == TaskState.READY
            spiff_task.data.update(data)
            spiff_task.run()
            workflow.do_engine_steps()
            dumped_state(workflow)
            samples.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        db.session.rollback()
    return samples, cpu


# --- HTTP completions ---------------------------------------------------------------------------


def http_completions(app, n: int) -> dict[str, tuple[list[float], list[float], list[int]]]:
    """API and web completions of Bedarfsermittlung: wall and CPU times, statements per request."""
    out: dict[str, tuple[list[float], list[float], list[int]]] = {}
    api = app.test_client()
    headers = api_token(api, "fb36")
    body = {"data": valid_data(STEP)}
    web = app.test_client()
    assert web.post("/login", data={"username": "fb36", "password": "demo"}).status_code == 302
    form = to_form(valid_data(STEP))

    def api_call(task_id):
        response = api.post(f"/api/v1/tasks/{task_id}/complete", json=body, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]

    def web_call(task_id):
        response = web.post(f"/aufgaben/{task_id}", data=form)
        assert response.status_code == 302, response.get_data(as_text=True)[:300]

    for label, call in (("api", api_call), ("web", web_call)):
        ids = start_cases(app, n + 3)
        for task_id in ids[:3]:  # warm up
            call(task_id)
        times, cpu, statements = [], [], []
        with statement_counter(app) as counts:
            for task_id in ids[3:]:
                counts[0] = 0
                t0, c0 = time.perf_counter(), time.process_time()
                call(task_id)
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                statements.append(counts[0])
        out[label] = (times, cpu, statements)
    return out


def http_floor(app, n: int) -> dict[str, tuple[list[float], list[float], list[int]]]:
    """What a request costs before any work: Flask alone (GET /healthz: no session, no database)
    and an authenticated API read (GET /api/v1/me: the token, the user and their teams) -- the
    floor under any completion over HTTP in this stack."""
    client = app.test_client()
    headers = api_token(client, "fb36")
    out: dict[str, tuple[list[float], list[float], list[int]]] = {}
    for label, path, kwargs in (("healthz", "/healthz", {}), ("me", "/api/v1/me", {"headers": headers})):
        for _ in range(5):
            assert client.get(path, **kwargs).status_code == 200
        times, cpu, statements = [], [], []
        with statement_counter(app) as counts:
            for _ in range(n):
                counts[0] = 0
                t0, c0 = time.perf_counter(), time.process_time()
                assert client.get(path, **kwargs).status_code == 200
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                statements.append(counts[0])
        out[label] = (times, cpu, statements)
    return out


def profile_api(app, n: int, top: int = 25) -> str:
    """cProfile of ``n`` API completions: the functions with the most own time."""
    client = app.test_client()
    headers = api_token(client, "fb36")
    body = {"data": valid_data(STEP)}
    ids = start_cases(app, n + 1)
    client.post(f"/api/v1/tasks/{ids[0]}/complete", json=body, headers=headers)
    profiler = cProfile.Profile(time.process_time)  # CPU, not waiting on the database
    profiler.enable()
    for task_id in ids[1:]:
        client.post(f"/api/v1/tasks/{task_id}/complete", json=body, headers=headers)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
    groups: dict[str, float] = {}
    for (filename, _line, _name), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        groups[_group(filename)] = groups.get(_group(filename), 0.0) + tt
    lines = [f"  own CPU time by package ({n} completions, {total / n * 1000:.1f} ms CPU each under the profiler)"]
    for name, tt in sorted(groups.items(), key=lambda kv: -kv[1])[:12]:
        lines.append(f"    {name:<28} {tt / total * 100:5.1f} %")
    return "\n".join(lines)


def _group(filename: str) -> str:
    for key in ("SpiffWorkflow", "sqlalchemy", "psycopg", "sqlite3", "flask_babel", "babel", "jinja2",
                "werkzeug", "flask", "wtforms", "jsonschema", "json", "RestrictedPython"):
        if f"/{key}/" in filename or filename.endswith(f"/{key}.py"):
            return key
    if "/app/" in filename:
        return "app/" + filename.split("/app/", 1)[1].split("/", 1)[0]
    if "/forms/" in filename:
        return "forms (this repo)"
    return "other (stdlib, C)"


# --- timers ------------------------------------------------------------------------------------


TIMER_BPMN = ROOT / "tests" / "engine" / "fixtures" / "timer_probe.bpmn"


def due_timer_cases(app, n: int):
    """``n`` cases of a small process waiting at a one-hour timer (then a script task and a
    user task), all due at the same instant; returns that instant."""
    with app.test_request_context():
        model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == "bench_timer"))
        if model is None:
            model = ProcessModel(key="bench_timer", name="Bench-Zeitgeber", start_departments="FB36",
                                 start_role="fachkraft", reference_prefix="BZ")
            db.session.add(model)
            db.session.flush()
            xml = (TIMER_BPMN.read_text(encoding="utf-8").replace("SKRIPT", "ergebnis = 1")
                   .replace('id="timer_probe"', 'id="bench_timer"'))
            service.import_version(model, xml, None, "bench")
        user = db.session.scalar(select(User).where(User.username == "fb36"))
        team = db.session.scalar(select(Team).where(Team.key == "asd"))
        for _ in range(n):
            service.start_instance(model, user, team)
        db.session.flush()
        due = db.session.scalar(select(func.max(ProcessInstance.next_timer_due)))
        db.session.execute(update(ProcessInstance).where(ProcessInstance.next_timer_due.is_not(None))
                           .values(next_timer_due=due))
        db.session.commit()
    return due


def fire_with_workers(app, workers: int, batch: int) -> tuple[float, float, int]:
    """Seconds until every due case has been taken by ``workers`` threads; cases fired."""
    from app.timers.services import fire_due

    with app.app_context():
        now = db.session.scalar(select(func.max(ProcessInstance.next_timer_due))) + timedelta(seconds=1)
        now = now if now.tzinfo else now.replace(tzinfo=UTC)  # SQLite gives naive UTC
    fired = [0] * workers
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            with app.app_context():
                fired[index] = fire_due(now, batch=batch)
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    t0, c0 = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - t0, time.process_time() - c0, sum(fired)


def timers_bench(app, n: int) -> list[str]:
    lines = []
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
    for workers, batch in ((1, 1), (1, 50), (2, 50)) if postgres else ((1, 1), (1, 50)):
        due_timer_cases(app, n)
        with app.app_context():
            due = db.session.scalar(select(func.count()).select_from(ProcessInstance)
                                    .where(ProcessInstance.next_timer_due.is_not(None)))
        seconds, cpu, fired = fire_with_workers(app, workers, batch)
        with app.app_context():
            left = db.session.scalar(select(func.count()).select_from(ProcessInstance)
                                     .where(ProcessInstance.next_timer_due.is_not(None)))
        lines.append(f"  {due:>4} due, {workers} worker(s), batch {batch:>3}: last fired after {seconds:5.2f} s "
                     f"({fired / seconds:6.1f} cases/s; {cpu / max(fired, 1) * 1000:5.1f} ms CPU per case in the "
                     f"workers' process; {fired} fired, {left} still due)")
    return lines


# --- main ------------------------------------------------------------------------------------------


def main() -> None:
    small = "--small" in sys.argv
    n = 20 if small else 100
    n_timers = 100 if small else 500
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fallwerk-bench-write-") as tmpdir:
        app = make_app(tmpdir)
        with app.app_context():
            where = db.engine.url.render_as_string(hide_password=True)
        print(f"Fallwerk write bench – {where} – {os.cpu_count()} CPUs – n={n}")
        bare, bare_cpu = bare_like_for_like(app, n * 3)
        http = http_completions(app, n)
        http.update(http_floor(app, n))
        print("\nTask completion (Bedarfsermittlung); CPU = this process's CPU time (the database's"
              " own work on PostgreSQL is not in it)\n")
        print(f"  {'':<44} {'wall median':>11} {'wall p95':>9} {'CPU median':>10} {'x bare CPU':>10} {'SQL':>4}")
        base = statistics.median(bare_cpu)
        print(f"  {'bare engine, like for like':<44} {statistics.median(bare):>9.2f}ms {p(bare, 0.95):>7.2f}ms "
              f"{base:>8.2f}ms {1:>9.1f}x {0:>4}")
        for label, name in (("api", "HTTP API  POST /api/v1/tasks/<id>/complete"),
                            ("web", "HTTP web  POST /aufgaben/<id>"),
                            ("healthz", "floor: GET /healthz (Flask, no database)"),
                            ("me", "floor: GET /api/v1/me (token, user, teams)")):
            times, cpu, statements = http[label]
            print(f"  {name:<44} {statistics.median(times):>9.2f}ms {p(times, 0.95):>7.2f}ms "
                  f"{statistics.median(cpu):>8.2f}ms {statistics.median(cpu) / base:>9.1f}x "
                  f"{max(statements):>4}")
        print("\nProfile of the API completion\n")
        print(profile_api(app, n))
        print(f"\nTimers due at the same instant ({n_timers} cases)\n")
        for line in timers_bench(app, n_timers):
            print(line)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    print(f"\nTotal: {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
