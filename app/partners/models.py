"""The invitation of a partner organisation's staff member to a case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import Model, db
from app.timeutil import utcnow

TZ = db.DateTime(timezone=True)


class PartnerInvitation(Model):
    """A partner user invited to a case with the data categories they may read.

    Beside it the case has a participant row (level ``partner``) that makes the case visible;
    both go when the invitation ends. What the partner reads is derived at every request from
    these categories and the case's current consent (``services.reading``)."""

    __tablename__ = "partner_invitation"
    __table_args__ = (
        UniqueConstraint("instance_id", "user_id", name="uq_partner_invitation_instance_user"),
        Index("ix_partner_invitation_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    partner_type: Mapped[str] = mapped_column(String(40))
    categories: Mapped[list] = mapped_column(db.JSON, default=list)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    invited_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
