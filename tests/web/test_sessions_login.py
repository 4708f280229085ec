"""Issue 11: no public secret, sessions that end, per-account login protection, password policy.

Each reproduction of the security test is a regression test here. The clock is controlled
through ``app.timeutil.utcnow`` (fixture ``clock`` of tests/conftest.py); nothing sleeps.
"""

from __future__ import annotations

import re
import stat
import threading
from html import unescape

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select

from app import create_app
from app.auth.models import ApiToken, User
from app.auth.secret import KEY_FILE, installation_secret
from app.config import PUBLISHED_SECRET_KEYS
from app.extensions import db, limiter
from tests.conftest import _config, login

API = "/api/v1"
WRONG = "Benutzername oder Passwort ist falsch."
LOCKED = "vorübergehend gesperrt"
STRONG = "Mein Fahrrad steht im Hof"


def logged_in(client) -> bool:
    response = client.get("/aufgaben")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def field_errors(page: str, field: str) -> list[str]:
    match = re.search(rf'<ul class="field-errors" id="{field}-error">(.*?)</ul>', page, re.S)
    return [unescape(m.strip()) for m in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)] if match else []


def web_login(client, username: str, password: str) -> tuple[int, list[str]]:
    response = client.post("/login", data={"username": username, "password": password})
    return response.status_code, field_errors(response.get_data(as_text=True), "password")


def api_token(client, username: str, password: str):
    return client.post(f"{API}/tokens", json={"username": username, "password": password})


