"""Operations: health and readiness probes, Prometheus metrics, structured logs with a request
id, the workers' heartbeat (see README, "Running in production")."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Call early in ``create_app``: the request id must be set before other request hooks log."""
    from app.ops import logs, metrics
    from app.ops.routes import bp

    logs.init_app(app)
    metrics.connect_signals()
    app.register_blueprint(bp)
