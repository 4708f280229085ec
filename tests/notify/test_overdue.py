"""Overdue tasks: exactly one reminder (in the app and by e-mail) per task, none for tasks that
are not overdue or already done; the timer worker's round reminds and sends."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import select, update

from app.engine.models import Task
from app.extensions import db
from app.notify.mailer import wait_for_sending
from app.notify.models import Notification, OutboxMail
from app.notify.services import remind_overdue
from app.timers.services import notify_round, run_worker
from app.timeutil import aware, utcnow
from tests.notify.conftest import FAMILY, add_task, case_with_family, count, notifications, outbox


def _task_id(app, case_id: int, bpmn_id: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Task.id).where(Task.instance_id == case_id, Task.bpmn_id == bpmn_id))


def _set_due(app, task_id: int, due) -> None:
    with app.app_context():
        db.session.execute(update(Task).where(Task.id == task_id).values(due_at=due))
        db.session.commit()


def _remind(app, now) -> int:
    with app.test_request_context():
        reminded = remind_overdue(now)
        db.session.commit()
        return reminded


def test_overdue_task_gets_exactly_one_reminder(app, login_as):
    now = utcnow()
    overdue_case, later_case = case_with_family(app, login_as), case_with_family(app, login_as)
    overdue = _task_id(app, overdue_case, "vermittlung")  # open, for team k201
    later = _task_id(app, later_case, "vermittlung")
    done = _task_id(app, overdue_case, "bedarfsermittlung")  # completed
    _set_due(app, overdue, now - timedelta(hours=1))
    _set_due(app, later, now + timedelta(days=1))
    _set_due(app, done, now - timedelta(days=3))

    assert _remind(app, now) == 1
    [note] = notifications(app)
    assert note.kind == "overdue" and note.task_id == overdue and note.link == f"/aufgaben/{overdue}"
    assert note.title.startswith("Überfällig: ")
    [mail] = outbox(app)
    assert mail.to_addr == "k201@example.org"
    assert "Frist überschritten" in mail.subject and f"/aufgaben/{overdue}" in mail.body
    assert FAMILY not in mail.subject + mail.body
    with app.app_context():
        assert aware(db.session.get(Task, overdue).reminder_sent_at) == now
        assert db.session.get(Task, later).reminder_sent_at is None
        assert db.session.get(Task, done).reminder_sent_at is None

    # later rounds: nothing more for the same task, even much later
    assert _remind(app, now + timedelta(minutes=1)) == 0
    assert _remind(app, now + timedelta(hours=2)) == 0
    assert count(app, Notification) == 1 and count(app, OutboxMail) == 1

    # the other task becomes overdue in its own time and gets its own single reminder
    assert _remind(app, now + timedelta(days=2)) == 1
    assert {n.task_id for n in notifications(app)} == {overdue, later}
    assert count(app, OutboxMail) == 2


def test_task_without_due_date_or_cancelled_is_never_reminded(app, login_as):
    case_id = case_with_family(app, login_as)
    no_due = _task_id(app, case_id, "vermittlung")
    _set_due(app, no_due, None)  # the BPMN gives it ten days; here it has no deadline
    cancelled = add_task(app, case_id, due_at=utcnow() - timedelta(days=1))
    with app.app_context():
        db.session.get(Task, cancelled).status = "cancelled"
        db.session.commit()
    assert _remind(app, utcnow() + timedelta(days=365)) == 0
    assert count(app, Notification) == 0 and count(app, OutboxMail) == 0
    with app.app_context():
        assert db.session.get(Task, no_due).reminder_sent_at is None


def test_overdue_task_of_an_assignee_reminds_only_the_assignee(app, login_as):
    case_id = case_with_family(app, login_as)
    task_id = _task_id(app, case_id, "vermittlung")
    assert login_as("k201").post(f"/aufgaben/{task_id}/uebernehmen").status_code == 302
    with app.app_context():
        task = db.session.get(Task, task_id)
        assert task.status == "claimed" and task.assignee is not None
        k201_id = task.assignee_id
        task.due_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
    assert _remind(app, utcnow()) == 1
    assert [n.user_id for n in notifications(app)] == [k201_id]


def test_worker_round_reminds_and_delivers(smtp_app, smtp_server, login_as):
    app = smtp_app
    task_id = _task_id(app, case_with_family(app, login_as), "vermittlung")
    _set_due(app, task_id, utcnow() - timedelta(minutes=1))
    with app.app_context():
        reminded, sent = notify_round()
    assert reminded == 1 and sent in (0, 1)  # the after-commit sender may have been faster
    assert wait_for_sending(10)
    assert len(smtp_server.messages) == 1  # sent once, by the round or right after its commit
    assert smtp_server.handler.recipients == [["k201@example.org"]]
    assert f"https://fallwerk.test/aufgaben/{task_id}" in smtp_server.messages[0].get_content()
    with app.app_context():
        assert notify_round() == (0, 0)
    assert len(smtp_server.messages) == 1


def test_running_worker_sends_the_reminder_within_seconds(smtp_app, smtp_server, login_as):
    app = smtp_app
    task_id = _task_id(app, case_with_family(app, login_as), "vermittlung")
    _set_due(app, task_id, utcnow() - timedelta(minutes=1))
    stop = threading.Event()

    def work():
        with app.app_context():
            run_worker(stop, interval=0.2)

    worker = threading.Thread(target=work, daemon=True)
    started = time.monotonic()
    worker.start()
    try:
        while time.monotonic() - started < 10 and not smtp_server.messages:
            time.sleep(0.05)
        time.sleep(0.5)  # a few more rounds: still one mail
    finally:
        stop.set()
        worker.join(5)
    assert wait_for_sending(10)
    assert len(smtp_server.messages) == 1
    assert count(app, Notification) == 1
