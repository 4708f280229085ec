"""Absence cover (Vertretung): during an absence, a colleague of the same team works on the
absent person's personal tasks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import Model, db
from app.timeutil import utcnow


class Absence(Model):
    __table_args__ = (Index("ix_absence_substitute_dates", "substitute_id", "starts_on", "ends_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    substitute_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    ended_early_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    substitute: Mapped[User] = relationship(foreign_keys=[substitute_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
