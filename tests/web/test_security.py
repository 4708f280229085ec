"""Login, logout, CSRF, cookies, secrets, password storage and redirects."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from sqlalchemy import func, select

from app import create_app
from app.auth.models import User
from app.config import PUBLISHED_SECRET_KEYS
from app.engine.models import CaseEvent, ProcessInstance, Task
from app.extensions import db
from tests.flows import open_task, to_form, valid_data

WRONG = "Benutzername oder Passwort ist falsch."


def _logged_in(client) -> bool:
    response = client.get("/aufgaben")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    return False


def _token(client, url: str = "/login") -> str:
    page = client.get(url).data.decode()
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def _csrf_login(client, username: str, password: str = "demo"):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": _token(client)})


def _counts(app) -> tuple[int, ...]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count(m.id)))
                     for m in (ProcessInstance, Task, CaseEvent))


# --- login / logout ------------------------------------------------------------------------------

@pytest.mark.parametrize(("username", "password"), [
    ("fb36", "falsch"), ("fb36", ""), ("niemand", "demo"), ("FB36 ", "Demo"),
])
def test_failed_login_shows_german_error_and_no_session(client, username, password):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 200
    page = response.data.decode()
    assert WRONG in page or "Bitte Passwort eingeben." in page
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert not _logged_in(client)


def test_wrong_password_and_unknown_user_look_the_same(client):
    """No user enumeration: same message for a wrong password and an unknown name."""
    pages = [client.post("/login", data={"username": u, "password": "falsch"}).data.decode()
             for u in ("fb36", "gibtesnicht")]
    assert all(WRONG in p for p in pages)
    assert re.search(r'id="password-error">\s*<li>' + re.escape(WRONG), pages[0])


def test_correct_login_then_logout(client):
    response = client.post("/login", data={"username": "fb36", "password": "demo"})
    assert response.status_code == 302
    assert _logged_in(client)
    assert client.post("/logout").status_code == 302
    assert not _logged_in(client)


def test_logout_needs_post(client):
    client.post("/login", data={"username": "fb36", "password": "demo"})
    assert client.get("/logout").status_code == 405
    assert _logged_in(client)


def test_inactive_user_cannot_log_in(app, client):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "fb36"))
        user.active = False
        db.session.commit()
    response = client.post("/login", data={"username": "fb36", "password": "demo"})
    assert WRONG in response.data.decode()
    assert not _logged_in(client)


def test_pages_need_login(client):
    for url in ("/aufgaben", "/faelle", "/faelle/neu", "/faelle/1", "/aufgaben/1"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert urlparse(response.headers["Location"]).path == "/login"


# --- CSRF ----------------------------------------------------------------------------------------

@pytest.fixture
def csrf_app(make_app):
    return make_app({"WTF_CSRF_ENABLED": True})


def test_login_without_token_rejected(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/login", data={"username": "fb36", "password": "demo"})
    assert response.status_code == 400
    assert not _logged_in(client)
    assert _csrf_login(client, "fb36").status_code == 302
    assert _logged_in(client)


def test_logout_without_token_rejected(csrf_app):
    client = csrf_app.test_client()
    _csrf_login(client, "fb36")
    assert client.post("/logout").status_code == 400
    assert _logged_in(client)
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert _logged_in(client)
    response = client.post("/logout", data={"csrf_token": _token(client, "/aufgaben")})
    assert response.status_code == 302
    assert not _logged_in(client)


def test_post_without_token_changes_nothing(csrf_app):
    fb36 = csrf_app.test_client()
    _csrf_login(fb36, "fb36")
    before = _counts(csrf_app)
    start = {"verfahren": "alltagsbegleitung", "team": "asd"}
    assert fb36.post("/faelle/neu", data=start).status_code == 400
    assert _counts(csrf_app) == before

    # with the token the same request works (so the 400 above was the token)
    response = fb36.post("/faelle/neu", data={**start, "csrf_token": _token(fb36, "/faelle/neu")})
    assert response.status_code == 302
    with csrf_app.app_context():
        case_id = db.session.scalar(select(ProcessInstance.id))
    task = open_task(csrf_app, case_id, "bedarfsermittlung")
    snapshot = _counts(csrf_app)

    form = to_form(valid_data("bedarfsermittlung"))
    assert fb36.post(f"/aufgaben/{task.id}", data=form).status_code == 400
    assert fb36.post(f"/aufgaben/{task.id}/uebernehmen").status_code == 400
    assert open_task(csrf_app, case_id, "bedarfsermittlung").status == "open"
    assert open_task(csrf_app, case_id, "bedarfsermittlung").assignee_id is None
    assert _counts(csrf_app) == snapshot


def test_token_of_another_session_rejected(csrf_app):
    attacker, victim = csrf_app.test_client(), csrf_app.test_client()
    _csrf_login(attacker, "fb36fh")
    _csrf_login(victim, "fb36")
    foreign = _token(attacker, "/faelle/neu")
    before = _counts(csrf_app)
    response = victim.post("/faelle/neu", data={"verfahren": "alltagsbegleitung", "team": "asd",
                                                "csrf_token": foreign})
    assert response.status_code == 400
    assert _counts(csrf_app) == before


def test_every_form_on_the_pages_carries_a_token(csrf_app):
    client = csrf_app.test_client()
    _csrf_login(client, "fb36")
    client.post("/faelle/neu", data={"verfahren": "alltagsbegleitung", "team": "asd",
                                     "csrf_token": _token(client, "/faelle/neu")})
    with csrf_app.app_context():
        task_id = db.session.scalar(select(Task.id))
    for url in ("/aufgaben", "/faelle", "/faelle/neu", f"/aufgaben/{task_id}", "/faelle/1"):
        page = client.get(url).data.decode()
        forms = re.findall(r'<form\b[^>]*>(.*?)</form>', page, re.S)
        posts = [f for f, attrs in zip(forms, re.findall(r'<form\b([^>]*)>', page), strict=True)
                 if 'method="post"' in attrs]
        assert posts, url
        for body in posts:
            assert 'name="csrf_token"' in body, url


# --- cookies, secret, passwords ------------------------------------------------------------------

def _session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, "no session cookie set"
    return cookies[-1]


def test_session_cookie_flags(client):
    cookie = _session_cookie(client.post("/login", data={"username": "fb36", "password": "demo"}))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_cookie_is_secure(make_app):
    # Production turns SESSION_COOKIE_SECURE on by default (and refuses it off, tests/ops); it
    # also refuses SQLite, so the cookie itself is checked with the setting production implies.
    app = make_app({"SESSION_COOKIE_SECURE": True, "REMEMBER_COOKIE_SECURE": True})
    client = app.test_client()
    cookie = _session_cookie(client.post("/login", data={"username": "fb36", "password": "demo"}))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("env_name", ["production", "development", "testing"])
def test_every_mode_refuses_the_published_secret(tmp_path, env_name):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_NAME": env_name, "SECRET_KEY": next(iter(PUBLISHED_SECRET_KEYS)),
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.db'}"})


def test_production_starts_with_real_secret(tmp_path):
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "a-long-random-production-secret-0123456789",
                      "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://app:app@127.0.0.1:1/not_used",
                      "APP_BASE_URL": "https://fallwerk.example.org", "INSTANCE_DIR": str(tmp_path)})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    with app.app_context():
        db.engine.dispose()


def test_passwords_are_stored_hashed(app):
    with app.app_context():
        users = db.session.scalars(select(User)).all()
        assert len(users) >= 12
        hashes = {u.password_hash for u in users}
        assert len(hashes) == len(users)  # salted: the same password gives different hashes
        for user in users:
            assert "demo" not in user.password_hash
            assert user.password_hash.startswith(("pbkdf2:", "scrypt:"))
            assert user.check_password("demo") and not user.check_password("Demo")


def test_new_password_is_hashed(app):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "fb31"))
        user.set_password("ein neues Passwort")
        db.session.commit()
        stored = db.session.scalar(select(User.password_hash).where(User.username == "fb31"))
        assert "ein neues Passwort" not in stored
    client = app.test_client()
    assert client.post("/login", data={"username": "fb31", "password": "demo"}).status_code == 200
    ok = client.post("/login", data={"username": "fb31", "password": "ein neues Passwort"})
    assert ok.status_code == 302


# --- redirects -----------------------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "//evil.example", "//evil.example/aufgaben", "https://evil.example/", "http:evil.example",
    "/\\evil.example", "\\\\evil.example", "javascript:alert(1)", "///evil.example",
])
def test_login_does_not_redirect_elsewhere(client, target):
    response = client.post("/login", query_string={"next": target},
                           data={"username": "fb36", "password": "demo"})
    assert response.status_code == 302
    location = response.headers["Location"]
    parsed = urlparse(location)
    assert parsed.netloc in ("", "localhost"), location
    assert location.startswith("/") and not location.startswith("//")
    assert "\\" not in location  # browsers read "/\\host" as "//host"


def test_login_follows_local_next(client):
    response = client.post("/login", query_string={"next": "/faelle?status=running"},
                           data={"username": "fb36", "password": "demo"})
    assert response.headers["Location"] == "/faelle?status=running"
