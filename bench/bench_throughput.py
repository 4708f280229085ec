"""Task completions per second under gunicorn: starts gunicorn with N sync workers on the
database of DATABASE_URL (PostgreSQL; its tables are DROPPED and made anew), drives M
concurrent clients that complete tasks through the API (POST /api/v1/tasks/<id>/complete,
keep-alive connections, one bearer token per client) and reports completions per second,
p50/p95/p99 latency and the CPU one completion costs in the gunicorn workers (from
/proc/<pid>/stat), which bounds the rate: completions/s <= cores / CPU per completion.

  PYTHONPATH=. DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/bench_throughput.py \
      [--workers 2] [--clients 16] [--completions 400]

The clients run in this process (threads, http.client): on a small machine they take CPU from
the server too; the report says how much.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_write import STEP, api_token, make_app, p, start_cases  # noqa: E402

from app.extensions import db  # noqa: E402
from tests.flows import valid_data  # noqa: E402

WSGI = '''
from app import create_app
from tests.conftest import BASE_CONFIG
app = create_app({**BASE_CONFIG, "TESTING": False, "SQLALCHEMY_DATABASE_URI": %r})
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (seconds)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return out


def wait_up(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/login")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    sys.exit("bench: gunicorn did not come up")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--completions", type=int, default=400)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        sys.exit("bench_throughput: set DATABASE_URL to a PostgreSQL database (its tables are dropped)")
    with tempfile.TemporaryDirectory(prefix="fallwerk-throughput-") as tmpdir:
        app = make_app(tmpdir)
        task_ids = start_cases(app, args.completions)
        tokens = []
        client = app.test_client()
        for _ in range(args.clients):
            tokens.append(api_token(client, "fb36"))
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        (Path(tmpdir) / "bench_wsgi.py").write_text(WSGI % url)
        port = free_port()
        env = {**os.environ, "PYTHONPATH": f"{ROOT}:{tmpdir}"}
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
             "--log-level", "warning", "--timeout", "120", "bench_wsgi:app"],
            cwd=ROOT, env=env)
        try:
            wait_up(port, time.monotonic() + 60)
            body = json.dumps({"data": valid_data(STEP)})
            latencies: list[float] = []
            failures: list[str] = []
            lock = threading.Lock()
            queues = [task_ids[i::args.clients] for i in range(args.clients)]

            def drive(index: int) -> None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                headers = {**tokens[index], "Content-Type": "application/json"}
                for task_id in queues[index]:
                    t0 = time.perf_counter()
                    conn.request("POST", f"/api/v1/tasks/{task_id}/complete", body=body, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    elapsed = (time.perf_counter() - t0) * 1000
                    with lock:
                        latencies.append(elapsed)
                        if response.status != 200:
                            failures.append(str(response.status))
                conn.close()

            workers = children(server.pid)
            cpu_before = sum(cpu_seconds(w) for w in workers)
            own_before = time.process_time()
            threads = [threading.Thread(target=drive, args=(i,)) for i in range(args.clients)]
            t0 = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - t0
            cpu = sum(cpu_seconds(w) for w in workers) - cpu_before
            own = time.process_time() - own_before
        finally:
            server.terminate()
            server.wait(30)
    done = len(latencies) - len(failures)
    print(f"gunicorn {args.workers} sync worker(s), {args.clients} clients, {len(latencies)} completions "
          f"({len(failures)} failed: {sorted(set(failures))}) on {os.cpu_count()} CPUs")
    print(f"  throughput  {done / wall:6.1f} completions/s (wall {wall:.1f} s)")
    print(f"  latency     p50 {statistics.median(latencies):6.1f} ms  p95 {p(latencies, 0.95):6.1f} ms  "
          f"p99 {p(latencies, 0.99):6.1f} ms")
    print(f"  CPU         {cpu / max(done, 1) * 1000:6.1f} ms per completion in gunicorn workers, "
          f"{own / max(done, 1) * 1000:.1f} ms in the load-generating clients")
    print(f"  bound       {os.cpu_count()} cores / {cpu / max(done, 1) * 1000:.1f} ms = "
          f"~{(os.cpu_count() or 1) / max(cpu / max(done, 1), 1e-9):.0f} completions/s at most from the "
          "workers' CPU alone (PostgreSQL and the clients share the same cores)")


if __name__ == "__main__":
    main()
