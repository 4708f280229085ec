"""``/healthz``, ``/readyz`` and ``/metrics``: for load balancers, systemd/monitoring and
Prometheus. No login, no session, no CSRF, no rate limit; the answers carry no case data.

- ``/healthz``: the process answers (no database): 200 ``{"status": "ok"}``.
- ``/readyz``: 200 when the database answers one statement, its Alembic revision is the code's
  head and the timer worker beat within ``WORKER_HEARTBEAT_STALE_SECONDS`` (0: not checked);
  else 503 with the failing checks.
- ``/metrics``: Prometheus text, only for clients in ``METRICS_ALLOWED_IPS`` or with
  ``Authorization: Bearer <METRICS_TOKEN>``; everyone else gets 404 (nothing to see here).
"""

from __future__ import annotations

import hmac
import ipaddress
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, request
from sqlalchemy import inspect, text

from app import timeutil
from app.extensions import csrf, db, limiter
from app.ops import heartbeat, metrics

bp = Blueprint("ops", __name__)

_HEADS: dict[str, frozenset[str]] = {}  # migrations directory -> head revisions (read once)
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent.parent / "migrations"


def script_heads(directory: Path = MIGRATIONS_DIR) -> frozenset[str]:
    """The head revision(s) of the migration scripts, read once per process."""
    key = str(directory)
    if key not in _HEADS:
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        config = Config()
        config.set_main_option("script_location", key)
        _HEADS[key] = frozenset(ScriptDirectory.from_config(config).get_heads())
    return _HEADS[key]


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/healthz")
@limiter.exempt
@csrf.exempt
def healthz():
    return _no_store(jsonify(status="ok"))


def readiness() -> dict[str, dict]:
    """Each check: ``{"ok": bool, ...}`` with a short English reason when it fails."""
    checks: dict[str, dict] = {}
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            checks["database"] = {"ok": True}
            checks["migrations"] = _migrations(connection)
            checks["timer_worker"] = _timer_worker(connection)
    except Exception as exc:  # noqa: BLE001 - any failure to talk to the database
        current_app.logger.warning("readyz: database check failed: %s", type(exc).__name__)
        checks["database"] = {"ok": False, "reason": f"database unreachable ({type(exc).__name__})"}
        checks.setdefault("migrations", {"ok": False, "reason": "not checked: database unreachable"})
        checks.setdefault("timer_worker", {"ok": False, "reason": "not checked: database unreachable"})
    return checks


def _migrations(connection) -> dict:
    heads = script_heads()
    if not inspect(connection).has_table("alembic_version"):
        return {"ok": False, "reason": "database not stamped by Alembic (run flask db upgrade)"}
    current = frozenset(row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version")))
    if current != heads:
        return {"ok": False, "reason": "database revision is not the code's head (run flask db upgrade)",
                "database": sorted(current), "code": sorted(heads)}
    return {"ok": True}


def _timer_worker(connection) -> dict:
    stale = current_app.config["WORKER_HEARTBEAT_STALE_SECONDS"]
    if stale <= 0:
        return {"ok": True, "checked": False}
    last = heartbeat.latest(connection, "timers")
    if last is None:
        return {"ok": False, "reason": "timer worker never reported (flask --app wsgi timers run)"}
    age = (timeutil.utcnow() - last).total_seconds()
    if age > stale:
        return {"ok": False, "reason": f"timer worker heartbeat older than {stale} s",
                "age_seconds": round(age)}
    return {"ok": True, "age_seconds": round(max(age, 0))}


@bp.route("/readyz")
@limiter.exempt
@csrf.exempt
def readyz():
    checks = readiness()
    ready = all(check["ok"] for check in checks.values())
    response = jsonify(status="ok" if ready else "unavailable", checks=checks)
    response.status_code = 200 if ready else 503
    return _no_store(response)


def metrics_allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN") or ""
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip().encode(), token.encode()):
        return True
    try:
        client = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    if isinstance(client, ipaddress.IPv6Address) and client.ipv4_mapped is not None:
        client = client.ipv4_mapped  # ::ffff:127.0.0.1 on a dual-stack socket
    for allowed in current_app.config["METRICS_ALLOWED_IPS"]:
        try:
            if client in ipaddress.ip_network(allowed, strict=False):
                return True
        except ValueError:
            continue
    return False


@bp.route("/metrics", endpoint="metrics")
@limiter.exempt
@csrf.exempt
def metrics_view():
    if not metrics_allowed():
        abort(404)
    return _no_store(Response(metrics.render(db.engine), content_type=metrics.CONTENT_TYPE))
