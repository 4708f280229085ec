"""Write notifications and outbox mails for tasks. Called inside the caller's transaction:
these functions add (the caller's flush or commit writes the rows), they never commit.

Mails never contain client data: only the step name (from the BPMN), the case reference, the
due date and a link into the application.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale, format_datetime
from sqlalchemy import func, select, update
from sqlalchemy.orm import lazyload

from app.auth.models import LEAD, MEMBER, Membership, User
from app.engine import signals
from app.engine.models import ACTIVE_TASK_STATES, TODO_TASK, ProcessInstance, Task
from app.erasure.services import case_erasing
from app.extensions import db
from app.notify.models import KIND_CRISIS, KIND_OVERDUE, KIND_TASK, Notification, OutboxMail
from app.timeutil import aware, utcnow
from app.web.paging import Page, paginate

SUBJECT_PREFIX = "[Fallwerk]"


def task_path(task_id: int) -> str:
    """The task page's path inside the application (works without a request, e.g. in the worker)."""
    return current_app.url_map.bind("localhost").build("inbox.task_page", {"task_id": task_id})


def task_url(task_id: int) -> str:
    return current_app.config["APP_BASE_URL"].rstrip("/") + task_path(task_id)


def recipients(task: Task) -> list[User]:
    """Who is told about ``task``: its assignee, else the members (or leads) of its team."""
    if task.assignee is not None:
        return [task.assignee] if task.assignee.active else []
    team = task.candidate_team
    if team is None:
        return []
    kind = LEAD if task.for_leads else MEMBER
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == team.id, Membership.kind == kind, User.active.is_(True))
        .options(lazyload(User.role_rows))  # a notice needs no roles: no second query per completion
        .order_by(User.id)
    ))


def notify_task(task: Task, *, email: bool = False, actor: User | None = None) -> None:
    """Tell the recipients of a new task in the app, and by e-mail when ``email`` (crises);
    never ``actor``, who gave the task (to themself, or to their own team)."""
    if task.id is None:
        db.session.flush()  # the link needs the row's id
    reference = _reference(task)
    kind = KIND_CRISIS if task.crisis else KIND_TASK
    label = "Krise" if task.crisis else "Neue Aufgabe"
    template = "notify/mail/crisis.txt" if task.crisis else "notify/mail/task.txt"
    users = [u for u in recipients(task) if actor is None or u.id != actor.id]
    _notify(task, reference, users, kind, f"{label}: {task.title} ({reference})",
            template if email else None)  # no flush: the rows go out with the caller's commit


@signals.tasks_assigned.connect
def announce_tasks(instance: ProcessInstance, tasks: list[Task], actor: User | None = None, **_kwargs) -> None:
    """The engine gave ``tasks`` to new people: tell them in the app, crises also by e-mail;
    nobody is told of a task they gave themselves (``actor``)."""
    for task in tasks:
        notify_task(task, email=task.crisis, actor=actor)


def remind_overdue(now: datetime | None = None) -> int:
    """One reminder (in the app and by e-mail) for every open task that is overdue at ``now``.

    SQL over the task rows; each task is taken with a conditional UPDATE, so two workers never
    remind twice. Returns the number of tasks reminded.
    """
    now = now or utcnow()
    rows = db.session.execute(
        select(Task.id, ProcessInstance.reference)
        .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
        .where(Task.status.in_(ACTIVE_TASK_STATES), Task.due_at < now, Task.reminder_sent_at.is_(None))
        .order_by(Task.due_at)
    ).all()
    reminded = 0
    for task_id, reference in rows:
        taken = db.session.execute(  # type: ignore[attr-defined]  # DML gives a CursorResult
            update(Task).where(Task.id == task_id, Task.reminder_sent_at.is_(None),
                               Task.status.in_(ACTIVE_TASK_STATES))
            .values(reminder_sent_at=now)
        ).rowcount
        if taken != 1:
            continue  # another worker was faster, or the task was just completed
        task = db.session.get(Task, task_id)
        if task is None:  # the update above just took it; keeps mypy's Optional honest
            continue
        _notify(task, reference, recipients(task), KIND_OVERDUE,
                f"Überfällig: {task.title} ({reference})", "notify/mail/overdue.txt")
        reminded += 1
    db.session.flush()
    return reminded


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


def list_for(user: User, page: int = 1, size: int | None = None) -> Page:
    """One page of the user's notifications, newest first: items, total, page, pages."""
    size = size or current_app.config["NOTIFY_PAGE_SIZE"]
    total = db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.user_id == user.id)) or 0
    return paginate(select(Notification).where(Notification.user_id == user.id)
                    .order_by(Notification.created_at.desc(), Notification.id.desc()), page, size, total=total)


def mark_read(user: User, ids: list[int] | str) -> int:
    """Mark the user's notifications ``ids`` (or ``"all"``) read; returns how many changed.
    Other users' notifications are never touched."""
    query = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if ids != "all":
        if not ids:
            return 0
        query = query.where(Notification.id.in_(list(ids)))
    result = db.session.execute(query.values(read_at=utcnow()).execution_options(synchronize_session=False))
    return result.rowcount or 0  # type: ignore[attr-defined]  # DML gives a CursorResult


# --------------------------------------------------------------------------------------------


def _reference(task: Task) -> str:
    instance = task.__dict__.get("instance")
    if instance is not None:
        return instance.reference
    return db.session.execute(
        select(ProcessInstance.reference).where(ProcessInstance.id == task.instance_id)).scalar_one()


def _notify(task: Task, reference: str, users: list[User], kind: str, title: str,
            mail_template: str | None) -> None:
    link = task_path(task.id)
    for user in users:
        db.session.add(Notification(user_id=user.id, kind=kind, title=title[:300], link=link,
                                    task_id=task.id))
    if mail_template is None:
        return
    subject, body = _render_mail(mail_template, task, reference)
    for user in users:
        if user.email:
            db.session.add(OutboxMail(to_addr=user.email, subject=subject, body=body))


def _render_mail(template: str, task: Task, reference: str) -> tuple[str, str]:
    """(subject, body) in German. The template gets no case data on purpose."""
    with force_locale("de"):
        due = format_datetime(aware(task.due_at), "short") if task.due_at else None
        text = render_template(template, step=task.title, reference=reference, due=due,
                               link=task_url(task.id))
    subject, _, body = text.partition("\n")
    subject = subject.removeprefix("Betreff:").strip()
    return f"{SUBJECT_PREFIX} {subject}"[:300], body.lstrip("\n")


def outbox_page(page: int = 1, size: int = 50) -> Page:
    """Admin view of the outbox, newest first: items, total, page, pages, counts per status."""
    total = db.session.scalar(select(func.count()).select_from(OutboxMail)) or 0
    listing = paginate(select(OutboxMail).order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc()),
                       page, size, total=total)
    listing.extra["counts"] = dict(db.session.execute(
        select(OutboxMail.status, func.count()).group_by(OutboxMail.status)).all())
    return listing


@case_erasing.connect
def _erase_notifications(instance: ProcessInstance, **_kw) -> dict[str, int]:
    """Erasure of the case's personal data (app/erasure): the notifications about the case's
    tasks go (their titles may name the family), and the mails about its to-dos."""
    task_ids = select(Task.id).where(Task.instance_id == instance.id)
    gone = 0
    for notification in db.session.scalars(select(Notification).where(Notification.task_id.in_(task_ids))):
        db.session.delete(notification)
        gone += 1
    # A to-do's mail names the to-do (a staff note that may name the family): it leaves the outbox.
    for (todo_id,) in db.session.execute(select(Task.id).where(Task.instance_id == instance.id,
                                                               Task.kind == TODO_TASK)):
        for mail in db.session.scalars(select(OutboxMail).where(OutboxMail.body.contains(f"{task_url(todo_id)}\n"))):
            db.session.delete(mail)
            gone += 1
    db.session.flush()
    return {"benachrichtigungen": gone}
