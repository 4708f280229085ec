"""Tables of the volunteer work around an assignment: questions to 201, expense entries,
trainings / "Stammtisch" meetings with their invitations and attendance."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.engine.models import ProcessInstance
from app.extensions import Model, db
from app.timeutil import utcnow

TZ = db.DateTime(timezone=True)

# Expense entry status values
SUBMITTED, APPROVED, RETURNED = "eingereicht", "genehmigt", "zurueckgegeben"
EXPENSE_STATES = (SUBMITTED, APPROVED, RETURNED)

# Training kinds: a–d as in the concept (seed 000), plus the "Stammtisch" meeting.
TRAINING_KINDS = ("a", "b", "c", "d", "stammtisch")


class CaseMessage(Model):
    """One message of the question thread of an assignment (volunteer ⇄ 201)."""

    __table_args__ = (Index("ix_case_message_instance_created", "instance_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)

    author: Mapped[User] = relationship()


class ExpenseEntry(Model):
    """One expense entry of a volunteer for one assignment.

    ``summe`` is computed with the configured rates when the entry is saved (created or
    corrected) and stays as it is once approved, so later rate changes never alter approved
    amounts.
    """

    __table_args__ = (
        Index("ix_expense_volunteer_datum", "volunteer_id", "datum"),
        Index("ix_expense_status_datum", "status", "datum"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    datum: Mapped[date] = mapped_column(db.Date)
    stunden: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    kilometer: Mapped[Decimal] = mapped_column(Numeric(7, 1), default=Decimal("0"))
    auslagen: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("0"))
    notiz: Mapped[str] = mapped_column(String(500), default="")
    summe: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    status: Mapped[str] = mapped_column(String(20), default=SUBMITTED)
    kommentar: Mapped[str] = mapped_column(String(1000), default="")  # why it was returned
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(TZ)
    created_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)

    instance: Mapped[ProcessInstance] = relationship()
    volunteer: Mapped[User] = relationship(foreign_keys=[volunteer_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class Training(Model):
    """A training (kind a–d) or a "Stammtisch" meeting scheduled by 201."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    datum: Mapped[date] = mapped_column(db.Date, index=True)
    uhrzeit: Mapped[str] = mapped_column(String(5), default="")  # "18:00" or empty
    ort: Mapped[str] = mapped_column(String(200))
    thema: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    # Cancelled by 201 (None = takes place); a cancelled date takes no attendance.
    abgesagt_am: Mapped[datetime | None] = mapped_column(TZ)
    absage_grund: Mapped[str] = mapped_column(String(500), default="", server_default="")

    @property
    def cancelled(self) -> bool:
        return self.abgesagt_am is not None

    @property
    def attendance_recorded(self) -> bool:
        return any(inv.attended is not None for inv in self.invitations)

    invitations: Mapped[list[TrainingInvitation]] = relationship(
        back_populates="training", cascade="all, delete-orphan", order_by="TrainingInvitation.id")


class TrainingInvitation(Model):
    """A volunteer invited to a training; ``attended`` None = attendance not yet recorded."""

    __table_args__ = (UniqueConstraint("training_id", "user_id", name="uq_invitation_training_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("training.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    attended: Mapped[bool | None] = mapped_column()
    invited_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)

    training: Mapped[Training] = relationship(back_populates="invitations")
    user: Mapped[User] = relationship()
