"""The record of what admins did to accounts (never a password)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import Model, db
from app.timeutil import utcnow

CREATED, CHANGED, ROLES, TEAMS = "created", "changed", "roles", "teams"
DEACTIVATED, ACTIVATED, PASSWORD_RESET, UNLOCKED, SECOND_FACTOR_RESET = (
    "deactivated", "activated", "password_reset", "unlocked", "second_factor_reset")
# The user replaced the admin-set password by their own (actor: the user themself).
PASSWORD_CHANGED = "password_changed"
KINDS = (CREATED, CHANGED, ROLES, TEAMS, DEACTIVATED, ACTIVATED, PASSWORD_RESET, UNLOCKED, SECOND_FACTOR_RESET,
         PASSWORD_CHANGED)


class UserAdminEvent(Model):
    """One change of one account by an admin (``actor``; None: the admin account is gone).

    ``details`` (JSON): for ``changed`` ``{"fields": [{"field", "old", "new"}]}``; for ``roles``
    ``{"added": [...], "removed": [...]}``; for ``teams`` the same with ``[team name, member|lead]``
    pairs; for ``created`` the initial values; for ``created`` and ``password_reset``
    ``"must_change": true`` (the user must choose their own password at the next login);
    otherwise empty.
    """

    __tablename__ = "user_admin_event"
    __table_args__ = (Index("ix_user_admin_event_user_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(30))
    details: Mapped[dict[str, Any]] = mapped_column(db.JSON, default=dict)
    at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
