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

    created_by: Mapped[User | None] = relationship()
