"""The outbox of e-mails (written in the transaction of the change, sent after commit) and the
in-app notifications of each user."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model, db
from app.timeutil import utcnow

TZ = db.DateTime(timezone=True)

# Outbox status values
PENDING, SENT, FAILED = "pending", "sent", "failed"
# Notification kinds
KIND_TASK, KIND_CRISIS, KIND_OVERDUE = "task", "crisis", "overdue"


class OutboxMail(Model):
    """One e-mail to one address. Never holds client data: only step names, case references,
    due dates and links (the social data stays in the application)."""

    __table_args__ = (Index("ix_outbox_mail_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    to_addr: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    # Earliest moment of the next attempt; while a sender works on the mail it holds a lease
    # (the moment is pushed into the future) so that no second sender takes it.
    next_attempt_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(TZ)


class Notification(Model):
    """An in-app notice for one user: a new task, a crisis, an overdue task."""

    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    kind: Mapped[str] = mapped_column(String(10), default=KIND_TASK)  # task | crisis | overdue
    title: Mapped[str] = mapped_column(String(300))
    link: Mapped[str] = mapped_column(String(300))  # path inside the application
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    read_at: Mapped[datetime | None] = mapped_column(TZ)
