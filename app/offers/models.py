"""The offers catalogue: one row per offer of a provider from the partner directory."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model, db
from app.network.models import Partner
from app.timeutil import utcnow

TZ = db.DateTime(timezone=True)

#: German language levels in order (a person's "Muttersprache" counts as above C2).
LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")


class Offer(Model):
    """An offer (course, training place, programme, counselling) of one organisation's catalogue.

    Target conditions: ``alter_min``/``alter_max`` (inclusive, None = no limit), the admitted
    residence statuses and benefits systems (keys of ``forms.junge_erwachsene``; an empty list
    admits all) and the minimum German level (None = none). ``plaetze`` is the capacity (None =
    no limit), ``plaetze_belegt`` the places taken, kept by the team.
    """

    __tablename__ = "offer"
    __table_args__ = (Index("ix_offer_org_active", "organisation_id", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    titel: Mapped[str] = mapped_column(String(200))
    art: Mapped[str] = mapped_column(String(40))
    beschreibung: Mapped[str] = mapped_column(Text, default="")
    alter_min: Mapped[int | None] = mapped_column()
    alter_max: Mapped[int | None] = mapped_column()
    aufenthaltsstatus: Mapped[list] = mapped_column(db.JSON, default=list)
    leistungssysteme: Mapped[list] = mapped_column(db.JSON, default=list)
    sprachniveau_min: Mapped[str | None] = mapped_column(String(2))
    plaetze: Mapped[int | None] = mapped_column()
    plaetze_belegt: Mapped[int] = mapped_column(default=0)
    beginn: Mapped[date | None] = mapped_column(db.Date)
    ende: Mapped[date | None] = mapped_column(db.Date)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)

    provider: Mapped[Partner] = relationship()

    @property
    def frei(self) -> int | None:
        """Free places (None: no limit)."""
        return None if self.plaetze is None else max(self.plaetze - (self.plaetze_belegt or 0), 0)
