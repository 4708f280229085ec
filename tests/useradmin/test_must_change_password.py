"""Must change password: an account an admin creates, or whose password an admin resets, chooses
its own password at the next login before anything else (web: every page leads to the password
page; API: 403 ``password_change_required``, no token). Directory and demo accounts are never
flagged; the flag ends with the user's own change, which is recorded in the account's history."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from app.auth import sessions
from app.auth.models import ApiToken, User
from app.extensions import db
from tests.factories import login
from tests.useradmin.test_useradmin import NEW_PASSWORD, OWN_PASSWORD, account_data, create, events, row, text

API = "/api/v1"
PASSWORD_PAGE = "/konto/passwort"


def sent_to_password_page(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].endswith(PASSWORD_PAGE)


def change(client, current: str, new: str, confirm: str | None = None):
    return client.post(PASSWORD_PAGE, data={"current_password": current, "new_password": new,
                                            "confirm": new if confirm is None else confirm})


def reset(app, admin, username: str, password: str = NEW_PASSWORD):
    user = row(app, username)
    return admin.post(f"/admin/konten/{user.id}/passwort", data={
        "password_mode": "set", "new_password": password, "confirm": password})


def token_answer(app, username: str, password: str):
    return app.test_client().post(f"{API}/tokens", json={"username": username, "password": password})


def test_a_new_account_must_choose_its_own_password_before_anything_else(app, login_as):
    admin = login_as("admin")
    assert create(app, admin, teams={"asd": "member"}).status_code == 302
    assert row(app, "neu.kraft").must_change_password
    client = app.test_client()
    response = client.post("/login", data={"username": "neu.kraft", "password": NEW_PASSWORD})
    assert response.status_code == 302  # logged in, but ...
    for path in ("/aufgaben", "/faelle", "/faelle/neu", "/konto/zwei-faktor"):
        assert sent_to_password_page(client.get(path)), path
    page = client.get(PASSWORD_PAGE)
    assert page.status_code == 200
    html = text(page)
    assert "von der Administration festgelegt" in html and html.count("<h1") == 1
    assert html.count('autocomplete="new-password"') == 2
    # the API: no token before the change
    refused = token_answer(app, "neu.kraft", NEW_PASSWORD)
    assert refused.status_code == 403
    error = refused.get_json()["error"]
    assert error["code"] == "password_change_required" and "eigenes Passwort" in error["message"]
    with app.app_context():
        assert db.session.scalar(select(ApiToken).join(User).where(User.username == "neu.kraft")) is None

    # the admin-set password again, a weak one, a wrong current one: refused, still flagged
    same = change(client, NEW_PASSWORD, NEW_PASSWORD)
    assert "muss sich vom bisherigen unterscheiden" in text(same)
    assert "mindestens 12 Zeichen" in text(change(client, NEW_PASSWORD, "kurz"))
    assert "Das bisherige Passwort ist falsch." in text(change(client, "falsch-falsch-falsch", OWN_PASSWORD))
    assert row(app, "neu.kraft").must_change_password

    done = change(client, NEW_PASSWORD, OWN_PASSWORD)
    assert done.status_code == 302 and done.headers["Location"].endswith("/aufgaben")
    assert client.get("/aufgaben").status_code == 200  # the flag has ended
    assert not row(app, "neu.kraft").must_change_password
    assert token_answer(app, "neu.kraft", OWN_PASSWORD).status_code == 201
    last = events(app, "neu.kraft")[-1]
    assert last.kind == "password_changed" and last.actor_id == row(app, "neu.kraft").id
    assert events(app, "neu.kraft")[0].details["must_change"] is True
    page = text(admin.get(f"/admin/konten/{row(app, 'neu.kraft').id}"))
    assert "Eigenes Passwort gewählt" in page
    assert "Das Passwort muss bei der nächsten Anmeldung geändert werden." in page
    assert OWN_PASSWORD not in page and NEW_PASSWORD not in page


def test_a_generated_one_time_password_must_be_changed_too(app, login_as):
    admin = login_as("admin")
    data = account_data(app, username="einmal", display_name="Ein Mal", roles=["fachkraft"],
                        password_mode="generate")
    assert admin.post("/admin/konten/neu", data=data).status_code == 200
    user = row(app, "einmal")
    assert user.must_change_password
    assert "muss bei der nächsten Anmeldung geändert werden" in text(admin.get(f"/admin/konten/{user.id}"))


@pytest.mark.parametrize("username", ["fb36", "fb31", "k201", "ehrenamt1", "mbe1", "mbeleitung", "leitung", "kim1",
                                      "prozess", "dsb", "jobcenter1"])
def test_after_an_admin_reset_every_role_changes_the_password_first(app, login_as, username):
    admin = login_as("admin")
    assert reset(app, admin, username).status_code == 302
    [event] = events(app, username)
    assert event.kind == "password_reset" and event.details == {"must_change": True}
    client = login(app.test_client(), username, NEW_PASSWORD)
    assert sent_to_password_page(client.get("/aufgaben"))
    assert token_answer(app, username, NEW_PASSWORD).get_json()["error"]["code"] == "password_change_required"
    assert change(client, NEW_PASSWORD, OWN_PASSWORD).status_code == 302
    assert not sent_to_password_page(client.get("/aufgaben"))
    assert token_answer(app, username, OWN_PASSWORD).status_code == 201
    assert [e.kind for e in events(app, username)] == ["password_reset", "password_changed"]


@pytest.mark.parametrize("username", ["fb36", "leitung", "prozess", "dsb", "k201"])
def test_only_admins_may_reset_a_password(app, login_as, username):
    target = row(app, "fb31")
    response = login_as(username).post(f"/admin/konten/{target.id}/passwort", data={
        "password_mode": "set", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 403
    assert not row(app, "fb31").must_change_password
    assert login(app.test_client(), "fb31").get("/aufgaben").status_code == 200


def test_demo_accounts_are_never_flagged_and_log_in_as_before(app, login_as):
    with app.app_context():
        assert db.session.scalar(select(User.username).where(User.must_change_password.is_(True))) is None
    client = login_as("fb36")
    assert client.get("/aufgaben").status_code == 200
    assert token_answer(app, "fb36", "demo").status_code == 201


def test_a_token_of_a_flagged_account_is_refused_with_a_clear_code(app, api_client):
    client = api_client("fb36")
    assert client.get(f"{API}/me").status_code == 200
    with app.app_context():
        db.session.get(User, row(app, "fb36").id).must_change_password = True
        db.session.commit()
    refused = client.get(f"{API}/me")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "password_change_required"


def test_directory_accounts_are_unaffected(ctx):
    user = User(username="dir.user", display_name="Dir", password_hash="!directory", auth_source="ldap",
                external_id="x", must_change_password=True)
    assert not sessions.must_change_password(user)
    user.auth_source = "local"
    assert sessions.must_change_password(user)


def test_with_require_2fa_the_password_comes_first_then_the_second_factor(make_app, clock):
    app = make_app({"REQUIRE_2FA": True})
    admin = login(app.test_client(), "admin")  # the demo admin has no second factor: enrol first
    secret = _enrol(admin, clock)
    assert secret
    assert reset(app, admin, "fb36").status_code == 302
    client = app.test_client()
    client.post("/login", data={"username": "fb36", "password": NEW_PASSWORD})
    assert sent_to_password_page(client.get("/aufgaben"))
    assert sent_to_password_page(client.get("/konto/zwei-faktor"))
    assert client.get(PASSWORD_PAGE).status_code == 200
    assert change(client, NEW_PASSWORD, OWN_PASSWORD).status_code == 302
    after = client.get("/aufgaben")
    assert after.status_code == 302 and after.headers["Location"].endswith("/konto/zwei-faktor")


def _enrol(client, clock) -> str:
    import re

    assert client.post("/konto/zwei-faktor", data={"action": "start"}).status_code == 302
    page = text(client.get("/konto/zwei-faktor"))
    secret = re.search(r"secret=([A-Z2-7]+)", page).group(1)
    confirmed = client.post("/konto/zwei-faktor", data={"action": "confirm",
                                                       "confirm-code": pyotp.TOTP(secret).at(clock.now)})
    assert confirmed.status_code == 200
    clock.now += timedelta(minutes=1)
    return secret


def test_the_operators_cli_sets_a_temporary_password_only_when_asked(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "set-password", "fb31", "--password", NEW_PASSWORD, "--temporary"])
    assert result.exit_code == 0 and "bei der nächsten Anmeldung geändert" in result.output
    assert row(app, "fb31").must_change_password
    client = login(app.test_client(), "fb31", NEW_PASSWORD)
    assert sent_to_password_page(client.get("/aufgaben"))
    assert runner.invoke(args=["users", "set-password", "fb31", "--password", OWN_PASSWORD]).exit_code == 0
    assert not row(app, "fb31").must_change_password  # the operator's own way in: usable at once
