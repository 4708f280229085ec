"""Recording time outside cases, and the working-time shares of the annual report.

Two receivers of :data:`app.worktime.activities.activity_minutes` live here: the recorded time
(``time_record``) and the counselling log of 201 (``contact_record``: its "Art der Tätigkeit" and
duration). The case journal connects its own receiver (see the contract in activities.py).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.auth.models import LEAD, MEMBER, ROLE_LEITUNG, Membership, Team, User
from app.counselling.models import ContactRecord
from app.extensions import db
from app.worktime.activities import MinuteMap, Shares, activity_minutes, collect, shares
from app.worktime.models import TimeRecord

#: The counselling log's "Art der Tätigkeit" (forms/beratungskontakt.py) → activity key.
COUNSELLING_ACTIVITIES = {"beratung": "beratung", "case_management": "case_management",
                          "gruppenarbeit": "gruppenangebote", "netzwerkarbeit": "netzwerkarbeit"}


def record_teams(user: User) -> list[Team]:
    """Teams ``user`` may record time for: those they work in or lead."""
    return list(db.session.scalars(
        select(Team).join(Membership, Membership.team_id == Team.id)
        .where(Membership.user_id == user.id, Membership.kind.in_((MEMBER, LEAD)))
        .order_by(Team.name, Team.id)
    ).unique())


def supervised_teams(user: User) -> list[Team]:
    """Teams whose recorded time ``user`` reads (a supervisor of those teams)."""
    if not user.has_role(ROLE_LEITUNG):
        return []
    return list(db.session.scalars(
        select(Team).join(Membership, Membership.team_id == Team.id)
        .where(Membership.user_id == user.id, Membership.kind == LEAD).order_by(Team.name, Team.id)
    ).unique())


def add_record(user: User, team: Team, *, datum: date, activity: str, minutes: int, note: str | None) -> TimeRecord:
    record = TimeRecord(user_id=user.id, team_id=team.id, datum=datum, activity=activity, minutes=minutes,
                        note=(note or "").strip())
    db.session.add(record)
    db.session.flush()
    return record


def delete_record(record: TimeRecord) -> None:
    db.session.delete(record)
    db.session.flush()


def _year(year: int):
    return TimeRecord.datum >= date(year, 1, 1), TimeRecord.datum <= date(year, 12, 31)


def own_records(user: User, year: int) -> list[TimeRecord]:
    return list(db.session.scalars(
        select(TimeRecord).options(selectinload(TimeRecord.team))
        .where(TimeRecord.user_id == user.id, *_year(year))
        .order_by(TimeRecord.datum.desc(), TimeRecord.id.desc())
    ))


def team_records(team_ids: list[int], year: int) -> list[TimeRecord]:
    return list(db.session.scalars(
        select(TimeRecord).options(selectinload(TimeRecord.team), selectinload(TimeRecord.user))
        .where(TimeRecord.team_id.in_(team_ids or [-1]), *_year(year))
        .order_by(TimeRecord.datum.desc(), TimeRecord.id.desc())
    ))


def work_shares(start: date, end: date, teams: list[Team]) -> Shares:
    """Shares per activity per team and per person, from every connected source."""
    minutes = collect(start, end, [t.id for t in teams])
    user_ids = {user_id for _team, user_id, _key in minutes}
    names = dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids or [-1]))).all())
    return shares(minutes, {t.id: t.name for t in teams}, names)


# --- receivers of activity_minutes ---------------------------------------------------------------


def recorded_minutes(_sender, *, start: date, end: date, team_ids: list[int]) -> MinuteMap:
    rows = db.session.execute(
        select(TimeRecord.team_id, TimeRecord.user_id, TimeRecord.activity, func.sum(TimeRecord.minutes))
        .where(TimeRecord.team_id.in_(team_ids or [-1]), TimeRecord.datum >= start, TimeRecord.datum <= end)
        .group_by(TimeRecord.team_id, TimeRecord.user_id, TimeRecord.activity)
    )
    return {(team_id, user_id, key): int(total or 0) for team_id, user_id, key, total in rows}


def counselling_minutes(_sender, *, start: date, end: date, team_ids: list[int]) -> MinuteMap:
    rows = db.session.execute(
        select(ContactRecord.team_id, ContactRecord.recorded_by_id, ContactRecord.taetigkeit,
               func.sum(ContactRecord.dauer_minuten))
        .where(ContactRecord.team_id.in_(team_ids or [-1]), ContactRecord.datum >= start,
               ContactRecord.datum <= end)
        .group_by(ContactRecord.team_id, ContactRecord.recorded_by_id, ContactRecord.taetigkeit)
    )
    result: dict[tuple[int, int, str], int] = {}
    for team_id, user_id, taetigkeit, total in rows:
        key = (team_id, user_id, COUNSELLING_ACTIVITIES.get(taetigkeit, taetigkeit))
        result[key] = result.get(key, 0) + int(total or 0)
    return result


activity_minutes.connect(recorded_minutes)
activity_minutes.connect(counselling_minutes)
