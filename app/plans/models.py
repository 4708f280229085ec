"""Tables of the living plan: one row per goal and one per recorded change."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import Model, db
from app.timeutil import utcnow

TZ = db.DateTime(timezone=True)

OPEN = "offen"
#: A goal that is no longer pursued leaves the case data's ``ziele`` (later steps do not rate it)
#: but stays in the plan and its history.
DROPPED = "nicht_weiter_verfolgt"


class PlanGoal(Model):
    """One goal of a case's plan.

    ``fields`` holds the goal as the process's forms know it (Alltagsbegleitung: beschreibung,
    frist, ueberpruefung; MBE: bereich, ziel, frist, partner, anmerkung), without the status,
    which is a column of its own (open goals are what reviews and the closing meeting rate).
    """

    __tablename__ = "plan_goal"
    __table_args__ = (Index("ix_plan_goal_instance_position", "instance_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    position: Mapped[int] = mapped_column(default=0)
    fields: Mapped[dict] = mapped_column(db.JSON, default=dict)
    frist: Mapped[date | None] = mapped_column(db.Date)
    status: Mapped[str] = mapped_column(String(30), default=OPEN)
    created_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(TZ)


class PlanChange(Model):
    """One recorded change of a plan: who, when, which goal, before and after.

    All changes saved together share one plan ``version`` (the Integrationsvereinbarung prints
    the newest); the version of a case's plan is the largest recorded one.
    """

    __tablename__ = "plan_change"
    __table_args__ = (Index("ix_plan_change_instance_version", "instance_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    goal_id: Mapped[int | None] = mapped_column(ForeignKey("plan_goal.id"))
    version: Mapped[int] = mapped_column(default=1)
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    before: Mapped[dict | None] = mapped_column(db.JSON)
    after: Mapped[dict | None] = mapped_column(db.JSON)
    note: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship()
    goal: Mapped[PlanGoal | None] = relationship()
