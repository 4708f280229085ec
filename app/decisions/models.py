"""Stored versions of decision tables (DMN)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import Model, db
from app.timeutil import utcnow

SOURCE_FILE, SOURCE_EDITOR = "datei", "editor"


class DecisionTable(Model):
    """One version of one DMN decision (the newest number per ``decision_id`` is current)."""

    __table_args__ = (UniqueConstraint("decision_id", "number", name="uq_decision_table_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[str] = mapped_column(String(120))  # led by uq_decision_table_number
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(200), default="")
    dmn_xml: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    # Where it came from: "datei" (processes/*.dmn via `flask processes sync`) or "editor".
    source: Mapped[str] = mapped_column(String(20), default=SOURCE_FILE)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    comment: Mapped[str] = mapped_column(String(500), default="")
    # The editor's source of the version (JSON of ``app.decisions.table.TableModel``: cells with
    # named constants, test cases); None for versions imported from a file (read from the DMN).
    editor_json: Mapped[str | None] = mapped_column(Text)

    created_by: Mapped[User | None] = relationship()


# Status of a draft: open ones are "entwurf", "eingereicht" (waiting for a second process owner)
# and "abgelehnt" (with a reason, back to its author); closed ones are "veroeffentlicht" and "verworfen".
DRAFT, SUBMITTED, REJECTED, PUBLISHED, DISCARDED = "entwurf", "eingereicht", "abgelehnt", "veroeffentlicht", "verworfen"
OPEN_STATUSES = (DRAFT, SUBMITTED, REJECTED)


class DecisionDraft(Model):
    """A change of a decision table that the engine does not use until it is published.

    At most one draft per decision is open; publishing it (after four-eyes approval, if
    required) stores a new :class:`DecisionTable` version.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[str] = mapped_column(String(120), index=True)
    base_number: Mapped[int]  # the version the draft started from
    model_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    comment: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(String(1000), default="")  # why it was rejected
    published_number: Mapped[int | None]
    # Everyone who saved this draft: none of them may approve it (four-eyes).
    editor_ids: Mapped[list] = mapped_column(db.JSON, default=list)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
