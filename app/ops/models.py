"""The timer worker's heartbeat: one row per worker (name and host), written each loop round;
``/readyz`` reports the workers whose last beat is too old."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model, db
from app.timeutil import utcnow


class WorkerHeartbeat(Model):
    __tablename__ = "worker_heartbeat"
    __table_args__ = (UniqueConstraint("name", "host", name="uq_worker_heartbeat_name_host"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))  # "timers"
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    beat_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
