"""Issue 14, item 9: a second factor (TOTP) for local accounts.

Codes are generated with ``pyotp`` for the moment the controlled clock shows (fixture ``clock``);
nothing sleeps and nothing depends on the wall clock.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pyotp
import pytest
from sqlalchemy import func, select, text

from app.auth.models import ApiToken, RecoveryCode, SecondFactorEvent, User
from app.extensions import db
from tests.factories import API, login

WRONG_CODE = "Der Code ist falsch oder abgelaufen."
LOCKED = "vorübergehend gesperrt"


def page_text(response) -> str:
    return unescape(response.get_data(as_text=True))


def logged_in(client) -> bool:
    response = client.get("/aufgaben")
    return response.status_code == 200


def row(app, username: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge(user)
        return user


def seeds(app, username: str) -> tuple[str | None, str | None]:
    """The account's confirmed and pending TOTP seed, opened with the app's key."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        return user.totp_secret, user.totp_pending


def enrol(client, clock) -> tuple[str, list[str]]:
    """Walk the enrolment page of the logged-in ``client``; returns the secret and the recovery codes."""
    page = client.get("/konto/zwei-faktor")
    assert page.status_code == 200 and "Zweiten Faktor einrichten" in page_text(page)
    assert client.post("/konto/zwei-faktor", data={"action": "start"}).status_code == 302
    text = page_text(client.get("/konto/zwei-faktor"))
    grouped = re.search(r'<code aria-label="[^"]*">([A-Z2-7 ]+)</code>', text).group(1)
    secret = grouped.replace(" ", "")
    assert all(len(block) == 4 for block in grouped.split(" ")[:-1])  # blocks of four
    assert "otpauth://totp/Fallwerk:" in text and f"secret={secret}" in text
    confirmed = client.post("/konto/zwei-faktor", data={"action": "confirm",
                                                       "confirm-code": pyotp.TOTP(secret).at(clock.now)})
    assert confirmed.status_code == 200 and confirmed.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", confirmed.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    return secret, codes


def password_step(client, username: str = "fb36", password: str = "demo", next_url: str | None = None):
    client.post("/logout")
    path = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(path, data={"username": username, "password": password})


def code_step(client, code: str):
    return client.post("/login/zweiter-faktor", data={"code": code})


@pytest.fixture
def enrolled(app, clock):
    """fb36 with a second factor: (secret, recovery codes)."""
    client = login(app.test_client(), "fb36")
    secret, codes = enrol(client, clock)
    clock.now += timedelta(minutes=1)  # later logins use later codes
    return secret, codes


# --- enrolment ------------------------------------------------------------------------------------

def test_enrolment_shows_the_secret_once_and_stores_codes_hashed(app, login_as, clock):
    client = login_as("fb36")
    secret, codes = enrol(client, clock)
    user = row(app, "fb36")
    assert seeds(app, "fb36") == (secret, None) and user.totp_enrolled_at is not None
    with app.app_context():
        hashes = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
        assert len(hashes) == 10 and not any(code.replace("-", "") in h for code in codes for h in hashes)
        kinds = db.session.scalars(select(SecondFactorEvent.kind).where(SecondFactorEvent.user_id == user.id)).all()
        assert kinds == ["enrolled"]
    after = page_text(client.get("/konto/zwei-faktor"))
    assert secret not in after.replace(" ", "") and codes[0] not in after  # never shown again
    assert "Unbenutzte Wiederherstellungscodes: 10" in after


def test_enrolment_refuses_a_wrong_code_and_stays_pending(app, login_as, clock):
    client = login_as("fb36")
    client.post("/konto/zwei-faktor", data={"action": "start"})
    secret = seeds(app, "fb36")[1]
    wrong = pyotp.TOTP(secret).at(clock.now - timedelta(minutes=5))  # an old code
    response = client.post("/konto/zwei-faktor", data={"action": "confirm", "confirm-code": wrong})
    assert response.status_code == 422 and "Der Code passt nicht" in page_text(response)
    assert seeds(app, "fb36") == (None, secret)
    # one step of drift either side is accepted
    previous = pyotp.TOTP(secret).at(clock.now - timedelta(seconds=30))
    ok = client.post("/konto/zwei-faktor", data={"action": "confirm", "confirm-code": previous})
    assert ok.status_code == 200 and seeds(app, "fb36")[0] == secret


def test_login_without_second_factor_is_unchanged(app):
    client = app.test_client()
    response = password_step(client, "fb31")
    assert response.status_code == 302 and logged_in(client)


# --- login ----------------------------------------------------------------------------------------

