"""The question thread of an assignment: the volunteer asks, 201 answers."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.engine.models import ProcessInstance
from app.extensions import db
from app.volunteers import notices
from app.volunteers.access import case_coordinators, case_volunteer_ids, is_case_volunteer
from app.volunteers.models import CaseMessage


def messages(instance: ProcessInstance) -> list[CaseMessage]:
    return list(db.session.scalars(
        select(CaseMessage).options(selectinload(CaseMessage.author))
        .where(CaseMessage.instance_id == instance.id)
        .order_by(CaseMessage.created_at, CaseMessage.id)
    ))


def post_message(instance: ProcessInstance, author: User, body: str) -> CaseMessage:
    """Add a message and tell the other side in the app (201 ⇄ the volunteer)."""
    message = CaseMessage(instance_id=instance.id, author_id=author.id, body=body.strip())
    db.session.add(message)
    if is_case_volunteer(author, instance):
        recipients = case_coordinators(instance)
        title = f"Neue Frage zum Einsatz {instance.reference}"
    else:
        ids = case_volunteer_ids(instance)
        recipients = list(db.session.scalars(select(User).where(User.id.in_(ids)))) if ids else []
        title = f"Antwort der Koordinierungsstelle zum Einsatz {instance.reference}"
    notices.notify([u for u in recipients if u.id != author.id], notices.KIND_MESSAGE, title,
                   url_for("volunteers.thread", instance_id=instance.id))
    db.session.flush()
    return message
