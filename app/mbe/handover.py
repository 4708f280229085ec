"""Handing an MBE case to another counsellor: explicit, with a reason, in the case history."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, select

from app.auth.models import User
from app.engine.models import ACTIVE_TASK_STATES, FULL, RUNNING, CaseEvent, CaseParticipant, ProcessInstance, Task
from app.engine.service import ConflictError, ForbiddenError, lock_case, release_participants
from app.extensions import db
from app.mbe.access import counsellors, is_mbe_case, lead_teams, responsible_of
from app.notify.services import notify_task


def may_hand_over(user: User, instance: ProcessInstance) -> bool:
    """The responsible counsellor and the leads of the case's MBE team."""
    if not is_mbe_case(instance):
        return False
    if responsible_of(instance).id == user.id:
        return True
    return instance.owner_team_id in {t.id for t in lead_teams(user)}


def candidates(instance: ProcessInstance) -> list[User]:
    """Counsellors of the case's team who could take it over."""
    if instance.owner_team is None:
        return []
    current = responsible_of(instance).id
    return [u for u in counsellors(instance.owner_team) if u.id != current]


def hand_over(instance: ProcessInstance, actor: User, new: User, reason: str) -> list[Task]:
    """Make ``new`` responsible: open tasks of the previous counsellor move to them, the previous
    counsellor loses access (their participant row goes), the history records who, to whom, why.
    Returns the moved tasks. Only flushes."""
    if not may_hand_over(actor, instance):
        raise ForbiddenError(_("Nur die zuständige Beratung oder die Leitung kann den Fall übergeben."))
    if instance.status != RUNNING:
        raise ConflictError(_("Der Fall ist nicht aktiv."))
    if new not in candidates(instance):
        raise ValueError(_("An diese Person kann der Fall nicht übergeben werden."))
    old = responsible_of(instance)
    instance.responsible = new  # the relationship too: the answer is made before the commit
    moved = list(db.session.scalars(select(Task).where(
        Task.instance_id == instance.id, Task.assignee_id == old.id, Task.status.in_(ACTIVE_TASK_STATES))))
    for task in moved:
        task.assignee = new
    db.session.execute(delete(CaseParticipant).where(
        CaseParticipant.instance_id == instance.id, CaseParticipant.user_id.in_([old.id, new.id])))
    db.session.add(CaseParticipant(instance_id=instance.id, user_id=new.id, level=FULL, reason="handover"))
    db.session.add(CaseEvent(instance=instance, kind="mbe_handover", title=new.display_name, actor=actor,
                             data={"von": old.username, "an": new.username, "grund": reason}))
    lock_case(instance)
    release_participants(instance)  # e.g. a colleague's row from a reassigned task that moved on
    for task in moved:
        notify_task(task)
    return moved
