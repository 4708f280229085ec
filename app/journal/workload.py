"""The journal's durations in the working-time shares of the annual report (seed 004).

A journal entry is work in a case: it counts as *Case Management* for the team the author did it
for. That is the case's owning team when the author belongs to it (an MBE counsellor, the FB
team), otherwise the author's own team among the report's teams (201 writing in an FB team's
Alltagsbegleitung case works for 201). Contract: ``app.worktime.activities.activity_minutes``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import func, select

from app.auth.models import Membership
from app.engine.models import ProcessInstance
from app.extensions import db
from app.journal.models import JournalEntry
from app.worktime.activities import MinuteMap, activity_minutes

ACTIVITY = "case_management"


def journal_minutes(_sender, *, start: date, end: date, team_ids: list[int]) -> MinuteMap:
    if not team_ids:
        return {}
    rows = db.session.execute(
        select(JournalEntry.author_id, ProcessInstance.owner_team_id, func.sum(JournalEntry.duration_minutes))
        .join(ProcessInstance, ProcessInstance.id == JournalEntry.instance_id)
        .where(JournalEntry.day >= start, JournalEntry.day <= end, JournalEntry.duration_minutes.is_not(None))
        .group_by(JournalEntry.author_id, ProcessInstance.owner_team_id)
    ).all()
    authors = {author for author, _team, _minutes in rows}
    teams_of: dict[int, list[int]] = defaultdict(list)
    for user_id, team_id in db.session.execute(
            select(Membership.user_id, Membership.team_id)
            .where(Membership.user_id.in_(authors or {-1}), Membership.team_id.in_(team_ids))
            .order_by(Membership.team_id)):
        teams_of[user_id].append(team_id)
    result: dict[tuple[int, int, str], int] = defaultdict(int)
    for author, owner_team, minutes in rows:
        mine = teams_of.get(author, [])
        team = owner_team if owner_team in mine else (mine[0] if mine else None)
        if team is not None and minutes:
            result[(team, author, ACTIVITY)] += int(minutes)
    return dict(result)


activity_minutes.connect(journal_minutes)
