"""In-app notifications (and invitation mails) for the volunteer features. Adds rows inside
the caller's transaction; never commits. Mails carry no client data."""

from __future__ import annotations

from collections.abc import Iterable

from app.auth.models import User
from app.extensions import db
from app.notify.models import Notification, OutboxMail
from app.notify.services import SUBJECT_PREFIX

KIND_MESSAGE, KIND_INVITE, KIND_EXPENSE = "nachricht", "einladung", "aufwand"


def notify(users: Iterable[User], kind: str, title: str, link: str) -> None:
    for user in users:
        if user.active:
            db.session.add(Notification(user_id=user.id, kind=kind, title=title[:300], link=link[:300]))


def mail(users: Iterable[User], subject: str, body: str) -> None:
    for user in users:
        if user.active and user.email:
            db.session.add(OutboxMail(to_addr=user.email, subject=f"{SUBJECT_PREFIX} {subject}"[:300],
                                      body=body))
