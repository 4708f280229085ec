"""Lane rules and starter teams of a process model as data (set by the process owner).

A process owner decides per process model which team each lane of it goes to and which teams
may start it (app/processsetup). Routing (app/engine/lanes.py) and the start permission
(app/auth/access.py) consult these rows first and fall back to the shipped declarations
(``processes/<key>.lanes.toml``, the start departments of ``flask processes sync``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Team
from app.engine.models import ProcessModel
from app.extensions import Model, db


class ProcessLaneRule(Model):
    """Where the user tasks of one lane of one process model go: ``rule`` is one of
    ``app.engine.lanes.RULES``; ``team`` for the rule "team", ``field`` for "user_from_data"."""

    __table_args__ = (UniqueConstraint("model_id", "lane", name="uq_process_lane_rule_model_lane"),
                      Index("ix_process_lane_rule_team", "team_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("process_model.id"))  # led by the unique constraint
    lane: Mapped[str] = mapped_column(String(120))
    rule: Mapped[str] = mapped_column(String(40))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    field: Mapped[str | None] = mapped_column(String(80))

    model: Mapped[ProcessModel] = relationship()
    team: Mapped[Team | None] = relationship()


class ProcessStarterTeam(Model):
    """A team whose members may start cases of the process model."""

    __table_args__ = (UniqueConstraint("model_id", "team_id", name="uq_process_starter_team_model_team"),
                      Index("ix_process_starter_team_team", "team_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("process_model.id"))  # led by the unique constraint
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))

    model: Mapped[ProcessModel] = relationship()
    team: Mapped[Team] = relationship()


_MEMO = "engine.lane_rules"  # db.session.info key: lane rules read during one engine change


@contextmanager
def lane_rules_memo() -> Iterator[None]:
    """Read each model's lane rules once for the block (one engine change: a completion routes
    its new tasks and adds the data participants from the same rules, which cannot change
    meanwhile)."""
    outer = _MEMO in db.session.info
    if not outer:
        db.session.info[_MEMO] = {}
    try:
        yield
    finally:
        if not outer:
            db.session.info.pop(_MEMO, None)


def lane_rules(model_id: int | None) -> dict[str, tuple[str, str | None]]:
    """Lane name -> (rule, team key or data field) as the process owner set them for the model."""
    if model_id is None:
        return {}
    memo = db.session.info.get(_MEMO)
    if memo is not None:
        if model_id not in memo:
            memo[model_id] = _read_lane_rules(model_id)
        return memo[model_id]
    return _read_lane_rules(model_id)


def _read_lane_rules(model_id: int) -> dict[str, tuple[str, str | None]]:
    rows = db.session.execute(
        select(ProcessLaneRule.lane, ProcessLaneRule.rule, ProcessLaneRule.field, Team.key)
        .outerjoin(Team, Team.id == ProcessLaneRule.team_id)
        .where(ProcessLaneRule.model_id == model_id)).all()
    return {lane: (rule, team_key if team_key is not None else field) for lane, rule, field, team_key in rows}


def model_id_of(process_key: str | None) -> int | None:
    if not process_key:
        return None
    return db.session.scalar(select(ProcessModel.id).where(ProcessModel.key == process_key))


def starter_team_ids(model_id: int) -> set[int]:
    """The teams set as starters of the model (empty: none set, the start departments count)."""
    return set(db.session.scalars(select(ProcessStarterTeam.team_id).where(ProcessStarterTeam.model_id == model_id)))
