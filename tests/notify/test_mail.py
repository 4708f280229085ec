"""Crisis mails: written in the transaction, sent after commit to a real SMTP server, never
for rolled-back work, kept and retried while the server is down; no client data in any mail."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from app.auth.models import Membership, Team, User
from app.engine.models import Task
from app.extensions import db
from app.notify.mailer import backoff, send_outbox, wait_for_sending
from app.notify.models import FAILED, PENDING, SENT, Notification, OutboxMail
from app.notify.services import notify_task
from app.timeutil import aware, utcnow
from tests.flows import instance
from tests.notify.conftest import (
    FAMILY,
    SmtpServer,
    add_task,
    case_with_family,
    count,
    free_port,
    notifications,
    outbox,
)


def _second_asd_member(app, email: str | None = "fb36b@example.org") -> None:
    with app.app_context():
        asd = db.session.scalar(select(Team).where(Team.key == "asd"))
        user = User(username="fb36b", display_name="Zweite Fachkraft", email=email, roles=["fachkraft"])
        user.set_password("demo")
        user.memberships.append(Membership(team=asd, kind="member"))
        db.session.add(user)
        db.session.commit()


def _notify(app, task_id: int, *, email: bool = True, commit: bool = True) -> None:
    with app.test_request_context():
        notify_task(db.session.get(Task, task_id), email=email)
        if commit:
            db.session.commit()
        else:
            db.session.rollback()


def test_crisis_reaches_every_team_member_in_app_and_by_mail(smtp_app, smtp_server, login_as):
    app = smtp_app
    _second_asd_member(app)
    case_id = case_with_family(app, login_as)
    assert instance(app, case_id).title == FAMILY  # the case really carries the family name
    task_id = add_task(app, case_id, due_at=utcnow() + timedelta(hours=4))

    _notify(app, task_id)
    assert wait_for_sending(10)

    reference = instance(app, case_id).reference
    received = smtp_server.messages
    assert sorted(smtp_server.handler.recipients) == [["fb36@example.org"], ["fb36b@example.org"]]
    for message in received:
        body = message.get_content()
        assert f"https://fallwerk.test/aufgaben/{task_id}" in body
        assert reference in message["Subject"] and reference in body
        assert "Krise bearbeiten" in message["Subject"]
        assert "Fällig bis:" in body
        raw = message.as_string()
        assert FAMILY not in raw and "Ahorn" not in raw
        assert "Arabisch" not in raw and "Kita" not in raw  # nothing of the case file either
        assert message["From"] == "Fallwerk <noreply@fallwerk.test>"
    assert [m.status for m in outbox(app)] == [SENT, SENT]
    assert all(m.sent_at is not None and m.attempts == 1 for m in outbox(app))

    with app.app_context():
        users = {n.user_id: n for n in db.session.scalars(select(Notification))}
        asd_members = set(db.session.scalars(
            select(Membership.user_id).join(Team).where(Team.key == "asd", Membership.kind == "member")))
        leitung = db.session.scalar(select(User.id).where(User.username == "leitung"))
    assert set(users) == asd_members and len(asd_members) == 2
    assert leitung not in users  # leads are not members; other teams hear nothing
    for n in users.values():
        assert n.kind == "crisis" and n.link == f"/aufgaben/{task_id}" and n.task_id == task_id
        assert n.title == f"Krise: Krise bearbeiten ({reference})"


def test_member_without_address_gets_no_mail_but_the_notice(smtp_app, smtp_server, login_as):
    app = smtp_app
    _second_asd_member(app, email=None)
    task_id = add_task(app, case_with_family(app, login_as))
    _notify(app, task_id)
    assert wait_for_sending(10)
    assert [m.to_addr for m in outbox(app)] == ["fb36@example.org"]
    assert count(app, Notification, Notification.task_id == task_id) == 2


def test_task_for_leads_goes_to_the_leads(smtp_app, smtp_server, login_as):
    app = smtp_app
    task_id = add_task(app, case_with_family(app, login_as), for_leads=True, title="Krise eskaliert")
    _notify(app, task_id)
    assert wait_for_sending(10)
    assert smtp_server.handler.recipients == [["leitung@example.org"]]
    with app.app_context():
        leitung = db.session.scalar(select(User.id).where(User.username == "leitung"))
        assert set(db.session.scalars(select(Notification.user_id))) == {leitung}


def test_plain_task_notifies_in_app_only(smtp_app, smtp_server, login_as):
    app = smtp_app
    task_id = add_task(app, case_with_family(app, login_as), crisis=False, title="Vermittlung")
    _notify(app, task_id, email=False)
    assert wait_for_sending(10)
    assert smtp_server.messages == [] and outbox(app) == []
    [n] = notifications(app, Notification.task_id == task_id)
    assert n.kind == "task" and n.title.startswith("Neue Aufgabe: Vermittlung (")


def test_rolled_back_work_sends_nothing_and_leaves_no_row(smtp_app, smtp_server, login_as):
    app = smtp_app
    task_id = add_task(app, case_with_family(app, login_as))
    _notify(app, task_id, commit=False)
    with app.test_request_context():  # a later, unrelated commit must not send the dropped mail
        db.session.get(Task, task_id).priority = 5
        db.session.commit()
    assert wait_for_sending(10)
    assert smtp_server.messages == []
    assert outbox(app) == []
    assert count(app, Notification) == 0
    # the worker round finds nothing either
    with app.app_context():
        assert send_outbox(now=utcnow() + timedelta(days=1)) == 0
    assert smtp_server.messages == []


def test_savepoint_release_is_not_the_commit(smtp_app, smtp_server, login_as):
    app = smtp_app
    task_id = add_task(app, case_with_family(app, login_as))
    with app.test_request_context():
        with db.session.begin_nested():
            notify_task(db.session.get(Task, task_id), email=True)
        assert wait_for_sending(10)
        assert smtp_server.messages == []  # still inside the outer transaction
        db.session.commit()
    assert wait_for_sending(10)
    assert len(smtp_server.messages) == 1


def test_smtp_down_keeps_the_mail_and_sends_it_once_later(make_app, login_as):
    port = free_port()  # nothing listens here yet
    app = make_app({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_TIMEOUT": 5})
    task_id = add_task(app, case_with_family(app, login_as))
    before = utcnow()
    _notify(app, task_id)
    assert wait_for_sending(10)

    [mail] = outbox(app)
    assert mail.status == PENDING and mail.attempts == 1
    assert mail.last_error and "Connection" in mail.last_error
    retry_at = aware(mail.next_attempt_at)
    assert before + backoff(1) <= retry_at <= utcnow() + backoff(1)

    server = SmtpServer(port).start()
    try:
        with app.app_context():
            assert send_outbox() == 0  # not due yet: the backoff is respected
        assert server.messages == []
        with app.app_context():
            assert send_outbox(now=retry_at + timedelta(seconds=1)) == 1
            assert send_outbox(now=retry_at + timedelta(hours=2)) == 0  # exactly once
        assert len(server.messages) == 1
        assert server.handler.recipients == [["fb36@example.org"]]
        assert f"/aufgaben/{task_id}" in server.messages[0].get_content()
    finally:
        server.stop()
    [mail] = outbox(app)
    assert mail.status == SENT and mail.attempts == 2 and mail.last_error is None


def test_mail_is_given_up_after_max_attempts(make_app, login_as):
    app = make_app({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": free_port(), "SMTP_TIMEOUT": 5,
                    "MAIL_MAX_ATTEMPTS": 3, "MAIL_SEND_AFTER_COMMIT": False})
    _notify(app, add_task(app, case_with_family(app, login_as)))
    assert wait_for_sending(10)
    assert outbox(app)[0].attempts == 0  # after-commit sending is off: the worker sends
    moment = utcnow()
    for attempt in (1, 2, 3):
        with app.app_context():
            assert send_outbox(now=moment) == 0
        [mail] = outbox(app)
        assert mail.attempts == attempt
        moment = aware(mail.next_attempt_at) + timedelta(seconds=1)
    assert mail.status == FAILED
    with app.app_context():
        assert send_outbox(now=moment + timedelta(days=1)) == 0
    assert outbox(app)[0].attempts == 3


def test_backoff_doubles_up_to_an_hour():
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert backoff(7) == timedelta(hours=1) and backoff(50) == timedelta(hours=1)


def test_without_smtp_host_mails_wait_in_the_outbox(app, login_as):
    assert app.config["SMTP_HOST"] == ""
    _notify(app, add_task(app, case_with_family(app, login_as)))
    assert wait_for_sending(10)
    with app.app_context():
        assert send_outbox() == 0
    [mail] = outbox(app)
    assert mail.status == PENDING and mail.attempts == 0 and mail.to_addr == "fb36@example.org"
    page = login_as("admin").get("/admin/postausgang").get_data(as_text=True)
    assert "Es ist kein SMTP-Server eingerichtet" in page
    assert "fb36@example.org" in page and mail.subject in page
    assert f'data-mail="{mail.id}" data-status="pending"' in page


def test_concurrent_senders_send_each_mail_once(make_app, smtp_server):
    app = make_app({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_server.port, "SMTP_TIMEOUT": 5,
                    "MAIL_SEND_AFTER_COMMIT": False})
    with app.app_context():
        for i in range(20):
            db.session.add(OutboxMail(to_addr=f"person{i}@example.org", subject=f"Test {i}", body="Text"))
        db.session.commit()
    barrier = threading.Barrier(3)
    counts: list[int] = []

    def work():
        with app.app_context():
            barrier.wait()
            counts.append(send_outbox())

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(counts) == 20 and len(counts) == 3
    received = sorted(r for rs in smtp_server.handler.recipients for r in rs)
    assert received == sorted(f"person{i}@example.org" for i in range(20))
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 20
    assert {m.status for m in outbox(app)} == {SENT}