def test_login_asks_for_the_code_and_logs_in_only_after_it(app, enrolled, clock):
    secret, _codes = enrolled
    client = app.test_client()
    response = password_step(client, next_url="/faelle")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/zweiter-faktor")
    assert not logged_in(client)  # the password alone is no session
    with client.session_transaction() as sess:
        assert "_user_id" not in sess
    assert "Anmelden: zweiter Faktor" in page_text(client.get("/login/zweiter-faktor"))
    step = int(clock.now.timestamp()) // 30  # RFC 6238 counts from the Unix epoch, whatever the TZ
    response = code_step(client, pyotp.TOTP(secret).generate_otp(step))
    assert response.status_code == 302 and response.headers["Location"].endswith("/faelle")
    assert logged_in(client)


def test_wrong_code_is_refused_and_a_used_code_cannot_be_replayed(app, enrolled, clock):
    secret, _codes = enrolled
    client = app.test_client()
    password_step(client)
    response = code_step(client, pyotp.TOTP(secret).at(clock.now + timedelta(minutes=10)))
    assert response.status_code == 422 and WRONG_CODE in page_text(response) and not logged_in(client)
    code = pyotp.TOTP(secret).at(clock.now)
    assert code_step(client, code).status_code == 302 and logged_in(client)
    other = app.test_client()  # someone who saw the code over the shoulder, a few seconds later
    password_step(other)
    assert code_step(other, code).status_code == 422 and not logged_in(other)


def test_recovery_code_works_once(app, enrolled, clock):
    _secret, codes = enrolled
    client = app.test_client()
    password_step(client)
    assert code_step(client, codes[3].upper().replace("-", " ")).status_code == 302  # typed loosely
    assert logged_in(client)
    assert "Unbenutzte Wiederherstellungscodes: 9" in page_text(client.get("/konto/zwei-faktor"))
    again = app.test_client()
    password_step(again)
    response = code_step(again, codes[3])
    assert response.status_code == 422 and WRONG_CODE in page_text(response) and not logged_in(again)
    with app.app_context():
        kinds = db.session.scalars(select(SecondFactorEvent.kind).order_by(SecondFactorEvent.id)).all()
        assert kinds == ["enrolled", "recovery_used"]


def test_second_step_expires_and_needs_the_password_first(app, enrolled, clock):
    secret, _codes = enrolled
    client = app.test_client()
    response = client.get("/login/zweiter-faktor")  # no password given
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    password_step(client)
    clock.now += timedelta(minutes=6)
    response = code_step(client, pyotp.TOTP(secret).at(clock.now))
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert not logged_in(client)


def test_wrong_codes_count_towards_the_lockout(app, enrolled, clock):
    """A correct password does not clear the count for an account with a second factor: guessing
    codes ends in the same lockout as guessing passwords."""
    secret, _codes = enrolled
    client = app.test_client()
    wrong = pyotp.TOTP(secret).at(clock.now + timedelta(hours=1))
    max_failures = app.config["LOGIN_MAX_FAILURES"]
    for attempt in range(max_failures):
        assert password_step(client).headers["Location"].endswith("/login/zweiter-faktor")  # password right
        response = code_step(client, wrong)
        if attempt < max_failures - 1:
            assert response.status_code == 422 and WRONG_CODE in page_text(response)
        clock.now += timedelta(minutes=1)  # past each growing delay
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    # locked: even the right password and code are refused now
    response = password_step(client)
    assert response.status_code == 200 and LOCKED in page_text(response)
    with app.app_context():
        assert db.session.scalar(select(User.totp_last_step).where(User.username == "fb36")) is not None


# --- API ------------------------------------------------------------------------------------------

def test_api_token_needs_the_code_for_enrolled_accounts(app, enrolled, clock):
    secret, codes = enrolled
    client = app.test_client()
    body = {"username": "fb36", "password": "demo"}
    missing = client.post(f"{API}/tokens", json=body)
    assert missing.status_code == 401 and "code" in missing.get_json()["error"]["message"]
    wrong = client.post(f"{API}/tokens", json={**body, "code": "000000" if pyotp.TOTP(secret).at(clock.now)
                                               != "000000" else "111111"})
    assert wrong.status_code == 401 and wrong.get_json()["error"]["message"] == WRONG_CODE
    ok = client.post(f"{API}/tokens", json={**body, "code": pyotp.TOTP(secret).at(clock.now)})
    assert ok.status_code == 201
    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {ok.get_json()['token']}"})
    assert me.status_code == 200 and me.get_json()["username"] == "fb36"
    assert client.post(f"{API}/tokens", json={**body, "code": codes[0]}).status_code == 201
    # accounts without a second factor: the contract is unchanged
    assert client.post(f"{API}/tokens", json={"username": "fb31", "password": "demo"}).status_code == 201


# --- REQUIRE_2FA ----------------------------------------------------------------------------------

@pytest.fixture
def strict_app(make_app):
    return make_app({"REQUIRE_2FA": True})


def test_require_2fa_sends_social_data_roles_to_the_enrolment(strict_app, clock):
    client = strict_app.test_client()
    response = password_step(client, "fb36")
    assert response.status_code == 302 and response.headers["Location"].endswith("/konto/zwei-faktor")
    for path in ("/aufgaben", "/faelle", "/konto/passwort"):
        blocked = client.get(path)
        assert blocked.status_code == 302 and blocked.headers["Location"].endswith("/konto/zwei-faktor")
    assert "vorgeschrieben" in page_text(client.get("/konto/zwei-faktor"))
    # API: no token until enrolled
    refused = client.post(f"{API}/tokens", json={"username": "fb36", "password": "demo"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "second_factor_required"
    secret, _codes = enrol(client, clock)
    assert client.get("/aufgaben").status_code == 200
    clock.now += timedelta(minutes=1)
    assert client.post(f"{API}/tokens", json={"username": "fb36", "password": "demo",
                                              "code": pyotp.TOTP(secret).at(clock.now)}).status_code == 201


@pytest.mark.parametrize("username", ["fb36", "k201", "ehrenamt1", "mbe1", "leitung", "admin"])
def test_require_2fa_covers_every_role_that_sees_social_data(strict_app, username):
    client = strict_app.test_client()
    assert password_step(client, username).headers["Location"].endswith("/konto/zwei-faktor")
    assert client.get("/aufgaben").status_code == 302


def test_require_2fa_spares_process_owners_and_old_tokens_end(app, make_app, api_client):
    old = api_client("fb36")  # issued before REQUIRE_2FA was switched on
    strict = make_app({"REQUIRE_2FA": True})
    client = strict.test_client()
    response = password_step(client, "prozess")
    assert response.status_code == 302 and not response.headers["Location"].endswith("/konto/zwei-faktor")
    assert logged_in(client)
    strict_client = strict.test_client()
    response = strict_client.get(f"{API}/me", headers=old.headers)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "second_factor_required"


def test_require_2fa_off_by_default(app):
    assert app.config["REQUIRE_2FA"] is False
    client = app.test_client()
    password_step(client, "fb36")
    assert logged_in(client)


# --- switching off, admin reset ---------------------------------------------------------------

def test_switching_off_needs_password_and_code(app, enrolled, clock):
    secret, _codes = enrolled
    client = app.test_client()
    password_step(client)
    code_step(client, pyotp.TOTP(secret).at(clock.now))
    clock.now += timedelta(minutes=1)
    bad = client.post("/konto/zwei-faktor", data={"action": "off", "off-password": "falsch",
                                                 "off-code": pyotp.TOTP(secret).at(clock.now)})
    assert bad.status_code == 422 and seeds(app, "fb36")[0] == secret
    bad = client.post("/konto/zwei-faktor", data={"action": "off", "off-password": "demo", "off-code": "123456"})
    assert bad.status_code == 422 and seeds(app, "fb36")[0] == secret
    ok = client.post("/konto/zwei-faktor", data={"action": "off", "off-password": "demo",
                                                "off-code": pyotp.TOTP(secret).at(clock.now)})
    assert ok.status_code == 302 and seeds(app, "fb36")[0] is None
    with app.app_context():
        assert db.session.scalar(select(func.count(RecoveryCode.id))) == 0
    # re-enrol: a new secret
    new_secret, _ = enrol(client, clock)
    assert new_secret != secret


def test_admin_resets_a_lost_second_factor(app, enrolled, login_as, clock):
    secret, _codes = enrolled
    victim = app.test_client()
    password_step(victim)
    code_step(victim, pyotp.TOTP(secret).at(clock.now))
    assert logged_in(victim)
    user = row(app, "fb36")
    admin = login_as("admin")
    listing = page_text(admin.get("/admin/konten"))
    assert "Zweiten Faktor von fb36 zurücksetzen" in listing
    assert login_as("leitung").post(f"/admin/konten/{user.id}/zwei-faktor-zuruecksetzen").status_code == 403
    assert seeds(app, "fb36")[0] == secret
    response = admin.post(f"/admin/konten/{user.id}/zwei-faktor-zuruecksetzen")
    assert response.status_code == 302
    assert seeds(app, "fb36")[0] is None and not logged_in(victim)  # sessions ended
    with app.app_context():
        event = db.session.scalar(select(SecondFactorEvent).order_by(SecondFactorEvent.id.desc()))
        assert (event.kind, event.actor.username, event.user_id) == ("reset", "admin", user.id)
        assert db.session.scalar(select(func.count(ApiToken.id)).where(
            ApiToken.user_id == user.id, ApiToken.revoked.is_(False))) == 0
    assert "zurückgesetzt am" in page_text(admin.get("/admin/konten"))
    client = app.test_client()  # the password alone logs in again
    password_step(client)
    assert logged_in(client)


def test_cli_resets_the_second_factor_when_no_admin_can(app, enrolled):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "reset-2fa", "fb36"])
    assert result.exit_code == 0 and "zurückgesetzt" in result.output
    assert seeds(app, "fb36")[0] is None
    with app.app_context():
        event = db.session.scalar(select(SecondFactorEvent).order_by(SecondFactorEvent.id.desc()))
        assert (event.kind, event.actor_id) == ("reset", None)
    assert "keinen zweiten Faktor" in runner.invoke(args=["users", "reset-2fa", "fb36"]).output


def test_api_wrong_codes_count_towards_the_lockout(app, enrolled, clock):
    secret, _codes = enrolled
    client = app.test_client()
    body = {"username": "fb36", "password": "demo", "code": pyotp.TOTP(secret).at(clock.now + timedelta(hours=1))}
    statuses = []
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        statuses.append(client.post(f"{API}/tokens", json=body).status_code)
        clock.now += timedelta(minutes=1)
    assert statuses == [401] * (app.config["LOGIN_MAX_FAILURES"] - 1) + [429]  # the last one locks
    locked = client.post(f"{API}/tokens", json={**body, "code": pyotp.TOTP(secret).at(clock.now)})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert LOCKED in locked.get_json()["error"]["message"]


# --- the seeds are sealed at rest --------------------------------------------------------------

def _stored(app, username: str = "fb36") -> str | None:
    """The column as it is in the database (what a copy or a backup holds)."""
    with app.app_context():
        return db.session.execute(text("SELECT totp_secret FROM user_account WHERE username = :u"),
                                  {"u": username}).scalar()


def test_the_seed_is_sealed_and_a_copy_of_the_database_alone_does_not_open_it(app, make_app, enrolled):
    secret, _codes = enrolled
    stored = _stored(app)
    assert stored.startswith("f1:") and secret not in stored
    # the same database under another key (what a stolen backup gives): the seed stays closed,
    # and a code computed from nothing logs nobody in
    other = make_app({"SECRET_KEY": "another-installation-" + "x" * 32})
    assert seeds(other, "fb36") == (None, None)
    assert seeds(app, "fb36")[0] == secret


def test_a_seed_stored_in_plain_by_an_older_version_works_and_is_sealed_at_its_next_use(app, enrolled, clock):
    secret, _codes = enrolled
    with app.app_context():
        db.session.execute(text("UPDATE user_account SET totp_secret = :s WHERE username = 'fb36'"), {"s": secret})
        db.session.commit()
    clock.now += timedelta(minutes=1)
    client = app.test_client()
    password_step(client)
    code_step(client, pyotp.TOTP(secret).at(clock.now))
    assert logged_in(client)
    assert _stored(app).startswith("f1:") and seeds(app, "fb36")[0] == secret


def test_key_rotation_with_the_reseal_command(app, make_app, enrolled, clock):
    secret, _codes = enrolled
    old_key = app.config["SECRET_KEY"]
    new_key = "rotated-encryption-key-" + "y" * 32
    # new key first, the old one still listed: everything opens; the command reseals
    rotating = make_app({"SECRET_ENCRYPTION_KEY": f"{new_key},{old_key}"})
    before = _stored(rotating)
    result = rotating.test_cli_runner().invoke(args=["users", "reseal-secrets"])
    assert result.exit_code == 0 and "1 Geheimnis(se) neu versiegelt, 0 nicht lesbar" in result.output
    assert _stored(rotating) != before
    # the old key dropped: the resealed seed still opens, and a login with a code works
    rotated = make_app({"SECRET_ENCRYPTION_KEY": new_key})
    assert seeds(rotated, "fb36")[0] == secret
    clock.now += timedelta(minutes=1)
    client = rotated.test_client()
    password_step(client)
    code_step(client, pyotp.TOTP(secret).at(clock.now))
    assert logged_in(client)
    # a key that opens nothing: the command names the account and fails
    wrong = make_app({"SECRET_ENCRYPTION_KEY": "unrelated-key-" + "z" * 32})
    result = wrong.test_cli_runner().invoke(args=["users", "reseal-secrets"])
    assert result.exit_code == 1 and "fb36" in result.output
