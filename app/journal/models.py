"""Journal entries of a case, their revisions (corrections keep the earlier text) and topics."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.engine.models import ProcessInstance, Task
from app.extensions import Model, db
from app.timeutil import utcnow

GESPRAECH, TELEFONAT, HAUSBESUCH = "gespraech", "telefonat", "hausbesuch"
SCHRIFTVERKEHR, FALLKONFERENZ, NOTIZ = "schriftverkehr", "fallkonferenz", "notiz"
KINDS = [
    (GESPRAECH, _l("Gespräch")),
    (TELEFONAT, _l("Telefonat")),
    (HAUSBESUCH, _l("Hausbesuch")),
    (SCHRIFTVERKEHR, _l("E-Mail/Brief")),
    (FALLKONFERENZ, _l("Fallkonferenz")),
    (NOTIZ, _l("Notiz")),
]
KIND_LABELS = dict(KINDS)
# Contacts with the client that count as sessions (MBE: Beratungsgespräche) in the reports.
SESSION_KINDS = (GESPRAECH, TELEFONAT, HAUSBESUCH)
DURATION_MAX = 600  # minutes; one entry is one contact of a working day at most


class JournalEntry(Model):
    """One contact or note in a case's journal. The columns hold the current version; every
    version (the first one included) is a ``JournalRevision`` row, so a correction never loses
    what was written before."""

    __tablename__ = "journal_entry"
    __table_args__ = (
        Index("ix_journal_entry_instance_day", "instance_id", "day"),
        Index("ix_journal_entry_day_kind", "day", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    day: Mapped[date] = mapped_column(Date)  # the day of the contact
    duration_minutes: Mapped[int | None]
    text: Mapped[str] = mapped_column(Text)
    next_steps: Mapped[str] = mapped_column(Text, default="")
    shared_with_volunteer: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
    follow_up_task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))

    instance: Mapped[ProcessInstance] = relationship()
    author: Mapped[User] = relationship()
    follow_up_task: Mapped[Task | None] = relationship()
    topic_rows: Mapped[list[JournalTopic]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="JournalTopic.id")
    revisions: Mapped[list[JournalRevision]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="JournalRevision.number")

    @property
    def topics(self) -> list[str]:
        return [row.topic for row in self.topic_rows]

    @property
    def corrected(self) -> bool:
        return len(self.revisions) > 1

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))


class JournalRevision(Model):
    """One version of an entry: number 1 is what was first written, each correction adds one."""

    __tablename__ = "journal_revision"
    __table_args__ = (UniqueConstraint("entry_id", "number", name="uq_journal_revision_entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id"))
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    day: Mapped[date] = mapped_column(Date)
    duration_minutes: Mapped[int | None]
    topics: Mapped[list] = mapped_column(db.JSON, default=list)
    text: Mapped[str] = mapped_column(Text)
    next_steps: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(String(500), default="")  # why it was corrected
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)

    entry: Mapped[JournalEntry] = relationship(back_populates="revisions")
    author: Mapped[User] = relationship()


class JournalTopic(Model):
    """One topic of an entry's current version (indexed rows for counting by topic)."""

    __tablename__ = "journal_topic"
    __table_args__ = (Index("ix_journal_topic_topic", "topic", "entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id"), index=True)
    topic: Mapped[str] = mapped_column(String(40))

    entry: Mapped[JournalEntry] = relationship(back_populates="topic_rows")
