"""Who may see and do what. Every check here runs on the server, per object."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort
from sqlalchemy import ColumnElement, or_, select, union
from sqlalchemy.orm import joinedload, selectinload

from app.auth import deputies
from app.auth.models import ROLE_PARTNER, Team, User
from app.engine import locking, modelrules
from app.engine.models import (
    ACTIVE_TASK_STATES,
    FULL,
    LIMITED,
    CaseParticipant,
    ProcessInstance,
    ProcessModel,
    ProcessVersion,
    Task,
)
from app.extensions import db

#: The level at which a substitute reads a case they see only through an absence cover: the
#: case and its tasks, without the client's contact data (``app.cases.services.visible_data``).
COVER = "cover"

#: The level of a partner organisation's staff member invited to a case (app/partners): they read
#: only the data categories the invitation names and the client's current consent covers.
PARTNER = "partner"


class PartnerLevel(str):
    """PARTNER, carrying the case-data keys this partner may read (``app.cases.services.visible_data``)."""

    fields: frozenset[str]

    def __new__(cls, fields) -> PartnerLevel:
        level = super().__new__(cls, PARTNER)
        level.fields = frozenset(fields)
        return level


#: ``(user, instance) -> frozenset of readable case-data keys | None`` (None: no access now, e.g.
#: the consent was withdrawn or expired). Registered by app/partners; without it partner rows grant
#: nothing.
_partner_reading: list[Callable[[User, ProcessInstance], frozenset[str] | None]] = []


def register_partner_reading(provider: Callable[[User, ProcessInstance], frozenset[str] | None]) -> None:
    _partner_reading[:] = [provider]


def partner_fields(user: User, instance: ProcessInstance) -> frozenset[str] | None:
    return _partner_reading[0](user, instance) if _partner_reading else None


def _partner_instance_ids(user: User) -> list[int]:
    """The invited cases a partner may see now (the consent is checked per case, in Python: a
    partner has few invitations)."""
    ids = list(db.session.scalars(select(CaseParticipant.instance_id).where(
        CaseParticipant.user_id == user.id, CaseParticipant.level == PARTNER)))
    visible = []
    for instance_id in ids:
        instance = db.session.get(ProcessInstance, instance_id)
        if instance is not None and partner_fields(user, instance) is not None:
            visible.append(instance_id)
    return visible


def participant_filter(user: User):
    """SQL condition: the participant row grants ``user`` access.

    A team row marked ``leads_only`` (confidential cases, e.g. MBE) admits the team's leads,
    not its members: a counsellor sees only the cases they take part in personally.
    """
    member_ids, lead_ids = user.member_team_ids, user.lead_team_ids
    # a partner's row grants access only while the consent covers it (``data_level``, ``visible_instance_ids``)
    conditions: list[ColumnElement[bool]] = [(CaseParticipant.user_id == user.id) & (CaseParticipant.level != PARTNER)]
    if member_ids:
        conditions.append(CaseParticipant.team_id.in_(member_ids) & CaseParticipant.leads_only.is_(False))
    if lead_ids:
        conditions.append(CaseParticipant.team_id.in_(lead_ids))
    return or_(*conditions)


def _covered(user: User) -> list[int]:
    return deputies.covered_user_ids(user)


def _covered_tasks(covered: list[int]):
    return select(Task.instance_id).where(Task.assignee_id.in_(covered),
                                          Task.status.in_(ACTIVE_TASK_STATES))


def visible_instance_ids(user: User):
    """A subquery of the ids of every case ``user`` may see (including, during an absence
    cover, the cases of the covered person's open personal tasks — and only those)."""
    query = select(CaseParticipant.instance_id).where(participant_filter(user))
    parts = [query]
    if user.has_role(ROLE_PARTNER) and (partner := _partner_instance_ids(user)):
        parts.append(select(ProcessInstance.id).where(ProcessInstance.id.in_(partner)))
    covered = _covered(user)
    if covered:
        parts.append(_covered_tasks(covered))
    return union(*parts) if len(parts) > 1 else query


def full_instance_ids(user: User):
    """A subquery of the ids of the cases ``user`` sees with full access (not only as a volunteer)."""
    query = select(CaseParticipant.instance_id).where(participant_filter(user), CaseParticipant.level == FULL)
    covered = _covered(user)
    return query.union(_covered_tasks(covered)) if covered else query


def access_level(user: User, instance: ProcessInstance) -> str | None:
    """FULL, LIMITED, PARTNER (a ``PartnerLevel``) or None (may not see the case at all)."""
    level = data_level(user, instance)
    return FULL if level == COVER else level


def data_level(user: User, instance: ProcessInstance) -> str | None:
    """The level at which ``user`` reads the case file: like ``access_level``, but COVER when the
    case is visible only because ``user`` stands in for an absent colleague."""
    levels = set(db.session.scalars(
        select(CaseParticipant.level).where(
            CaseParticipant.instance_id == instance.id, participant_filter(user)
        )
    ))
    if FULL in levels:
        return FULL
    if LIMITED in levels:
        return LIMITED
    if user.has_role(ROLE_PARTNER) and db.session.scalar(select(CaseParticipant.id).where(
            CaseParticipant.instance_id == instance.id, CaseParticipant.user_id == user.id,
            CaseParticipant.level == PARTNER).limit(1)) is not None:
        fields = partner_fields(user, instance)
        return PartnerLevel(fields) if fields is not None else None
    covered = _covered(user)
    if covered and db.session.scalar(_covered_tasks(covered).where(Task.instance_id == instance.id).limit(1)):
        return COVER  # standing in for the person whose task it is
    return None


def works_in_cover(user: User, task: Task) -> bool:
    """Is ``user`` working on ``task`` as the substitute of its absent assignee?"""
    return (task.assignee_id is not None and task.assignee_id != user.id
            and task.status in ACTIVE_TASK_STATES and task.assignee_id in _covered(user))


def get_visible_instance_or_404(user: User, instance_id: int) -> tuple[ProcessInstance, str]:
    instance = db.session.get(ProcessInstance, instance_id)
    level = access_level(user, instance) if instance is not None else None
    if instance is None or level is None:
        abort(404)
    return instance, level


def startable_teams(user: User, model: ProcessModel) -> list[Team]:
    """The teams on whose behalf ``user`` may start ``model`` (empty: may not start it)."""
    if model.start_role and not user.has_role(model.start_role):
        return []
    if starters := modelrules.starter_team_ids(model.id):  # set by the process owner (app/processsetup)
        return [t for t in user.member_teams if t.id in starters]
    return [t for t in user.member_teams if t.department in model.departments]


def can_work_on(user: User, task: Task) -> bool:
    """May ``user`` claim or complete ``task``?"""
    if task.status not in ACTIVE_TASK_STATES:
        return False
    if task.assignee_id is not None:
        return task.assignee_id == user.id or task.assignee_id in _covered(user)
    teams = user.lead_team_ids if task.for_leads else user.member_team_ids
    return task.candidate_team_id is not None and task.candidate_team_id in teams


def get_task_or_404(user: User, task_id: int, *, with_state: bool = False) -> Task:
    """The task, if ``user`` may see its case; tasks of hidden cases do not exist for them.

    The task comes in one query with its case, the case's version and model (the spec key);
    ``with_state`` also loads the case's stored workflow state (deferred otherwise): for a
    request that is about to complete the task, so the engine needs no second SELECT.
    """
    case = joinedload(Task.instance)
    options = [case.joinedload(ProcessInstance.version).joinedload(ProcessVersion.model)]
    if with_state:  # read task and case afresh in one statement: one snapshot for the optimistic lock
        options += [case.undefer(ProcessInstance.state), case.joinedload(ProcessInstance.owner_team)]
    task = db.session.get(Task, task_id, options=options, populate_existing=with_state)
    if task is not None and with_state:
        locking.read_with_case(task)
    level = access_level(user, task.instance) if task is not None else None
    if task is None or level is None or (level != FULL and task.assignee_id != user.id):
        abort(404)
    return task


def inbox_query(user: User, *, mine: bool | None = None):
    """Open tasks assigned to ``user`` and unassigned tasks of their groups, as SQL.

    ``mine`` True: only assigned to the user; False: only unassigned group tasks.
    """
    covered = _covered(user)
    own = Task.assignee_id.in_([user.id, *covered]) if covered else Task.assignee_id == user.id
    group = Task.assignee_id.is_(None) & or_(
        Task.for_leads.is_(False) & Task.candidate_team_id.in_(user.member_team_ids or [-1]),
        Task.for_leads.is_(True) & Task.candidate_team_id.in_(user.lead_team_ids or [-1]),
    )
    cond = own if mine else group if mine is False else or_(own, group)
    if user.has_role(ROLE_PARTNER):  # a partner's to-dos vanish with their access (consent expired)
        cond = cond & Task.instance_id.in_(visible_instance_ids(user))
    return (
        select(Task)
        .options(selectinload(Task.instance), selectinload(Task.candidate_team))
        .where(Task.status.in_(ACTIVE_TASK_STATES), cond)
        .order_by(Task.crisis.desc(), Task.due_at.is_(None), Task.due_at, Task.id)
    )
