"""Time that staff record for work outside cases (seed 004: network work, committees, group
offers, events, public relations), counted in the annual report's working-time shares."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Team, User
from app.extensions import Model, db
from app.timeutil import utcnow


class TimeRecord(Model):
    """Minutes one person spent on one activity on one day, for one of their teams."""

    __tablename__ = "time_record"
    __table_args__ = (
        Index("ix_time_record_team_datum", "team_id", "datum"),
        Index("ix_time_record_user_datum", "user_id", "datum"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    datum: Mapped[date] = mapped_column(Date)
    activity: Mapped[str] = mapped_column(String(40))
    minutes: Mapped[int]
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship()
    team: Mapped[Team] = relationship()