def user_row(app, username: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge(user)
        return user


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def copy_of(app, client):
    """A second browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", session_cookie(client))
    return thief


# --- 1. no public secret --------------------------------------------------------------------------

def _signed(secret: str, data: dict) -> str:
    fake = Flask("forger")
    fake.secret_key = secret
    return SecureCookieSessionInterface().get_signing_serializer(fake).dumps(data)


@pytest.fixture
def generated_app(make_app, tmp_path):
    return make_app({"SECRET_KEY": "", "INSTANCE_DIR": str(tmp_path / "instance")})


def test_cookie_signed_with_published_key_is_refused(generated_app):
    """The reproduction: a session for admin signed with the key from the README."""
    admin = login(generated_app.test_client(), "admin")
    with admin.session_transaction() as sess:
        payload = dict(sess)
    key = generated_app.config["SECRET_KEY"]
    assert key not in PUBLISHED_SECRET_KEYS and len(key) >= 32
    for published in PUBLISHED_SECRET_KEYS:
        forged = generated_app.test_client()
        forged.set_cookie("session", _signed(published, payload))
        assert not logged_in(forged)
    # positive control: the same payload signed with the installation's key is a session
    genuine = generated_app.test_client()
    genuine.set_cookie("session", _signed(key, payload))
    assert logged_in(genuine)


def test_generated_key_is_shared_private_and_kept(generated_app, make_app, tmp_path):
    instance = tmp_path / "instance"
    second = make_app({"SECRET_KEY": "", "INSTANCE_DIR": str(instance)}, demo=False)
    assert second.config["SECRET_KEY"] == generated_app.config["SECRET_KEY"]
    path = instance / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in instance.iterdir()] == [KEY_FILE]  # no temporary files left
    # a session from one worker is valid in the other
    client = login(generated_app.test_client(), "fb36")
    other = second.test_client()
    other.set_cookie("session", session_cookie(client))
    assert logged_in(other)


def test_configured_key_wins_and_creates_no_file(tmp_path):
    app = create_app(_config(tmp_path, {"SECRET_KEY": "own-key", "INSTANCE_DIR": str(tmp_path / "i")}))
    assert app.config["SECRET_KEY"] == "own-key"
    assert not (tmp_path / "i").exists()
    with app.app_context():
        db.engine.dispose()


def test_concurrent_first_starts_agree_on_one_key(tmp_path):
    instance = tmp_path / "deep" / "instance"  # created when missing
    barrier, keys = threading.Barrier(8), []

    def start():
        barrier.wait()
        keys.append(installation_secret(instance))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1
    assert [p.name for p in instance.iterdir()] == [KEY_FILE]


def test_loose_key_file_rights_are_tightened(tmp_path):
    path = tmp_path / KEY_FILE
    path.write_text("x" * 64)
    path.chmod(0o644)
    assert installation_secret(tmp_path) == "x" * 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# --- 2. sessions that end ---------------------------------------------------------------------------

def test_copied_cookie_is_dead_after_logout(app):
    client = login(app.test_client(), "fb36")
    thief = copy_of(app, client)
    other_browser = login(app.test_client(), "fb36")
    assert logged_in(thief)
    assert client.post("/logout").status_code == 302
    assert not logged_in(client)
    assert not logged_in(thief)
    assert not logged_in(other_browser)  # logout ends every session of the user
    assert logged_in(login(app.test_client(), "fb36"))  # a new login works


def test_cookie_from_before_session_versions_is_refused(app):
    client = login(app.test_client(), "fb36")
    with client.session_transaction() as sess:
        sess["_user_id"] = sess["_user_id"].split(":")[0]  # old format: the bare id
    assert not logged_in(client)


def test_password_change_ends_other_sessions_and_tokens(app):
    client = login(app.test_client(), "fb36")
    thief = copy_of(app, client)
    token = api_token(app.test_client(), "fb36", "demo").get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get(f"{API}/me", headers=headers).status_code == 200

    response = client.post("/konto/passwort", data={
        "current_password": "demo", "new_password": STRONG, "confirm": STRONG})
    assert response.status_code == 302
    assert logged_in(client)  # this browser stays logged in
    assert not logged_in(thief)
    assert app.test_client().get(f"{API}/me", headers=headers).status_code == 401
    assert web_login(app.test_client(), "fb36", "demo")[0] == 200
    assert web_login(app.test_client(), "fb36", STRONG)[0] == 302
    assert not user_row(app, "fb36").is_demo


def test_deactivation_by_admin_ends_sessions_and_tokens(app, login_as):
    victim = login_as("fb36")
    token = api_token(app.test_client(), "fb36", "demo").get_json()["token"]
    admin = login_as("admin")
    user_id = user_row(app, "fb36").id
    response = admin.post(f"/admin/konten/{user_id}/aktiv?aktiv=0")
    assert response.status_code == 302
    assert not logged_in(victim)
    with app.app_context():
        assert db.session.scalars(select(ApiToken.revoked).where(ApiToken.user_id == user_id)).all() == [True]
    assert app.test_client().get(f"{API}/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    # reactivating does not bring the old session back
    assert admin.post(f"/admin/konten/{user_id}/aktiv?aktiv=1").status_code == 302
    assert not logged_in(victim)
    assert logged_in(login(app.test_client(), "fb36"))


def test_admin_cannot_deactivate_self(app, login_as):
    admin = login_as("admin")
    response = admin.post(f"/admin/konten/{user_row(app, 'admin').id}/aktiv?aktiv=0")
    assert response.status_code == 409
    assert logged_in(admin)


def test_idle_session_ends(app, clock):
    client = login(app.test_client(), "fb36")
    clock.advance(minutes=59)
    assert logged_in(client)  # activity: the idle time starts again
    clock.advance(minutes=59)
    assert logged_in(client)
    clock.advance(minutes=61)
    response = client.get("/aufgaben", follow_redirects=True)
    assert "/login" in response.request.path
    assert "Ihre Sitzung ist abgelaufen." in response.get_data(as_text=True)
    assert not logged_in(client)


def test_idle_timeout_is_configurable(make_app, clock):
    app = make_app({"SESSION_IDLE_MINUTES": 5})
    client = login(app.test_client(), "fb36")
    clock.advance(minutes=6)
    assert not logged_in(client)


def test_session_ends_after_its_lifetime_even_when_busy(app, clock):
    client = login(app.test_client(), "fb36")
    for _ in range(8):  # 8 × 55 min = 7 h 20 min, never idle
        clock.advance(minutes=55)
        assert logged_in(client)
    clock.advance(minutes=55)  # 8 h 15 min after the login
    assert not logged_in(client)


def test_remember_cookie_is_not_a_way_back_in(app):
    client = login(app.test_client(), "fb36")
    with app.test_request_context():
        from flask_login.utils import encode_cookie

        with client.session_transaction() as sess:
            remember = encode_cookie(sess["_user_id"])  # valid signature, current version
    thief = app.test_client()
    thief.set_cookie("remember_token", remember)
    assert not logged_in(thief)
    assert thief.get_cookie("remember_token") is None  # deleted on the response


# --- 3. per-account throttling and lockout -----------------------------------------------------------

def _web_sequence(app, clock, username: str) -> list[str]:
    """Messages for: 3 wrong, right too early, wait, wrong, wait, wrong (lock), right while locked."""
    client = app.test_client()
    seen = []
    for _ in range(3):
        seen += web_login(client, username, "falsch")[1]
    seen += web_login(client, username, "demo")[1]  # delayed: not even checked
    clock.advance(seconds=2)
    seen += web_login(client, username, "falsch")[1]
    clock.advance(seconds=4)
    seen += web_login(client, username, "falsch")[1]
    clock.advance(minutes=14)
    seen += web_login(client, username, "demo")[1]
    return seen


@pytest.mark.parametrize("username", ["fb36", "gibtesnicht"])
def test_web_login_delays_then_locks(app, clock, username):
    seen = _web_sequence(app, clock, username)
    assert seen[:3] == [WRONG] * 3
    assert "Bitte warten Sie 2 Sekunden" in seen[3]
    assert seen[4] == WRONG
    assert LOCKED in seen[5] and LOCKED in seen[6]


def test_unknown_and_existing_names_get_the_same_answers(make_app, clock):
    first = _web_sequence(make_app(), clock, "fb36")
    assert first == _web_sequence(make_app(), clock, "niemand")


def test_lock_expires_and_doubles(app, clock):
    client = app.test_client()

    def fail_until_locked() -> None:
        for _ in range(5):
            status, errors = web_login(client, "fb36", "falsch")
            clock.advance(seconds=10)  # past every delay
        assert LOCKED in errors[0]

    fail_until_locked()
    clock.advance(minutes=15)
    assert web_login(client, "fb36", "falsch")[1] == [WRONG]  # lock over, counting anew
    for _ in range(4):
        clock.advance(seconds=10)
        web_login(client, "fb36", "falsch")
    clock.advance(minutes=29)  # second lockout: 30 minutes
    assert LOCKED in web_login(client, "fb36", "demo")[1][0]
    clock.advance(minutes=2)
    assert web_login(client, "fb36", "demo")[0] == 302


def test_success_resets_the_count(app, clock):
    client = app.test_client()
    for _ in range(2):
        web_login(client, "fb36", "falsch")
    assert web_login(client, "fb36", "demo")[0] == 302
    client = app.test_client()
    for _ in range(2):
        assert web_login(client, "fb36", "falsch")[1] == [WRONG]  # free again


def test_token_endpoint_is_throttled_per_account_and_shares_the_count(app, clock):
    client = app.test_client()
    assert web_login(client, "k201", "falsch")[1] == [WRONG]  # web and API count together
    for _ in range(2):
        assert api_token(client, "k201", "falsch").status_code == 401
    early = api_token(client, "k201", "demo")
    assert early.status_code == 429 and early.headers["Retry-After"] == "2"
    assert early.get_json()["error"]["code"] == "rate_limited"
    clock.advance(seconds=2)
    assert api_token(client, "k201", "falsch").status_code == 401
    clock.advance(seconds=4)
    locked = api_token(client, "k201", "falsch")
    assert locked.status_code == 429 and locked.headers["Retry-After"] == str(15 * 60)
    assert LOCKED in locked.get_json()["error"]["message"]
    clock.advance(minutes=15)
    for _ in range(5):
        response = api_token(client, "k201", "falsch")
        clock.advance(seconds=10)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) == 30 * 60  # doubled
    assert web_login(client, "k201", "demo")[1][0].count(LOCKED) == 1


def test_password_is_checked_for_unknown_names_too(app, monkeypatch):
    """No shortcut for unknown names: both take one password hash check."""
    import app.auth.throttle as throttle

    calls = []
    real = throttle.check_password_hash
    monkeypatch.setattr(throttle, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    web_login(app.test_client(), "fb36", "falsch")
    web_login(app.test_client(), "gibtesnicht", "falsch")
    assert len(calls) == 2 and calls[1].startswith("pbkdf2:")


def _lock(app, clock, username: str = "fb36") -> None:
    client = app.test_client()
    for _ in range(5):
        web_login(client, username, "falsch")
        clock.advance(seconds=10)


def test_admin_unlocks_an_account(app, clock, login_as):
    _lock(app, clock)
    _lock(app, clock, "keinkonto")
    admin = login_as("admin")
    page = admin.get("/admin/konten").get_data(as_text=True)
    assert re.search(r'<tr data-user="fb36">.*?gesperrt bis', page, re.S)
    assert page.count("fb36 entsperren") == 1
    assert "keinkonto" not in page  # locked names without an account need no admin
    response = admin.post(f"/admin/konten/{user_row(app, 'fb36').id}/entsperren", follow_redirects=True)
    assert "Das Konto fb36 ist entsperrt." in response.get_data(as_text=True)
    assert web_login(app.test_client(), "fb36", "demo")[0] == 302


@pytest.mark.parametrize("username", ["fb36fh", "k201", "ehrenamt1", "mbe1", "mbeleitung", "leitung", "prozess"])
def test_only_admins_unlock_or_deactivate(app, clock, login_as, username):
    _lock(app, clock)
    other = login_as(username)
    target = user_row(app, "fb36").id
    assert other.get("/admin/konten").status_code == 403
    assert other.post(f"/admin/konten/{target}/entsperren").status_code == 403
    assert other.post(f"/admin/konten/{target}/aktiv?aktiv=0").status_code == 403
    assert LOCKED in web_login(app.test_client(), "fb36", "demo")[1][0]
    assert user_row(app, "fb36").active
    assert "/admin/konten" not in other.get("/aufgaben").get_data(as_text=True)


def test_admin_sees_the_accounts_link(login_as):
    assert 'href="/admin/konten"' in login_as("admin").get("/aufgaben").get_data(as_text=True)


# --- rate limits per IP and per account, behind a trusted proxy -------------------------------------

@pytest.fixture
def limited(make_app):
    def factory(hops: int, per_ip: str = "2 per minute", per_account: str = "100 per minute"):
        app = make_app({"RATELIMIT_ENABLED": True, "RATELIMIT_LOGIN": per_ip,
                        "RATELIMIT_LOGIN_ACCOUNT": per_account, "TRUSTED_PROXY_HOPS": hops})
        limiter.reset()
        return app

    return factory


def _from(client, forwarded: str, username: str):
    return client.post("/login", data={"username": username, "password": "falsch"},
                       headers={"X-Forwarded-For": forwarded},
                       environ_base={"REMOTE_ADDR": "10.0.0.1"})


def test_forwarded_for_is_ignored_without_a_trusted_proxy(limited):
    client = limited(hops=0).test_client()
    codes = [_from(client, f"203.0.113.{i}", f"name{i}").status_code for i in range(3)]
    assert codes == [200, 200, 429]  # the header did not make three clients out of one


def test_forwarded_for_is_honoured_with_one_trusted_proxy(limited):
    client = limited(hops=1).test_client()
    codes = [_from(client, f"203.0.113.{i}", f"name{i}").status_code for i in range(4)]
    assert codes == [200] * 4  # four clients behind the proxy, each with its own limit
    # only the last hop counts: a client cannot pick its address by prepending one
    spoofed = [_from(client, f"198.51.100.{i}, 203.0.113.9", f"other{i}").status_code for i in range(3)]
    assert spoofed == [200, 200, 429]


def test_per_account_limit_across_addresses(limited):
    client = limited(hops=1, per_ip="100 per minute", per_account="3 per minute").test_client()
    codes = [_from(client, f"203.0.113.{i}", "fb36").status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    assert _from(client, "203.0.113.50", "fb31").status_code == 200


# --- password policy and the password change page ---------------------------------------------------

def _change(client, new: str, confirm: str | None = None, current: str = "demo") -> str:
    response = client.post("/konto/passwort", data={
        "current_password": current, "new_password": new,
        "confirm": new if confirm is None else confirm})
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(("new", "message"), [
    ("demo", "mindestens 12 Zeichen"),
    ("kurz1234", "mindestens 12 Zeichen"),
    ("passwort1234", "zu verbreitet"),
    ("Sommer2024!!", "zu verbreitet"),
    ("qwertzuiop123", "zu verbreitet"),
    ("fb36-ist-mein-Konto", "Benutzernamen"),
])
def test_policy_messages_next_to_the_field(login_as, new, message):
    page = _change(login_as("fb36"), new)
    errors = field_errors(page, "new_password")
    assert any(message in e for e in errors), errors
    field = re.search(r'<input[^>]*\bid="new_password"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="new_password-help new_password-error"' in field
    assert 'href="#new_password"' in page  # the error summary links to the field


def test_confirmation_and_current_password_are_checked(app, login_as):
    client = login_as("fb36")
    page = _change(client, STRONG, confirm=STRONG + "x")
    assert field_errors(page, "confirm") == ["Die beiden neuen Passwörter stimmen nicht überein."]
    page = _change(client, STRONG, current="falsch")
    assert field_errors(page, "current_password") == ["Das bisherige Passwort ist falsch."]
    assert web_login(app.test_client(), "fb36", "demo")[0] == 302  # unchanged


def test_password_page_for_every_role_with_labels(login_as):
    for username in ("fb36", "ehrenamt1", "admin", "mbe1"):
        page = login_as(username).get("/konto/passwort").get_data(as_text=True)
        for field, label in (("current_password", "Bisheriges Passwort"),
                             ("new_password", "Neues Passwort"), ("confirm", "Neues Passwort wiederholen")):
            assert re.search(rf'<label for="{field}">{label}', page), (username, field)
        assert 'autocomplete="new-password"' in page
        assert 'href="/konto/passwort"' in page


def test_password_page_needs_login(client):
    response = client.get("/konto/passwort")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_only_demo_load_creates_demo_accounts(app):
    with app.app_context():
        flags = set(db.session.scalars(select(User.is_demo)))
    assert flags == {True}
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "set-password", "fb31", "--password", "demo"])
    assert result.exit_code != 0 and "mindestens 12 Zeichen" in result.output
    result = runner.invoke(args=["users", "set-password", "fb31", "--password", STRONG])
    assert result.exit_code == 0, result.output
    assert not user_row(app, "fb31").is_demo
    assert web_login(app.test_client(), "fb31", STRONG)[0] == 302
