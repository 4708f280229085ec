"""Prometheus metrics (``/metrics``, prometheus-client).

- ``fallwerk_http_request_duration_seconds`` (histogram): per Flask endpoint, method and status
  class (2xx, 3xx, ...): bounded labels, never a path or an id.
- ``fallwerk_task_completions_total``: tasks completed (engine signal ``task_completed``).
- ``fallwerk_timer_lag_seconds`` (histogram): from a timer's due time to its firing (engine
  signal ``timer_fired``; observed in the process that fires, the timer worker).
- ``fallwerk_sandbox_evaluations_total``: scripts and expressions run in the sandbox, by mode
  (eval | exec) and result (ok | error) (engine signal ``sandbox_evaluated``).
- ``fallwerk_mail_queue``: outbox mails waiting to be sent, counted at each scrape.

Several gunicorn workers: set ``PROMETHEUS_MULTIPROC_DIR`` (an empty directory, wiped by
gunicorn's ``on_starting`` in deploy/gunicorn.conf.py, dead workers marked in ``child_exit``);
each scrape then sums the files of all workers. The timer worker is a separate service: it
serves its own metrics on ``TIMER_METRICS_PORT`` (loopback only) when that is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from app import timeutil

#: The app's own metrics (not prometheus-client's global registry: no process/platform noise,
#: and the multiprocess mode collects from files instead).
REGISTRY = CollectorRegistry(auto_describe=True)

REQUEST_LATENCY = Histogram(
    "fallwerk_http_request_duration_seconds", "Time to answer a request, by Flask endpoint",
    ["endpoint", "method", "status"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
TASK_COMPLETIONS = Counter("fallwerk_task_completions", "Tasks completed", registry=REGISTRY)
TIMER_LAG = Histogram(
    "fallwerk_timer_lag_seconds", "Seconds from a timer's due time until it fired", registry=REGISTRY,
    buckets=(0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0))
SANDBOX_EVALUATIONS = Counter("fallwerk_sandbox_evaluations", "Scripts and expressions run in the sandbox",
                              ["mode", "result"], registry=REGISTRY)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def observe_request(endpoint: str | None, method: str, status: int, seconds: float) -> None:
    REQUEST_LATENCY.labels(endpoint or "unmatched", method if method in METHODS else "other",
                           f"{status // 100}xx").observe(seconds)


def on_task_completed(_instance: Any, **_kwargs: Any) -> None:
    TASK_COMPLETIONS.inc()


def on_timer_fired(_instance: Any, due_at=None, **_kwargs: Any) -> None:
    if due_at is not None:
        TIMER_LAG.observe(max(0.0, (timeutil.utcnow() - timeutil.aware(due_at)).total_seconds()))


def on_sandbox_evaluated(_sender: Any, mode: str = "eval", ok: bool = True, **_kwargs: Any) -> None:
    SANDBOX_EVALUATIONS.labels("exec" if mode == "exec" else "eval", "ok" if ok else "error").inc()


def connect_signals() -> None:
    """Hook the engine's signals (weak=False: the receivers are module functions anyway)."""
    from app.engine import signals

    signals.task_completed.connect(on_task_completed, weak=False)
    signals.timer_fired.connect(on_timer_fired, weak=False)
    signals.sandbox_evaluated.connect(on_sandbox_evaluated, weak=False)


class _MailQueue(Collector):
    """The outbox size, counted when scraped (needs the app context of the scrape)."""

    def __init__(self, engine) -> None:
        self.engine = engine

    def collect(self) -> Iterable[GaugeMetricFamily]:
        from app.notify.models import PENDING, OutboxMail

        gauge = GaugeMetricFamily("fallwerk_mail_queue", "Outbox mails waiting to be sent")
        try:
            with self.engine.connect() as connection:
                count = connection.execute(
                    select(func.count()).select_from(OutboxMail).where(OutboxMail.status == PENDING)).scalar()
        except Exception:  # noqa: BLE001 - the database is down: the other metrics still answer
            up = GaugeMetricFamily("fallwerk_database_up", "Database reachable at scrape time", value=0)
            yield up
            return
        gauge.add_metric([], float(count or 0))
        yield gauge
        yield GaugeMetricFamily("fallwerk_database_up", "Database reachable at scrape time", value=1)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir") or None


def render(engine) -> bytes:
    """The exposition text: the counters of this process (or of all workers in multiprocess
    mode), then the gauges computed now."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        counters = generate_latest(registry)
    else:
        counters = generate_latest(REGISTRY)
    now = CollectorRegistry()
    now.register(_MailQueue(engine))
    return counters + generate_latest(now)


def serve_worker_metrics(port: int, address: str = "127.0.0.1") -> None:
    """The timer worker's own metrics endpoint (timer lag, sandbox evaluations)."""
    if port:
        from prometheus_client import start_http_server

        start_http_server(port, addr=address, registry=REGISTRY)
