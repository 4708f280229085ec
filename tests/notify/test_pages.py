"""The notification counter and list, marking read, and the admin-only outbox page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.engine.models import Task
from app.extensions import db
from app.notify.models import Notification
from app.notify.services import notify_task
from app.timeutil import utcnow
from tests.conftest import login
from tests.flows import complete_web, start_case_web
from tests.notify.conftest import FAMILY, add_task, case_with_family, notifications, outbox


def _header(page: str) -> str:
    """The main navigation as a reader hears it (tags removed, spaces collapsed)."""
    nav = re.search(r'<nav aria-label="Hauptnavigation">(.*?)</nav>', page, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", nav).split())


def _notify(app, task_id: int, email: bool = False) -> None:
    with app.test_request_context():
        notify_task(db.session.get(Task, task_id), email=email)
        db.session.commit()


def _user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


@pytest.fixture
def two_notices(app, login_as):
    """fb36 (team asd) has a crisis notice and a task notice, both unread."""
    case_id = case_with_family(app, login_as)
    crisis = add_task(app, case_id)
    task = add_task(app, case_id, crisis=False, title="Zwischengespräch")
    _notify(app, crisis, email=True)
    _notify(app, task)
    return crisis, task


def test_counter_list_and_mark_all_read(app, login_as, two_notices):
    crisis, task = two_notices
    fb36 = login_as("fb36")
    page = fb36.get("/aufgaben").get_data(as_text=True)
    assert "Benachrichtigungen (2 ungelesen)" in _header(page)

    page = fb36.get("/benachrichtigungen").get_data(as_text=True)
    assert page.count("<h1>") == 1 and "<caption>" in page and '<th scope="col">' in page
    assert f'href="/aufgaben/{crisis}"' in page and f'href="/aufgaben/{task}"' in page
    assert page.count('<tr class="unread') == 2 and "Ungelesen: 2" in page
    assert page.index("Zwischengespräch") < page.index("Krise: Krise bearbeiten")  # newest first
    assert FAMILY not in page

    response = fb36.post("/benachrichtigungen/gelesen")
    assert response.status_code == 302
    page = fb36.get("/benachrichtigungen").get_data(as_text=True)
    assert "ungelesen" not in _header(page)
    assert _header(page).split().count("Benachrichtigungen") == 1
    assert page.count('<tr class="unread') == 0 and "Ungelesen: 0" in page
    assert f'href="/aufgaben/{crisis}"' in page  # still listed, now read
    assert all(n.read_at is not None for n in notifications(app))


def test_mark_one_read(app, login_as, two_notices):
    crisis, _task = two_notices
    [notice] = notifications(app, Notification.task_id == crisis)
    fb36 = login_as("fb36")
    assert fb36.post("/benachrichtigungen/gelesen", data={"notification": notice.id}).status_code == 302
    assert "Benachrichtigungen (1 ungelesen)" in _header(fb36.get("/aufgaben").get_data(as_text=True))
    assert notifications(app, Notification.task_id == crisis)[0].read_at is not None


def test_other_users_never_see_or_touch_them(app, login_as, two_notices):
    k201 = login_as("k201")
    assert "ungelesen" not in _header(k201.get("/aufgaben").get_data(as_text=True))
    page = k201.get("/benachrichtigungen").get_data(as_text=True)
    assert "Keine Benachrichtigungen." in page and "Krise bearbeiten" not in page
    for notice in notifications(app):
        k201.post("/benachrichtigungen/gelesen", data={"notification": notice.id})
    k201.post("/benachrichtigungen/gelesen")
    assert all(n.read_at is None for n in notifications(app))
    assert {n.user_id for n in notifications(app)} == {_user_id(app, "fb36")}


def test_pages_need_login(client):
    assert client.get("/benachrichtigungen").status_code == 302
    assert client.post("/benachrichtigungen/gelesen").status_code == 302
    assert client.get("/admin/postausgang").status_code == 302


def test_mark_read_needs_the_csrf_token(make_app, login_as):
    app = make_app({"WTF_CSRF_ENABLED": True})
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == "fb36"))
        db.session.add(Notification(user_id=user_id, kind="task", title="Neue Aufgabe: X (AB-1)",
                                    link="/aufgaben/1"))
        db.session.commit()
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"username": "fb36", "password": "demo", "csrf_token": token})
    assert client.post("/benachrichtigungen/gelesen").status_code == 400
    assert notifications(app)[0].read_at is None
    page = client.get("/benachrichtigungen").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post("/benachrichtigungen/gelesen", data={"csrf_token": token}).status_code == 302
    assert notifications(app)[0].read_at is not None


def test_list_is_paginated(make_app, login_as):
    app = make_app({"NOTIFY_PAGE_SIZE": 2})
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == "fb36"))
        start = utcnow()
        for i in range(5):
            db.session.add(Notification(user_id=user_id, kind="task", title=f"Nummer {i}",
                                        link="/aufgaben/1", created_at=start + timedelta(seconds=i)))
        db.session.commit()
    fb36 = login(app.test_client(), "fb36")  # a client of this app (page size 2)
    first = fb36.get("/benachrichtigungen").get_data(as_text=True)
    assert "Nummer 4" in first and "Nummer 3" in first and "Nummer 2" not in first
    assert "Seite 1 von 3" in first
    last = fb36.get("/benachrichtigungen?seite=3").get_data(as_text=True)
    assert "Nummer 0" in last and "Nummer 1" not in last


@pytest.mark.parametrize("username", ["fb36", "k201", "leitung", "prozess", "ehrenamt1"])
def test_outbox_is_admin_only(app, login_as, two_notices, username):
    client = login_as(username)
    assert client.get("/admin/postausgang").status_code == 403
    assert "Postausgang" not in _header(client.get("/aufgaben").get_data(as_text=True))


def test_outbox_lists_the_mails_for_admins(app, login_as, two_notices):
    [mail] = outbox(app)
    admin = login_as("admin")
    assert "Postausgang" in _header(admin.get("/aufgaben").get_data(as_text=True))
    response = admin.get("/admin/postausgang")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count("<h1>") == 1 and "<caption>" in page and '<th scope="col">Empfänger</th>' in page
    assert "fb36@example.org" in page and mail.subject in page
    assert "Es ist kein SMTP-Server eingerichtet" in page
    assert "wartet: 1" in page
    assert FAMILY not in page


def test_engine_announces_new_tasks(app, login_as):
    """The engine calls notify_task for each task it creates: 201 hears of the new request."""
    fb36 = login_as("fb36")
    case_id = start_case_web(fb36)
    assert complete_web(fb36, case_id, "bedarfsermittlung").status_code == 302
    with app.app_context():
        task_id = db.session.scalar(select(Task.id).where(Task.instance_id == case_id,
                                                           Task.bpmn_id == "vermittlung"))
    k201 = login_as("k201")
    assert "Benachrichtigungen (1 ungelesen)" in _header(k201.get("/aufgaben").get_data(as_text=True))
    page = k201.get("/benachrichtigungen").get_data(as_text=True)
    assert f'href="/aufgaben/{task_id}"' in page and "Neue Aufgabe: " in page
    assert FAMILY not in page
    assert [n.user_id for n in notifications(app, Notification.task_id == task_id)] == [_user_id(app, "k201")]
    assert outbox(app) == []  # an ordinary task: no mail
