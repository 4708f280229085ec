"""The inbox lists in index order: no sort over every open task of a team, no OFFSET.

The inbox order is: crises first, then by due date (tasks without one last), then by id. Over
``status IN (...)`` and several teams no index yields that order, so the database used to sort
every open task of the team for each page (O(open tasks): 20,000 at 100,000 cases). Here the
list is cut into branches with equality on every leading column of an index — (team,
unassigned, for leads, status, crisis) for the group list (ix_task_inbox), (assignee, status,
crisis) for personal tasks (ix_task_mine) — and with or without a due date; each branch is read
in index order (due date, id) and stops after ``limit`` rows; the database then merges these
few short runs. The count stops at ``cap + 1`` rows ("more than 1,000").

Paging is by key ("keyset"), not by OFFSET: a page ends with the sort key of its last row
(:class:`Key`: crisis flag, due date, id) and the next page starts after it. Each branch then
starts its index scan right behind that key (``(due_at, id) > (…)``), and branches wholly before
it are left out, so the 50th page costs what the first costs; a task completed between two page
loads shifts nothing. The key travels as an opaque cursor (:func:`encode_cursor`,
:func:`decode_cursor`); it only says where to continue in the reader's own list, so a cursor
from someone else, or a made-up one, shows nothing that person may not see anyway.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Select, func, select, tuple_, union_all

from app.auth.access import _covered, visible_instance_ids
from app.auth.models import ROLE_PARTNER, User
from app.engine.models import ACTIVE_TASK_STATES, Task
from app.extensions import db
from app.timeutil import aware

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_ID = 2**31 - 1  # task ids are 32-bit integers on PostgreSQL: a larger one would be a DataError
_CURSOR = re.compile(r"1\.([01])\.(-?\d{1,18})?\.(\d{1,10})(?:\.(\d{1,7}))?")


@dataclass(frozen=True)
class Key:
    """Where a row stands in the inbox order: crisis first, then due date (none last), then id."""

    crisis: bool
    due_at: datetime | None
    id: int

    @classmethod
    def of(cls, task: Task) -> Key:
        return cls(bool(task.crisis), aware(task.due_at), task.id)

    @property
    def rank(self) -> int:
        return _rank(self.crisis, self.due_at is None)


def _rank(crisis: bool, undated: bool) -> int:
    """The order of the four runs: crisis with due date, crisis without, others with, without."""
    return (0 if crisis else 2) + (1 if undated else 0)


def encode_cursor(key: Key, page: int | None = None) -> str:
    """The opaque cursor "continue after ``key``" (``page``: the number of the page it opens)."""
    due = "" if key.due_at is None else str((aware(key.due_at) - EPOCH) // timedelta(microseconds=1))
    raw = f"1.{int(key.crisis)}.{due}.{key.id}" + (f".{page}" if page else "")
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[Key, int] | None:
    """``(key, page)`` of a cursor from :func:`encode_cursor`; None for anything else."""
    if not token or len(token) > 80:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        return None
    match = _CURSOR.fullmatch(raw)
    if match is None:
        return None
    crisis, due, id_, page = match.groups()
    try:
        due_at = None if due is None else EPOCH + timedelta(microseconds=int(due))
    except OverflowError:
        return None
    if not 1 <= int(id_) <= MAX_ID or (due_at is not None and not 1 < due_at.year < 9999):
        return None
    return Key(crisis == "1", due_at, int(id_)), int(page or 1) or 1


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


def _branches(user: User, mine: bool | None, limit: int | None, crisis_only: bool = False,
              after: Key | None = None, where: Sequence[ColumnElement[bool]] = ()) -> list:
    """One SELECT (id, crisis, due_at) per equality prefix, status, crisis and with/without due
    date; each in index order, starting after ``after`` and cut at ``limit`` rows (None:
    unordered, uncut). ``where``: further conditions on Task (the API's filters)."""
    extra: list[ColumnElement[bool]] = list(where)
    if user.has_role(ROLE_PARTNER):  # as inbox_query: a partner's to-dos vanish with their access
        extra.append(Task.instance_id.in_(visible_instance_ids(user)))
    branches = []
    for base in _bases(user, mine):
        for status in ACTIVE_TASK_STATES:
            for crisis in ((True,) if crisis_only else (True, False)):
                for without_due in (False, True):
                    seek: list[ColumnElement[bool]] = []
                    if after is not None:
                        if _rank(crisis, without_due) < after.rank:
                            continue  # this whole run comes before the cursor
                        if _rank(crisis, without_due) == after.rank:
                            seek.append(Task.id > after.id if without_due
                                        else tuple_(Task.due_at, Task.id) > tuple_(after.due_at, after.id))
                    branch = select(Task.id, Task.crisis, Task.due_at).where(
                        *base, Task.status == status, Task.crisis == crisis,
                        Task.due_at.is_(None) if without_due else Task.due_at.is_not(None), *seek, *extra)
                    if limit is None:
                        branches.append(branch)
                        continue
                    # (due_at, id) for both runs: the index order, also where due_at is NULL
                    cut = branch.order_by(Task.due_at, Task.id).limit(limit).subquery()
                    branches.append(select(cut.c.id, cut.c.crisis, cut.c.due_at))
    return branches


def _ordered(user: User, mine: bool | None, limit: int | None, after: Key | None = None,
             crisis_only: bool = False, where: Sequence[ColumnElement[bool]] = ()) -> Select | None:
    """(id, crisis, due_at) of the list in inbox order, the first ``limit`` after ``after``."""
    branches = _branches(user, mine, limit, crisis_only, after, where)
    if not branches:
        return None
    merged = union_all(*branches).subquery()
    query = select(merged.c.id, merged.c.crisis, merged.c.due_at).order_by(
        merged.c.crisis.desc(), merged.c.due_at.is_(None), merged.c.due_at, merged.c.id)
    return query if limit is None else query.limit(limit)


def ordered_ids(user: User, mine: bool | None, limit: int, *, after: Key | None = None,
                crisis_only: bool = False) -> list[int]:
    """Ids of the tasks of the list, in inbox order: the first ``limit`` after ``after``."""
    query = _ordered(user, mine, limit, after, crisis_only)
    return [] if query is None else list(db.session.scalars(query))


def ordered_tasks(rows: Select, user: User, mine: bool | None, limit: int | None, after: Key | None = None,
                  where: Sequence[ColumnElement[bool]] = ()) -> list[Task]:
    """The task rows of ``rows`` (a ``select(Task)``, e.g. ``inbox_query``) that are in the list,
    in inbox order: the first ``limit`` (None: all) after ``after``, in one statement."""
    query = _ordered(user, mine, limit, after, where=where)
    if query is None:
        return []
    page = query.subquery()
    return list(db.session.scalars(
        rows.order_by(None).join(page, Task.id == page.c.id)
        .order_by(page.c.crisis.desc(), page.c.due_at.is_(None), page.c.due_at, page.c.id)))


def capped_count(user: User, mine: bool | None, cap: int) -> int:
    """How many tasks the list has, counted up to ``cap + 1`` (more than ``cap``: ``cap + 1``)."""
    branches = _branches(user, mine, None)
    if not branches:
        return 0
    ids = union_all(*branches).subquery()
    return db.session.scalar(select(func.count()).select_from(select(ids.c.id).limit(cap + 1).subquery())) or 0
