"""Legal holds (a case exempt from erasure until released) and the record of erasure runs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.engine.models import ProcessInstance
from app.extensions import Model, db
from app.timeutil import utcnow

TZ = db.DateTime(timezone=True)


class LegalHold(Model):
    """A legal hold on a case (Löschsperre): who set it, why and when; released by whom and when.

    Released holds stay as the record of the decision. At most one hold per case is active
    (``released_at`` empty): a partial unique index, so two simultaneous requests cannot both set one.
    """

    __tablename__ = "legal_hold"
    __table_args__ = (
        Index("ix_legal_hold_active", "instance_id", unique=True,
              sqlite_where=db.text("released_at IS NULL"), postgresql_where=db.text("released_at IS NULL")),
        Index("ix_legal_hold_instance_id", "instance_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    released_at: Mapped[datetime | None] = mapped_column(TZ)

    instance: Mapped[ProcessInstance] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    released_by: Mapped[User | None] = relationship(foreign_keys=[released_by_id])

    @property
    def active(self) -> bool:
        return self.released_at is None


class RetentionRun(Model):
    """One erasure run. The timer worker's daily run claims its office day (``day`` is unique, so
    of several workers exactly one runs it); ``flask retention run`` leaves ``day`` empty."""

    __tablename__ = "retention_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date | None] = mapped_column(db.Date, unique=True)
    via: Mapped[str] = mapped_column(String(20))  # "worker" or "cli"
    started_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(TZ)
    erased: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
