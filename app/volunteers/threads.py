"""The question thread of an assignment: the volunteer asks, 201 answers."""

from __future__ import annotations

from blinker import Namespace
from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.engine.models import ProcessInstance
from app.erasure.services import case_erasing
from app.extensions import db
from app.volunteers import notices
from app.volunteers.access import case_coordinators, case_volunteer_ids, is_case_volunteer
from app.volunteers.models import CaseMessage, ExpenseEntry

# Other features react to the thread (app/formsignals: a question becomes a to-do of 201, an answer
# closes it): ``(instance, author=User, body=str)``, in the same transaction.
_thread = Namespace()
question_posted = _thread.signal("question-posted")
question_answered = _thread.signal("question-answered")


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
    asked = is_case_volunteer(author, instance)
    if asked:
        recipients = case_coordinators(instance)
        title = f"Neue Frage zum Einsatz {instance.reference}"
    else:
        ids = case_volunteer_ids(instance)
        recipients = list(db.session.scalars(select(User).where(User.id.in_(ids)))) if ids else []
        title = f"Antwort der Koordinierungsstelle zum Einsatz {instance.reference}"
    notices.notify([u for u in recipients if u.id != author.id], notices.KIND_MESSAGE, title,
                   url_for("volunteers.thread", instance_id=instance.id))
    db.session.flush()
    (question_posted if asked else question_answered).send(instance, author=author, body=message.body)
    return message


@case_erasing.connect
def _erase_volunteer_records(instance: ProcessInstance, **_kw) -> dict[str, int]:
    """Erasure of the case's personal data (app/erasure): the messages between volunteer and
    coordination go, and the notes and comments of the volunteer's expense entries (date, hours,
    kilometres and sums stay: they are what was paid)."""
    messages_gone = 0
    for message in db.session.scalars(select(CaseMessage).where(CaseMessage.instance_id == instance.id)):
        db.session.delete(message)
        messages_gone += 1
    for expense in db.session.scalars(select(ExpenseEntry).where(ExpenseEntry.instance_id == instance.id)):
        expense.notiz, expense.kommentar = "", ""
    db.session.flush()
    return {"nachrichten": messages_gone}
