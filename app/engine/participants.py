"""Who may be given a task, and which access rows a task or the case data leaves — derived, never
left behind.

Participant rows (``CaseParticipant``) of two kinds:

- *stated*: the owning team (``owner``), the responsible counsellor after a handover
  (``handover``), the fixed-team lanes of a process (``lane`` rows of a team). The feature that
  decides them writes and removes them.
- *derived* person rows (``lane``, ``reassigned``) and team rows given by a reassignment
  (``reassigned``): a task routed or given to a person or team, the volunteer named in the case
  data. They hold only while their reason does: ``release_participants`` removes each one whose reason is gone.
  It runs after every change that can take a reason away — an engine step (a task done or
  cancelled, the case data changed, the case ended: ``runtime.save``), a reassignment, the end of a
  case, a closed to-do and a handover — so that a person taken off a task or a case loses access
  at once (issue 14: a volunteer given another family's task kept opening that case).

A person keeps a derived row while one of these holds: an open (or paused) task of the case is
assigned to them; a ``user_from_data`` lane field of the case data names them (the volunteer);
they are the case's responsible person (the ``starter`` lane: responsible, else the starter).
Access through a team membership needs no person row.

Who may be given a task (``eligible``) follows the lane the task was routed by (the process
owner's rule, ``app/engine/modelrules.py``, else ``processes/*.lanes.toml``): the members and
leads of a fixed team, of the owning team, only the
leads for a lead task, only the case's own volunteer for the volunteer lane, the members of the
owning team for a personal (``starter``) lane (an MBE case: the counsellors of the MBE team, the
lead steers through a handover); a to-do stays with its team, a personal to-do with the people who
take part in the case fully. Never a volunteer outside the volunteer lane.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, or_, select

from app.auth.models import LEAD, MEMBER, ROLE_EHRENAMT, Membership, Team, User
from app.engine import lanes, modelrules
from app.engine.models import (
    ACTIVE_TASK_STATES,
    FULL,
    LIMITED,
    PAUSED,
    TODO_TASK,
    CaseParticipant,
    ProcessInstance,
    Task,
)
from app.engine.versions import parsed_version
from app.extensions import db

LANE, REASSIGNED = "lane", "reassigned"
DERIVED_REASONS = (LANE, REASSIGNED)
CURRENT = (*ACTIVE_TASK_STATES, PAUSED)  # a task that still stands (open, claimed or paused)
TEAM_PEOPLE = (MEMBER, LEAD)  # a team's task may go to its members and its leads (who see the case anyway)


# --- who may be given a task ----------------------------------------------------------------

@dataclass
class Eligible:
    """The people and teams one task may be given to; ``for_leads``: a team task goes to its leads."""

    users: list[User] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)
    for_leads: bool = False

    def allows_user(self, user: User) -> bool:
        return any(u.id == user.id for u in self.users)

    def allows_team(self, team: Team) -> bool:
        return any(t.id == team.id for t in self.teams)


def task_rule(task: Task) -> tuple[str, str | None]:
    """The lane rule the task was routed by (a task's ``lane`` property wins over its lane)."""
    info = parsed_version(task.instance.version).user_tasks.get(task.bpmn_id)
    lane = (info.properties.get("lane") if info else None) or task.lane
    return lanes.rule_for(lane, task.instance.version.model_id)  # the process owner's rule first


def _team_people(team_id: int | None, *kinds: str) -> list[User]:
    if team_id is None:
        return []
    users = db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == team_id, Membership.kind.in_(kinds), User.active.is_(True))
        .order_by(User.display_name))
    return [u for u in users if not u.has_role(ROLE_EHRENAMT)]


def _full_participants(instance: ProcessInstance) -> tuple[list[User], list[Team]]:
    """People with full access to the case (through a team or in person) and the teams whose
    members have it."""
    rows = db.session.execute(select(CaseParticipant.team_id, CaseParticipant.user_id, CaseParticipant.leads_only)
                              .where(CaseParticipant.instance_id == instance.id,
                                     CaseParticipant.level == FULL)).all()
    member_teams = {t for t, _u, leads_only in rows if t is not None and not leads_only}
    all_teams = {t for t, _u, _l in rows if t is not None}
    persons = {u for _t, u, _l in rows if u is not None}
    conditions = [User.id.in_(persons or [-1])]
    team_members = select(Membership.user_id).where(or_(
        Membership.team_id.in_(member_teams or [-1]) & (Membership.kind == MEMBER),
        Membership.team_id.in_(all_teams or [-1]) & (Membership.kind == LEAD)))
    conditions.append(User.id.in_(team_members))
    users = db.session.scalars(select(User).where(or_(*conditions), User.active.is_(True))
                               .order_by(User.display_name))
    teams = db.session.scalars(select(Team).where(Team.id.in_(member_teams or [-1])).order_by(Team.name))
    return [u for u in users if not u.has_role(ROLE_EHRENAMT)], list(teams)


