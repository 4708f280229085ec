"""The mapping of directory groups to Fallwerk teams and roles (edited by admins in the browser)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Team, User
from app.extensions import Model, db
from app.timeutil import utcnow

SOURCE_LDAP, SOURCE_OIDC = "ldap", "oidc"
SOURCES = (SOURCE_LDAP, SOURCE_OIDC)
MEMBER, LEAD = "member", "lead"


class GroupMapping(Model):
    """A directory group (LDAP group DN or OIDC ``groups`` claim value, compared case-insensitively)
    gives its members a team membership (member or lead) and/or a role."""

    __table_args__ = (UniqueConstraint("source", "group_name", "team_id", "kind", "role",
                                       name="uq_group_mapping_entry"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(10))  # ldap | oidc
    group_name: Mapped[str] = mapped_column(String(300))  # stored lower-case
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str | None] = mapped_column(String(10))  # member | lead (with a team)
    role: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    team: Mapped[Team | None] = relationship()
    created_by: Mapped[User | None] = relationship()


class GroupMappingEvent(Model):
    """The audit trail of the mapping table: who added or deleted which entry, when (the entry is
    copied as text: it may be gone)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(10))  # added | deleted
    entry: Mapped[str] = mapped_column(String(500))

    user: Mapped[User | None] = relationship()


class OidcLogin(Model):
    """The ID token of one OpenID Connect login, kept (only) to end the session at the provider
    when the person logs out (``id_token_hint``, app/directory/oidc.py). The browser's session
    holds ``key``; the row goes at that logout, or after the session's longest lifetime."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    id_token: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow, index=True)
