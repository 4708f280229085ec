"""MBE tables: clients (only with consent) and the anonymous statistics rows."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Team, User
from app.extensions import Model, db
from app.timeutil import utcnow


class Client(Model):
    """A person counselled by the MBE service; created only with recorded consent.

    One client can have several cases over time (``CaseClient``). The
    ``*_norm`` columns hold the search form of the names (lower case, umlauts spelt out).
    """

    __tablename__ = "mbe_client"
    __table_args__ = (
        Index("ix_mbe_client_org_nachname", "organisation_id", "nachname_norm"),
        Index("ix_mbe_client_org_vorname", "organisation_id", "vorname_norm"),
        Index("ix_mbe_client_org_dob", "organisation_id", "geburtsdatum"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    vorname: Mapped[str] = mapped_column(String(120), default="")
    nachname: Mapped[str] = mapped_column(String(120))
    vorname_norm: Mapped[str] = mapped_column(String(120), default="")
    nachname_norm: Mapped[str] = mapped_column(String(120))
    geburtsdatum: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    team: Mapped[Team] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def name(self) -> str:
        return f"{self.vorname} {self.nachname}".strip()


class CaseClient(Model):
    """The client an MBE case is about, once known with consent; no row = anonymous case.

    MBE's own table, so that the generic ``process_instance`` knows nothing of MBE clients.
    Read and written only through app/mbe/clients.py.
    """

    __tablename__ = "mbe_case_client"

    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"),
                                             primary_key=True)
    # The earlier cases of a client (search page): indexed.
    client_id: Mapped[int] = mapped_column(ForeignKey("mbe_client.id"), index=True)


class MbeCaseStat(Model):
    """One anonymous row per MBE case for the statistics (no names, no free text).

    Written by the completion hook from the Erstkontakt's anonymous fields and later steps.
    """

    __tablename__ = "mbe_case_stat"

    # The period of the case is the instance's started_at / ended_at (indexed there).
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    altersgruppe: Mapped[str] = mapped_column(String(20), default="unbekannt")
    geschlecht: Mapped[str] = mapped_column(String(40), default="unbekannt")
    herkunftsland: Mapped[str] = mapped_column(String(80), default="unbekannt")
    aufenthaltsstatus: Mapped[str] = mapped_column(String(80), default="unbekannt")
    # beratung | case_management | verweis (referred elsewhere)
    art: Mapped[str] = mapped_column(String(30), default="beratung")
    abschlussgrund: Mapped[str | None] = mapped_column(String(80))


class MbeStatFact(Model):
    """Countable facts of a case on a day: a topic of one counselling session (kind "thema"),
    the latest status of one goal of the plan (kind "ziel": category = goal area)."""

    __tablename__ = "mbe_stat_fact"
    __table_args__ = (Index("ix_mbe_stat_fact_team_kind_day", "team_id", "kind", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    kind: Mapped[str] = mapped_column(String(20))
    day: Mapped[date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(80), default="")
    value: Mapped[str] = mapped_column(String(80), default="")
    # For facts rewritten on every change (goals): which entry of the case they stand for.
    source: Mapped[str] = mapped_column(String(80), default="")
