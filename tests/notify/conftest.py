"""A real SMTP server (aiosmtpd) on a free loopback port, and cases with task rows to notify."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import delete, func, select

from app.auth.models import Team
from app.engine.models import Task
from app.extensions import db
from app.notify.mailer import wait_for_sending
from app.notify.models import Notification, OutboxMail
from tests.flows import complete_web, start_case_web

FAMILY = "Testfamilie Ahorn"  # the family name of the case in tests/flows.valid_data


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Collector:
    """aiosmtpd handler keeping every received message."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.handler = Collector()
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler.lock:
            return list(self.handler.messages)


@pytest.fixture
def smtp_server():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_app(make_app, smtp_server):
    """An app that sends through the test SMTP server."""
    app = make_app({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_server.port, "SMTP_TIMEOUT": 5,
                    "MAIL_FROM": "Fallwerk <noreply@fallwerk.test>",
                    "APP_BASE_URL": "https://fallwerk.test"})
    yield app
    assert wait_for_sending(10)


def case_with_family(app, login_as) -> int:
    """A case of team asd whose family name is known (the case title holds it); its open task
    is ``vermittlung`` for team k201.

    The engine announces every new task; those notices are removed here so that each test sees
    only what it causes itself (test_engine_announces_new_tasks covers the engine's part).
    """
    fb36 = login_as("fb36")
    case_id = start_case_web(fb36)
    assert complete_web(fb36, case_id, "bedarfsermittlung").status_code == 302
    assert wait_for_sending(10)
    with app.app_context():
        db.session.execute(delete(Notification))
        db.session.execute(delete(OutboxMail))
        db.session.commit()
    return case_id


def add_task(app, case_id: int, *, team: str = "asd", crisis: bool = True, for_leads: bool = False,
             title: str = "Krise bearbeiten", due_at=None) -> int:
    """A task row like the one the engine writes for a crisis (independent of the BPMN)."""
    with app.app_context():
        team_row = db.session.scalar(select(Team).where(Team.key == team))
        task = Task(instance_id=case_id, spiff_task_id=f"test-{title}", bpmn_id="krise_bearbeiten",
                    title=title, candidate_team_id=team_row.id, crisis=crisis, for_leads=for_leads,
                    due_at=due_at)
        db.session.add(task)
        db.session.commit()
        return task.id


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def outbox(app) -> list[OutboxMail]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def notifications(app, *where) -> list[Notification]:
    with app.app_context():
        rows = db.session.scalars(select(Notification).where(*where).order_by(Notification.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows
