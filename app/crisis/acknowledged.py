"""Closing the loop of a crisis report: who reported it (shown on the crisis task) and telling
the reporter once the team has acknowledged it (the first crisis task of the report completed).

The in-app notice links to the case; the mail (crises go out by mail) names only the case
reference and the link, never client data.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.auth.models import User
from app.engine import signals
from app.engine.models import DONE, ProcessInstance, Task
from app.extensions import db
from app.notify.models import Notification, OutboxMail
from app.notify.services import SUBJECT_PREFIX

KIND_ACKNOWLEDGED = "quittiert"  # Notification.kind (labelled in app/notify/routes.py)


def reporter_of(report: dict | None) -> User | None:
    """The user who reported the crisis ``report`` (``gemeldet_von`` is their user name)."""
    username = (report or {}).get("gemeldet_von")
    if not username:
        return None
    return db.session.scalar(select(User).where(User.username == str(username)))


def reporter_contact(report: dict | None) -> dict | None:
    """Who reported it and how to reach them: name, teams (with the team's e-mail), e-mail."""
    user = reporter_of(report)
    if user is None:
        return None
    teams = [m.team for m in user.memberships]
    return {"name": user.display_name, "teams": [t.name for t in teams], "email": user.email,
            "team_emails": [t.email for t in teams if t.email]}


def _same_report(task: Task, report: dict) -> bool:
    other = (task.context or {}).get("krise") or {}
    return (other.get("gemeldet_am"), other.get("gemeldet_von")) == (report.get("gemeldet_am"),
                                                                      report.get("gemeldet_von"))


@signals.task_completed.connect
def tell_reporter(instance: ProcessInstance, task: Task | None = None, user: User | None = None,
                  **_kwargs) -> None:
    """The first completed crisis task of a report is the team's acknowledgement: tell the reporter."""
    if task is None or not task.crisis:
        return
    report = (task.context or {}).get("krise")
    if not isinstance(report, dict):
        return
    earlier = db.session.scalars(select(Task).where(
        Task.instance_id == instance.id, Task.crisis.is_(True), Task.status == DONE, Task.id != task.id))
    if any(_same_report(row, report) for row in earlier):
        return  # acknowledged before (e.g. this is the follow-up "Krise bearbeiten")
    reporter = reporter_of(report)
    if reporter is None or not reporter.active or (user is not None and reporter.id == user.id):
        return
    title = f"Krise zur Kenntnis genommen: {instance.reference}"
    # a path inside the application, built without a request (like app/notify's task links)
    link = current_app.url_map.bind("localhost").build("cases.view", {"instance_id": instance.id})
    db.session.add(Notification(user_id=reporter.id, kind=KIND_ACKNOWLEDGED, title=title, link=link,
                                task_id=task.id))
    if reporter.email:
        base = current_app.config["APP_BASE_URL"].rstrip("/")
        body = (f"Guten Tag,\n\ndas fallverantwortliche Team hat die von Ihnen gemeldete Krise im Fall "
                f"{instance.reference} zur Kenntnis genommen"
                f"{' (' + user.display_name + ')' if user is not None else ''}.\n\n"
                f"Zum Fall: {base}{link}\n\n"
                "Aus Datenschutzgründen enthält diese E-Mail keine Angaben zu den betreuten Personen.\n\n"
                "-- \nDiese Nachricht wurde automatisch von Fallwerk erstellt. Bitte antworten Sie nicht darauf.\n")
        db.session.add(OutboxMail(to_addr=reporter.email, subject=f"{SUBJECT_PREFIX} {title}"[:300], body=body))
    db.session.flush()
