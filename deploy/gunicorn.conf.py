"""gunicorn configuration for Fallwerk (``gunicorn --config deploy/gunicorn.conf.py wsgi:app``).

Every value can be changed through the environment (the systemd unit's EnvironmentFile); see
README "Running in production". Measured on a 2-core machine: more workers than cores made the
throughput worse and threads did not help (the work is CPU-bound Python), hence one sync worker
per core by default.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def default_workers() -> int:
    """One worker per CPU the process may use (cgroup/affinity aware), at least 2 for
    overlap during a restart, capped at 8 (each worker holds its own pool of sandbox processes)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return max(2, min(cpus, 8))


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
workers = _int("GUNICORN_WORKERS", _int("WEB_CONCURRENCY", default_workers()))
worker_class = "sync"
threads = 1
# A request may run scripts for up to SCRIPT_TOTAL_SECONDS (5 s) and build a disclosure ZIP; a
# worker silent for longer than this is killed and replaced.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)  # finish running requests on stop/reload
keepalive = _int("GUNICORN_KEEPALIVE", 5)  # nginx keeps upstream connections open
# Recycle workers now and then (slow leaks, fragmentation); the jitter keeps them from all
# restarting at the same moment.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# Addresses whose X-Forwarded-Proto gunicorn trusts (the proxy on this host). The app itself reads
# X-Forwarded-For/-Proto through ProxyFix when TRUSTED_PROXY_HOPS > 0.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR", "/dev/shm" if Path("/dev/shm").is_dir() else None)
preload_app = False  # each worker builds the app (database pools and sandbox pools are per process)
proc_name = "fallwerk-web"
# gunicorn's control socket (gunicornc): in the runtime directory, never in the data directory
# ($HOME of the service user); none when no runtime directory is given.
if os.environ.get("RUNTIME_DIRECTORY"):  # set by systemd's RuntimeDirectory=
    control_socket = str(Path(os.environ["RUNTIME_DIRECTORY"].split(":")[0]) / "gunicorn.ctl")
else:
    control_socket_disable = True

# Access log: one JSON object per line on stdout (journald). The path without the query string
# (%(U)s: search words never reach the log), the request id the app returns, the client from the
# proxy's X-Forwarded-For. "-" = stdout; empty = no access log (the app logs each request too).
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
access_log_format = json.dumps({
    "time": "%(t)s", "logger": "gunicorn.access", "request_id": "%({x-request-id}o)s",
    "client": "%({x-forwarded-for}i)s", "method": "%(m)s", "path": "%(U)s", "status": "%(s)s",
    "bytes": "%(B)s", "duration_ms": "%(M)s",
})

# LOG_FORMAT=json: gunicorn's own messages (start, worker restarts, timeouts) as JSON lines too,
# with the app's formatter; the access lines are JSON already (the format above).
if os.environ.get("LOG_FORMAT") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "app.ops.logs.JsonFormatter"}, "plain": {"format": "%(message)s"}},
        "root": {"level": "INFO", "handlers": []},  # the app installs its own root handler (LOG_FORMAT)
        "handlers": {
            "error": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
            "access": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stdout"},
        },
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": ["error"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        },
    }


# --- Prometheus multiprocess mode -----------------------------------------------------------------
# With several workers each keeps its own counters; with PROMETHEUS_MULTIPROC_DIR set (an empty
# directory only this service writes, e.g. systemd's RuntimeDirectory) they write them to files
# there and /metrics sums them.

def on_starting(server) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):  # counters of an earlier run
            stale.unlink()


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
