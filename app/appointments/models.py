"""Appointments of cases, their participants, and each user's private calendar feed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.engine.models import ProcessInstance
from app.extensions import Model, db
from app.timeutil import utcnow

TZ = db.DateTime(timezone=True)

# Appointment status values: cancelling is recorded, never a deletion.
SCHEDULED, CANCELLED = "scheduled", "cancelled"


class Appointment(Model):
    __table_args__ = (
        # A case's appointments by time (case view), and the reminder round's due appointments.
        Index("ix_appointment_instance_starts", "instance_id", "starts_at"),
        Index("ix_appointment_status_starts", "status", "starts_at", "reminder_sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    kind: Mapped[str] = mapped_column(String(30), default="termin")
    title: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(TZ)  # UTC
    ends_at: Mapped[datetime] = mapped_column(TZ)
    place: Mapped[str] = mapped_column(String(200), default="")
    # The family's / client's language (a note for interpreters), taken from the case when booked.
    language: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default=SCHEDULED)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    # Raised on every change, so calendar programs replace their copy (RFC 5545 SEQUENCE).
    sequence: Mapped[int] = mapped_column(default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(TZ)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reminder_sent_at: Mapped[datetime | None] = mapped_column(TZ)  # the one reminder before it

    instance: Mapped[ProcessInstance] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])
    participants: Mapped[list[AppointmentParticipant]] = relationship(
        back_populates="appointment", cascade="all, delete-orphan", order_by="AppointmentParticipant.id")

    @property
    def cancelled(self) -> bool:
        return self.status == CANCELLED

    @property
    def people(self) -> list[User]:
        return [p.user for p in self.participants]


class AppointmentParticipant(Model):
    __table_args__ = (
        UniqueConstraint("appointment_id", "user_id", name="uq_appointment_participant_appointment_id"),
        # "my appointments": from the person to the appointments.
        Index("ix_appointment_participant_user", "user_id", "appointment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    appointment: Mapped[Appointment] = relationship(back_populates="participants")
    user: Mapped[User] = relationship()


class CalendarFeed(Model):
    """A user's private calendar feed: only the SHA-256 of the secret in its URL is kept (the URL
    is shown once, when made); no secret = no feed (revoked). ``show_names`` is the user's choice
    to see case titles (client names) in their calendar program."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime | None] = mapped_column(TZ)
    show_names: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    user: Mapped[User] = relationship()