def eligible(task: Task) -> Eligible:
    """Who ``task`` may be given to (see the module docstring)."""
    instance = task.instance
    if task.kind == TODO_TASK:
        if task.candidate_team is not None:
            kinds = (LEAD,) if task.for_leads else TEAM_PEOPLE
            return Eligible(_team_people(task.candidate_team.id, *kinds), [task.candidate_team], task.for_leads)
        users, teams = _full_participants(instance)
        return Eligible(users, teams)
    rule, arg = task_rule(task)
    if rule == lanes.TEAM:
        team = db.session.scalar(select(Team).where(Team.key == arg))
        return Eligible(_team_people(team.id, *TEAM_PEOPLE), [team]) if team is not None else Eligible()
    if rule == lanes.OWNER_TEAM_LEADS:
        owner = instance.owner_team
        return Eligible(_team_people(instance.owner_team_id, LEAD), [owner] if owner else [], for_leads=True)
    if rule == lanes.USER_FROM_DATA:
        username = (instance.data or {}).get(arg or "")
        user = db.session.scalar(select(User).where(User.username == str(username))) if username else None
        return Eligible([user] if user is not None and user.active else [])
    if rule == lanes.STARTER:  # a personal lane: a colleague of the owning team, never a group
        return Eligible(_team_people(instance.owner_team_id, MEMBER))
    owner = instance.owner_team
    return Eligible(_team_people(instance.owner_team_id, *TEAM_PEOPLE), [owner] if owner else [])


# --- granting and releasing ------------------------------------------------------------------

def has_full_access(instance: ProcessInstance, user: User) -> bool:
    """Does a participant row give ``user`` full access to the case (in person or by a team)?"""
    conditions = [CaseParticipant.user_id == user.id]
    if user.member_team_ids:
        conditions.append(CaseParticipant.team_id.in_(user.member_team_ids) & CaseParticipant.leads_only.is_(False))
    if user.lead_team_ids:
        conditions.append(CaseParticipant.team_id.in_(user.lead_team_ids))
    found = db.session.scalar(select(CaseParticipant.id).where(
        CaseParticipant.instance_id == instance.id, CaseParticipant.level == FULL, or_(*conditions)).limit(1))
    return found is not None


def grant_user(instance: ProcessInstance, user: User) -> None:
    """The new assignee of a reassigned task may open the case: staff fully, the case's volunteer
    as through their lane (a LIMITED row they already hold)."""
    if user.has_role(ROLE_EHRENAMT):
        held = db.session.scalar(select(CaseParticipant.id).where(
            CaseParticipant.instance_id == instance.id, CaseParticipant.user_id == user.id).limit(1))
        if held is None:
            db.session.add(CaseParticipant(instance=instance, user_id=user.id, level=LIMITED, reason=REASSIGNED))
        return
    if not has_full_access(instance, user):
        db.session.add(CaseParticipant(instance=instance, user_id=user.id, level=FULL, reason=REASSIGNED))


def grant_team(instance: ProcessInstance, team: Team) -> None:
    exists = db.session.scalar(select(CaseParticipant.id).where(
        CaseParticipant.instance_id == instance.id, CaseParticipant.team_id == team.id,
        CaseParticipant.level == FULL, CaseParticipant.leads_only.is_(False)).limit(1))
    if exists is None:
        db.session.add(CaseParticipant(instance=instance, team_id=team.id, level=FULL, reason=REASSIGNED))


def named_in_data(instance: ProcessInstance) -> set[str]:
    """User names the case data gives a ``user_from_data`` lane (the volunteer)."""
    data = instance.data or {}
    rules = [*lanes.LANE_RULES.values(), *modelrules.lane_rules(lanes.instance_model_id(instance)).values()]
    fields = {arg for rule, arg in rules if rule == lanes.USER_FROM_DATA and arg}
    return {str(data[f]) for f in fields if data.get(f)}


def release_participants(instance: ProcessInstance) -> int:
    """Remove the derived participant rows of ``instance`` whose reason is gone; returns how many.

    Only flushes (through the next flush or the commit)."""
    rows = db.session.execute(
        select(CaseParticipant.id, CaseParticipant.user_id, CaseParticipant.team_id, CaseParticipant.reason)
        .where(CaseParticipant.instance_id == instance.id,
               or_(CaseParticipant.user_id.is_not(None) & CaseParticipant.reason.in_(DERIVED_REASONS),
                   CaseParticipant.team_id.is_not(None) & (CaseParticipant.reason == REASSIGNED)))).all()
    if not rows:
        return 0
    open_tasks = db.session.execute(select(Task.assignee_id, Task.candidate_team_id).where(
        Task.instance_id == instance.id, Task.status.in_(CURRENT))).all()
    assignees = {a for a, _t in open_tasks if a is not None}
    teams = {t for _a, t in open_tasks if t is not None}
    keep_users = assignees | {instance.responsible_id or instance.started_by_id}
    names = named_in_data(instance)
    if names:
        keep_users |= set(db.session.scalars(select(User.id).where(User.username.in_(names))))
    gone = [row_id for row_id, user_id, team_id, _reason in rows
            if (user_id is not None and user_id not in keep_users)
            or (user_id is None and team_id not in teams)]
    if gone:
        db.session.execute(delete(CaseParticipant).where(CaseParticipant.id.in_(gone))
                           .execution_options(synchronize_session="fetch"))
    return len(gone)
