"""The inbox lists in index order: no sort over every open task of a team.

The inbox order is: crises first, then by due date (tasks without one last), then by id. Over
``status IN (...)`` and several teams no index yields that order, so the database used to sort
every open task of the team for each page (O(open tasks): 20,000 at 100,000 cases). Here the
list is cut into branches with equality on every leading column of an index — (team,
unassigned, for leads, status, crisis) for the group list (ix_task_inbox), (assignee, status,
crisis) for personal tasks (ix_task_mine) — and with or without a due date; each branch is read
in index order (due date, id) and stops after ``offset + limit`` rows; the database then merges
these few short runs. The count stops at ``cap + 1`` rows ("more than 1,000").
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select, union_all

from app.auth.access import _covered, visible_instance_ids
from app.auth.models import ROLE_PARTNER, User
from app.engine.models import ACTIVE_TASK_STATES, Task
from app.extensions import db


def _bases(user: User, mine: bool | None) -> list[list[ColumnElement[bool]]]:
    """The equality prefixes the list consists of (the same rows as ``inbox_query``)."""
    bases: list[list[ColumnElement[bool]]] = []
    if mine is not False:
        bases += [[Task.assignee_id == uid] for uid in dict.fromkeys([user.id, *_covered(user)])]
    if mine is not True:
        for for_leads, team_ids in ((False, user.member_team_ids), (True, user.lead_team_ids)):
            # "= false", not "IS false": only an equality is an index condition on PostgreSQL
            bases += [[Task.candidate_team_id == team_id, Task.assignee_id.is_(None), Task.for_leads == for_leads]
                      for team_id in sorted(set(team_ids or []))]
    return bases


def _branches(user: User, mine: bool | None, limit: int | None, crisis_only: bool = False) -> list:
    """One SELECT (id, crisis, due_at) per equality prefix, status, crisis and with/without due
    date; each in index order and cut at ``limit`` rows (None: unordered, uncut)."""
    extra: list[ColumnElement[bool]] = []
    if user.has_role(ROLE_PARTNER):  # as inbox_query: a partner's to-dos vanish with their access
        extra.append(Task.instance_id.in_(visible_instance_ids(user)))
    branches = []
    for base in _bases(user, mine):
        for status in ACTIVE_TASK_STATES:
            for crisis in ((True,) if crisis_only else (True, False)):
                for without_due in (False, True):
                    branch = select(Task.id, Task.crisis, Task.due_at).where(
                        *base, Task.status == status, Task.crisis == crisis,
                        Task.due_at.is_(None) if without_due else Task.due_at.is_not(None), *extra)
                    if limit is None:
                        branches.append(branch)
                        continue
                    order = [Task.id] if without_due else [Task.due_at, Task.id]
                    cut = branch.order_by(*order).limit(limit).subquery()
                    branches.append(select(cut.c.id, cut.c.crisis, cut.c.due_at))
    return branches


def ordered_ids(user: User, mine: bool | None, limit: int, offset: int = 0, crisis_only: bool = False) -> list[int]:
    """Ids of the tasks of the list, in inbox order, ``offset`` … ``offset + limit``."""
    branches = _branches(user, mine, offset + limit, crisis_only)
    if not branches:
        return []
    merged = union_all(*branches).subquery()
    return list(db.session.scalars(
        select(merged.c.id)
        .order_by(merged.c.crisis.desc(), merged.c.due_at.is_(None), merged.c.due_at, merged.c.id)
        .limit(limit).offset(offset)))


def capped_count(user: User, mine: bool | None, cap: int) -> int:
    """How many tasks the list has, counted up to ``cap + 1`` (more than ``cap``: ``cap + 1``)."""
    branches = _branches(user, mine, None)
    if not branches:
        return 0
    ids = union_all(*branches).subquery()
    return db.session.scalar(select(func.count()).select_from(select(ids.c.id).limit(cap + 1).subquery())) or 0
