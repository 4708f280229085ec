"""Heartbeats of background workers (the timer worker beats once per loop round)."""

from __future__ import annotations

import os
import socket
from datetime import datetime

from sqlalchemy import select

from app import timeutil
from app.extensions import db
from app.ops.models import WorkerHeartbeat


def beat(name: str) -> WorkerHeartbeat:
    """Record that worker ``name`` on this host is alive now (flushes; the caller commits)."""
    host = socket.gethostname()[:255]
    row = db.session.scalars(select(WorkerHeartbeat).where(WorkerHeartbeat.name == name,
                                                           WorkerHeartbeat.host == host)).first()
    if row is None:
        row = WorkerHeartbeat(name=name, host=host)
        db.session.add(row)
    row.pid = os.getpid()
    row.beat_at = timeutil.utcnow()
    db.session.flush()
    return row


def latest(connection, name: str) -> datetime | None:
    """The newest beat of worker ``name`` on any host (None: it never ran)."""
    value = connection.execute(
        select(WorkerHeartbeat.beat_at).where(WorkerHeartbeat.name == name)
        .order_by(WorkerHeartbeat.beat_at.desc()).limit(1)).scalar()
    return timeutil.aware(value)
