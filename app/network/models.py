"""The partner directory of each organisation, the yearly ratings behind the network map, and
the referrals of cases to partners."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Organisation, User
from app.extensions import Model, db
from app.timeutil import utcnow

TZ = db.DateTime(timezone=True)

# Kinds of partner (sectors of the network map), in map order.
PARTNER_TYPES = (
    "auslaenderbehoerde", "jobcenter", "integrationskurs", "schule", "jmd", "migrantenorganisation",
    "beratungsstelle", "gesundheit", "verein", "sonstige",
)
# Intensity of the cooperation: 3 = close (near the centre of the map) … 1 = occasional.
# Importance: 3 = high (large circle) … 1 = low.
RATINGS = (1, 2, 3)


class Partner(Model):
    """An institution in one organisation's directory; ``intensitaet`` / ``wichtigkeit`` are the
    current ratings (each save also writes the rating of the current year, see PartnerYear)."""

    __table_args__ = (Index("ix_partner_org_name", "organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    name: Mapped[str] = mapped_column(String(200))
    typ: Mapped[str] = mapped_column(String(40))
    anschrift: Mapped[str] = mapped_column(String(300), default="")
    notiz: Mapped[str] = mapped_column(Text, default="")
    intensitaet: Mapped[int] = mapped_column(default=1)
    wichtigkeit: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    contacts: Mapped[list[PartnerContact]] = relationship(
        back_populates="partner", cascade="all, delete-orphan", order_by="PartnerContact.id")


class PartnerContact(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    funktion: Mapped[str] = mapped_column(String(200), default="")
    telefon: Mapped[str] = mapped_column(String(60), default="")
    email: Mapped[str] = mapped_column(String(200), default="")

    partner: Mapped[Partner] = relationship(back_populates="contacts")


class PartnerYear(Model):
    """The rating of a partner in one year: the network map of that year is drawn from these
    rows only, so a past year's map stays as it was (name and type are kept too)."""

    __table_args__ = (
        UniqueConstraint("partner_id", "jahr", name="uq_partner_year"),
        Index("ix_partner_year_org_jahr", "organisation_id", "jahr"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    jahr: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    typ: Mapped[str] = mapped_column(String(40))
    intensitaet: Mapped[int]
    wichtigkeit: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)


class Referral(Model):
    """A case brought to a partner ("Partner einbinden / Verweis")."""

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    anlass: Mapped[str] = mapped_column(String(1000), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)

    partner: Mapped[Partner] = relationship()
    created_by: Mapped[User] = relationship()
