"""The counselling log's fact rows: one per recorded contact, written when it is completed.

The statistics count these rows with plain SQL (GROUP BY kind, topic, activity); the case file
(``process_instance.data``) stays the source, these rows are its indexed, typed copy.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Team
from app.extensions import Model, db
from app.timeutil import utcnow


class ContactRecord(Model):
    """One consultation, phone call, home visit or event of the coordination office."""

    __table_args__ = (Index("ix_contact_team_datum", "team_id", "datum"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    datum: Mapped[date] = mapped_column(Date)
    art: Mapped[str] = mapped_column(String(20))  # sprechstunde | telefon | hausbesuch | veranstaltung
    taetigkeit: Mapped[str] = mapped_column(String(30))  # beratung | case_management | ...
    dauer_minuten: Mapped[int]
    veranstaltungsart: Mapped[str | None] = mapped_column(String(40))
    teilnehmende: Mapped[int | None]
    nachverfolgung: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)

    team: Mapped[Team] = relationship()
    topics: Mapped[list[ContactTopic]] = relationship(back_populates="contact", cascade="all, delete-orphan")


class ContactTopic(Model):
    """One topic of a contact (a contact may have several)."""

    __table_args__ = (Index("ix_contact_topic_topic", "topic", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact_record.id"), index=True)
    topic: Mapped[str] = mapped_column(String(40))

    contact: Mapped[ContactRecord] = relationship(back_populates="topics")
