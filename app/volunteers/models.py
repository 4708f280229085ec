"""Tables of the volunteers: their profiles (languages, completed trainings) and the work around an
assignment: questions to 201, expense entries, trainings / "Stammtisch" meetings with their
invitations and attendance."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.engine.models import ProcessInstance
from app.extensions import Model, db
from app.timeutil import utcnow

TZ = db.DateTime(timezone=True)

# Expense entry status values
SUBMITTED, APPROVED, RETURNED = "eingereicht", "genehmigt", "zurueckgegeben"
WITHDRAWN = "zurueckgezogen"  # a returned entry the volunteer took back (counted nowhere)
EXPENSE_STATES = (SUBMITTED, APPROVED, RETURNED, WITHDRAWN)

# Training kinds: a–d as in the concept (seed 000), plus the "Stammtisch" meeting.
TRAINING_KINDS = ("a", "b", "c", "d", "stammtisch")


class VolunteerProfile(Model):
    """What a volunteer and 201 keep about a volunteer for matching (app/volunteers/matching.py).

    One row per volunteer who has a profile; its languages and completed trainings are rows of
    their own. ``as_dict`` / ``apply`` speak the profile's plain-dict shape that the forms,
    templates and matching use (keys: sprachen, sprachniveaus, stunden_pro_woche, wochentage,
    orte, schulungen, schweigepflicht_am, fuehrungszeugnis_am, status).
    """

    __tablename__ = "volunteer_profile"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    stunden_pro_woche: Mapped[float | None] = mapped_column(Float)
    # Short lists of plain values that are shown and matched in Python, never queried in SQL.
    wochentage: Mapped[list[str]] = mapped_column(db.JSON, default=list)  # "mo" … "so"
    orte: Mapped[list[str]] = mapped_column(db.JSON, default=list)
    schweigepflicht_am: Mapped[date | None] = mapped_column(db.Date)
    fuehrungszeugnis_am: Mapped[date | None] = mapped_column(db.Date)
    status: Mapped[str | None] = mapped_column(String(20))  # None: never set (counts as "aktiv")

    languages: Mapped[list[VolunteerLanguage]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="VolunteerLanguage.position")
    trainings: Mapped[list[VolunteerTraining]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="VolunteerTraining.kind")

    def as_dict(self) -> dict[str, Any]:
        hours = self.stunden_pro_woche
        return {
            "sprachen": [lang.name for lang in self.languages],
            "sprachniveaus": {lang.name: lang.level for lang in self.languages if lang.level},
            "stunden_pro_woche": None if hours is None else int(hours) if hours == int(hours) else hours,
            "wochentage": list(self.wochentage or []),
            "orte": list(self.orte or []),
            "schulungen": {t.kind: t.completed_on.isoformat() for t in self.trainings},
            "schweigepflicht_am": _iso(self.schweigepflicht_am),
            "fuehrungszeugnis_am": _iso(self.fuehrungszeugnis_am),
            "status": self.status,
        }

    def apply(self, changes: dict[str, Any]) -> None:
        """Set the keys given in ``changes`` (dict shape as in ``as_dict``); others stay.

        Rows of languages and trainings that stay are kept (only their level, position or date
        change), so the unique constraints hold at every step of the flush.
        """
        if "sprachen" in changes or "sprachniveaus" in changes:
            names = list(dict.fromkeys(changes["sprachen"] or [])) if "sprachen" in changes \
                else [lang.name for lang in self.languages]
            levels = (changes["sprachniveaus"] or {}) if "sprachniveaus" in changes \
                else {lang.name: lang.level for lang in self.languages}
            old = {lang.name: lang for lang in self.languages}
            rows = []
            for position, name in enumerate(names):
                row = old.get(name) or VolunteerLanguage(name=name)
                row.position, row.level = position, levels.get(name) or None
                rows.append(row)
            self.languages = rows
        if "stunden_pro_woche" in changes:
            hours = changes["stunden_pro_woche"]
            self.stunden_pro_woche = None if hours is None else float(hours)
        if "wochentage" in changes:
            self.wochentage = list(changes["wochentage"] or [])
        if "orte" in changes:
            self.orte = list(changes["orte"] or [])
        if "schulungen" in changes:
            self.set_trainings({k: date.fromisoformat(v) for k, v in (changes["schulungen"] or {}).items() if v})
        for key in ("schweigepflicht_am", "fuehrungszeugnis_am"):
            if key in changes:
                setattr(self, key, date.fromisoformat(changes[key]) if changes[key] else None)
        if "status" in changes:
            self.status = changes["status"] or None

    def set_trainings(self, completed: dict[str, date]) -> None:
        """Completed trainings, kind → date; kinds not given are removed."""
        old = {t.kind: t for t in self.trainings}
        rows = []
        for kind, day in sorted(completed.items()):
            row = old.get(kind) or VolunteerTraining(kind=kind)
            row.completed_on = day
            rows.append(row)
        self.trainings = rows


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


class VolunteerLanguage(Model):
    """A language a volunteer speaks, with the level if given (A1 … C2, Muttersprache)."""

    __tablename__ = "volunteer_language"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_volunteer_language_user_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profile.user_id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)  # order as the volunteer wrote them
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str | None] = mapped_column(String(20))


class VolunteerTraining(Model):
    """A completed training of a volunteer: kind a–d and the (latest) date it was completed.

    Entered by 201 on the profile or set from recorded attendance (app/volunteers/trainings.py).
    """

    __tablename__ = "volunteer_training"

    user_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profile.user_id", ondelete="CASCADE"),
                                         primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    completed_on: Mapped[date] = mapped_column(db.Date)


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
    training_id: Mapped[int] = mapped_column(ForeignKey("training.id"))  # led by the unique constraint
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    attended: Mapped[bool | None] = mapped_column()
    # The profile's date of this training kind that recorded attendance replaced (None: there
    # was none, or it was not older); taking the attendance back restores it.
    replaced_on: Mapped[date | None] = mapped_column(db.Date)
    invited_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)

    training: Mapped[Training] = relationship(back_populates="invitations")
    user: Mapped[User] = relationship()
