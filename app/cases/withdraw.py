"""Withdrawing a case started by mistake: only its starter, only while nothing was done.

"Nothing was done" is derived from the current state (never granted): no task of the case was
completed, and nobody but the starter acted on it (claimed, reported a crisis, wrote an entry...).
The case then ends with the outcome ``zurueckgezogen`` (app/engine/models.py ``WITHDRAWN``),
which the case list, the monitor and the statistics leave out.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import User
from app.engine.models import DONE, RUNNING, WITHDRAWN, CaseEvent, ProcessInstance, Task
from app.extensions import db

WITHDRAWN_OUTCOME = WITHDRAWN


def is_starter(user: User, instance: ProcessInstance) -> bool:
    return instance.started_by_id == user.id


def work_done(instance: ProcessInstance) -> bool:
    """Did anything happen in the case beyond its start by the starter?"""
    completed = db.session.scalar(select(Task.id).where(Task.instance_id == instance.id, Task.status == DONE)
                                  .limit(1))
    if completed is not None:
        return True
    others = db.session.scalar(select(CaseEvent.id).where(
        CaseEvent.instance_id == instance.id, CaseEvent.actor_id.is_not(None),
        CaseEvent.actor_id != instance.started_by_id).limit(1))
    if others is not None:
        return True
    return db.session.scalar(select(CaseEvent.id).where(  # e.g. a crisis the starter reported
        CaseEvent.instance_id == instance.id, CaseEvent.kind.not_in(("started", "claimed", "unclaimed"))).limit(1)) \
        is not None


def can_withdraw(user: User, instance: ProcessInstance) -> bool:
    return instance.status == RUNNING and is_starter(user, instance) and not work_done(instance)


def refusal(user: User, instance: ProcessInstance) -> tuple[int, str] | None:
    """(status, German message) when ``user`` may not withdraw the case now; None if they may."""
    if not is_starter(user, instance):
        return 403, _("Nur wer den Fall angelegt hat, kann ihn zurückziehen.")
    if instance.status != RUNNING:
        return 409, _("Der Fall ist nicht aktiv.")
    if work_done(instance):
        return 409, _("Der Fall kann nicht mehr zurückgezogen werden: Es wurde bereits daran gearbeitet.")
    return None
