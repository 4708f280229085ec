"""One anonymous row per young adult's case for the alliance figures (no names, no free text).

Written by the completion hook (app/alliance/facts.py) in the transaction of each step; it holds
only categories and days, so it stays when the personal data of a case are erased (app/erasure).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model

UNKNOWN = "unbekannt"


class AllianceCaseFact(Model):
    """A case of the target group (intake done, 18 to 27): its current residence status and
    benefits system, the intake day, the day of its first offer of training or employment
    (kept once set: the person did receive an offer, whatever became of it) and the outcome."""

    __tablename__ = "alliance_case_fact"

    # The period of the case is the instance's started_at / ended_at (indexed there).
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    aufnahme_datum: Mapped[date | None] = mapped_column(Date)
    aufenthaltsstatus: Mapped[str] = mapped_column(String(40), default=UNKNOWN)
    leistungssystem: Mapped[str] = mapped_column(String(40), default=UNKNOWN)
    erstes_angebot: Mapped[date | None] = mapped_column(Date)
    ergebnis: Mapped[str | None] = mapped_column(String(40))
