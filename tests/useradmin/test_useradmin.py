"""User administration: admins create and edit accounts, set roles and teams, reset passwords,
(de)activate; every change is recorded; everyone else gets 403."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from app.auth.models import ApiToken, Team, User
from app.extensions import db
from app.useradmin import services
from app.useradmin.models import UserAdminEvent
from tests.factories import login

NEW_PASSWORD = "Sonnenblumen-Wiese-2026"
OWN_PASSWORD = "Eigener-Gartenweg-am-Fluss"


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def field_errors(page: str, field: str) -> list[str]:
    match = re.search(rf'<ul class="field-errors" id="{field}-error">(.*?)</ul>', page, re.S)
    return [unescape(m.strip()) for m in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)] if match else []


def logged_in(client) -> bool:
    return client.get("/aufgaben").status_code == 200


def first_login(app, username: str, password: str):
    """Log in with the admin-set ``password`` and choose OWN_PASSWORD (required before anything else)."""
    client = login(app.test_client(), username, password)
    response = client.post("/konto/passwort", data={"current_password": password, "new_password": OWN_PASSWORD,
                                                    "confirm": OWN_PASSWORD})
    assert response.status_code == 302
    return client


def refused(app, username: str, password: str) -> bool:
    return app.test_client().post("/login", data={"username": username, "password": password}).status_code != 302


def row(app, username: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        assert user is not None
        db.session.expunge(user)
        return user


def team_id(app, key: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Team.id).where(Team.key == key))


def events(app, username: str) -> list[UserAdminEvent]:
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        found = list(db.session.scalars(select(UserAdminEvent).where(UserAdminEvent.user_id == user_id)
                                        .order_by(UserAdminEvent.id)))
        for event in found:
            db.session.expunge(event)
        return found


def account_data(app, user: User | None = None, **changes) -> dict:
    """The account form as the browser would send it (prefilled from ``user``)."""
    data = {"username": "", "display_name": "", "email": "", "organisation": "", "roles": []}
    with app.app_context():
        teams = list(db.session.scalars(select(Team)))
        if user is not None:
            fresh = db.session.get(User, user.id)
            kinds = {ms.team_id: ms.kind for ms in fresh.memberships}
            data.update(username=fresh.username, display_name=fresh.display_name, email=fresh.email or "",
                        organisation=str(fresh.organisation_id or ""), roles=fresh.roles)
        else:
            kinds = {}
        data.update({f"team_{t.id}": kinds.get(t.id, "none") for t in teams})
    data.update(changes)
    return data


def create(app, admin, username="neu.kraft", roles=("fachkraft",), teams=None, **extra):
    data = account_data(app, username=username, display_name="Neue Kraft", email="neu@beispiel.de",
                        roles=list(roles), password_mode="set", new_password=NEW_PASSWORD, confirm=NEW_PASSWORD,
                        **extra)
    for key, kind in (teams or {}).items():
        data[f"team_{team_id(app, key)}"] = kind
    return admin.post("/admin/konten/neu", data=data)


# --- create ------------------------------------------------------------------------------------

def test_admin_creates_a_local_account_with_roles_and_teams(app, login_as):
    admin = login_as("admin")
    assert admin.get("/admin/konten/neu").status_code == 200
    response = create(app, admin, teams={"asd": "member", "fruehehilfen": "lead"})
    assert response.status_code == 302
    user = row(app, "neu.kraft")
    assert user.auth_source == "local" and user.active and user.email == "neu@beispiel.de"
    with app.app_context():
        fresh = db.session.get(User, user.id)
        assert fresh.roles == ["fachkraft"]
        assert sorted((ms.team.key, ms.kind) for ms in fresh.memberships) == [("asd", "member"),
                                                                              ("fruehehilfen", "lead")]
    assert logged_in(first_login(app, "neu.kraft", NEW_PASSWORD))
    kinds = [e.kind for e in events(app, "neu.kraft")]
    assert kinds == ["created", "roles", "teams", "password_changed"]
    page = text(admin.get(f"/admin/konten/{user.id}"))
    assert "Konto angelegt" in page and "Fachkraft" in page and "FB 36 – Frühe Hilfen (Leitung)" in page
    assert NEW_PASSWORD not in page


def test_a_generated_password_is_shown_once_and_works(app, login_as):
    admin = login_as("admin")
    data = account_data(app, username="einmal", display_name="Ein Mal", roles=["fachkraft"],
                        password_mode="generate")
    response = admin.post("/admin/konten/neu", data=data)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = re.search(r"<code data-password>([^<]+)</code>", text(response)).group(1)
    assert logged_in(first_login(app, "einmal", password))
    assert password not in text(admin.get(f"/admin/konten/{row(app, 'einmal').id}"))
    assert all(password not in str(e.details) for e in events(app, "einmal"))


@pytest.mark.parametrize("username, message", [
    ("FB36", "schon vergeben"),  # case-insensitive
    ("a b", "nur Buchstaben"),
    ("<script>", "nur Buchstaben"),
    ("x", "nur Buchstaben"),
])
def test_username_must_be_unique_and_safe(app, login_as, username, message):
    admin = login_as("admin")
    response = create(app, admin, username=username)
    assert response.status_code == 422
    assert any(message in e for e in field_errors(text(response), "username"))
    with app.app_context():
        assert db.session.scalar(select(User).where(User.display_name == "Neue Kraft")) is None


def test_password_policy_and_other_fields_are_checked(app, login_as):
    admin = login_as("admin")
    data = account_data(app, username="neu2", display_name="", email="keine-adresse", roles=["fachkraft"],
                        password_mode="set", new_password="passwort", confirm="anders")
    response = admin.post("/admin/konten/neu", data=data)
    page = text(response)
    assert response.status_code == 422
    assert field_errors(page, "display_name") and field_errors(page, "email")
    assert any("mindestens" in e for e in field_errors(page, "new_password"))
    assert field_errors(page, "confirm")
    assert "Es wurde nichts gespeichert." in page
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "neu2")) is None
        assert db.session.scalar(select(UserAdminEvent)) is None


# --- edit, roles and teams -----------------------------------------------------------------------

def test_edit_records_old_and_new_values(app, login_as):
    admin = login_as("admin")
    user = row(app, "fb31")
    response = admin.post(f"/admin/konten/{user.id}", data=account_data(
        app, user, display_name="Lea Probe-Neu", email="lea@beispiel.de"))
    assert response.status_code == 302
    [event] = events(app, "fb31")
    assert event.kind == "changed"
    assert {c["field"]: (c["old"], c["new"]) for c in event.details["fields"]} == {
        "display_name": ("Lea Probe (FD 311)", "Lea Probe-Neu"), "email": ("fb31@example.org", "lea@beispiel.de")}
    page = text(admin.get(f"/admin/konten/{user.id}"))
    assert "Anzeigename: Lea Probe (FD 311) → Lea Probe-Neu" in page
    assert "Administration" in page  # who did it: the admin's account name


def test_unknown_roles_teams_and_organisations_are_refused(app, login_as):
    admin = login_as("admin")
    user = row(app, "fb31")
    team = team_id(app, "asd")
    response = admin.post(f"/admin/konten/{user.id}", data=account_data(
        app, user, roles=["superuser"], organisation="99999", **{f"team_{team}": "boss"}))
    page = text(response)
    assert response.status_code == 422
    assert field_errors(page, "roles") == ["Bitte nur Rollen aus der Liste wählen."]
    assert field_errors(page, "organisation") == ["Bitte eine Organisation aus der Liste wählen."]
    assert field_errors(page, f"team_{team}")
    assert events(app, "fb31") == [] and row(app, "fb31").roles == ["fachkraft"]
    assert admin.get("/admin/konten/99999").status_code == 404


def test_renaming_to_a_taken_name_is_refused(app, login_as):
    admin = login_as("admin")
    user = row(app, "fb31")
    response = admin.post(f"/admin/konten/{user.id}", data=account_data(app, user, username="Fb36"))
    assert response.status_code == 422
    assert field_errors(text(response), "username")
    assert row(app, "fb31").username == "fb31" and events(app, "fb31") == []


def test_removed_team_member_loses_the_teams_cases_and_inbox_at_once(app, login_as, start_case):
    admin = login_as("admin")
    assert create(app, admin, username="teamkraft", teams={"asd": "member"}).status_code == 302
    case_id = start_case("fb36", team="asd")
    member = first_login(app, "teamkraft", NEW_PASSWORD)
    assert member.get(f"/faelle/{case_id}").status_code == 200
    user = row(app, "teamkraft")
    response = admin.post(f"/admin/konten/{user.id}", data=account_data(
        app, user, **{f"team_{team_id(app, 'asd')}": "none"}))
    assert response.status_code == 302
    # the open session ends at once: no more case, no more inbox
    assert member.get(f"/faelle/{case_id}").status_code == 302
    assert not logged_in(member)
    again = login(app.test_client(), "teamkraft", OWN_PASSWORD)
    assert again.get(f"/faelle/{case_id}").status_code == 404
    assert f"/faelle/{case_id}" not in again.get("/aufgaben").get_data(as_text=True)
    teams = [e for e in events(app, "teamkraft") if e.kind == "teams"]
    assert teams[-1].details == {"added": [], "removed": [["FB 36 – Allgemeiner Sozialer Dienst", "member"]]}


def test_losing_a_role_ends_sessions_and_tokens_gaining_one_does_not(app, login_as):
    admin = login_as("admin")
    user = row(app, "k201")
    victim = login_as("k201")
    token_client = app.test_client()
    token = token_client.post("/api/v1/tokens", json={"username": "k201", "password": "demo"}).get_json()["token"]
    admin.post(f"/admin/konten/{user.id}", data=account_data(app, user, roles=["koordination", "fachkraft"]))
    assert logged_in(victim)  # a role more: the session stays
    admin.post(f"/admin/konten/{user.id}", data=account_data(app, user, roles=["fachkraft"]))
    assert not logged_in(victim)
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    roles = [e.details for e in events(app, "k201") if e.kind == "roles"]
    assert roles == [{"added": ["fachkraft"], "removed": []}, {"added": [], "removed": ["koordination"]}]
    page = text(admin.get(f"/admin/konten/{user.id}"))
    assert "entfernt: Koordination" in page


def test_directory_accounts_show_roles_and_teams_read_only(app, login_as):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "fb36fh"))
        user.auth_source, user.external_id = "ldap", "uid=fb36fh,ou=people,dc=example,dc=org"
        db.session.commit()
        user_id = user.id
    admin = login_as("admin")
    page = text(admin.get(f"/admin/konten/{user_id}"))
    assert "meldet sich über das Verzeichnis an" in page
    assert 'name="roles"' not in page and "Passwort neu setzen" not in page
    # a forged submission cannot change the directory's roles and teams
    admin.post(f"/admin/konten/{user_id}", data=account_data(app, row(app, "fb36fh"), roles=["admin"],
                                                                 display_name="Tom Muster"))
    with app.app_context():
        fresh = db.session.get(User, user_id)
        assert fresh.roles == ["fachkraft"] and fresh.display_name == "Tom Muster"
    assert admin.get(f"/admin/konten/{user_id}/passwort").status_code == 409
    assert "LDAP" in text(admin.get("/admin/konten?q=fb36fh"))


# --- password reset ------------------------------------------------------------------------------

def test_password_reset_refuses_the_old_password_and_ends_sessions(app, login_as):
    admin = login_as("admin")
    user = row(app, "fb31")
    victim = login_as("fb31")
    response = admin.post(f"/admin/konten/{user.id}/passwort", data={
        "password_mode": "set", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert not logged_in(victim)
    assert refused(app, "fb31", "demo")
    with app.app_context():
        assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id,
                                                        ApiToken.revoked.is_(False))) is None
    [event] = events(app, "fb31")
    assert event.kind == "password_reset" and event.details == {"must_change": True}
    assert logged_in(first_login(app, "fb31", NEW_PASSWORD))
    assert "Passwort neu gesetzt" in text(admin.get(f"/admin/konten/{user.id}"))


def test_password_reset_follows_the_policy(app, login_as):
    admin = login_as("admin")
    user = row(app, "fb31")
    response = admin.post(f"/admin/konten/{user.id}/passwort", data={
        "password_mode": "set", "new_password": "fb31fb31fb31fb31", "confirm": "fb31fb31fb31fb31"})
    assert response.status_code == 422
    assert any("Benutzernamen" in e for e in field_errors(text(response), "new_password"))
    assert logged_in(login(app.test_client(), "fb31", "demo")) and events(app, "fb31") == []


# --- (de)activate, unlock, self-protection --------------------------------------------------------

def test_deactivate_and_activate_are_recorded(app, login_as):
    admin = login_as("admin")
    user = row(app, "fb31")
    assert admin.post(f"/admin/konten/{user.id}/aktiv?aktiv=0&von=konto").status_code == 302
    assert row(app, "fb31").deactivated_by == "admin"
    assert refused(app, "fb31", "demo")
    assert admin.post(f"/admin/konten/{user.id}/aktiv?aktiv=1").status_code == 302
    assert [e.kind for e in events(app, "fb31")] == ["deactivated", "activated"]
    page = text(admin.get(f"/admin/konten/{user.id}"))
    assert "Konto deaktiviert" in page and "Konto aktiviert" in page


def test_admin_cannot_take_the_role_or_account_from_themself(app, login_as):
    admin = login_as("admin")
    me = row(app, "admin")
    response = admin.post(f"/admin/konten/{me.id}", data=account_data(app, me, roles=["fachkraft"]))
    assert response.status_code == 422
    assert "Sie können sich die Rolle Administration nicht selbst entziehen." in field_errors(text(response), "roles")
    assert row(app, "admin").roles == ["admin"]
    assert admin.post(f"/admin/konten/{me.id}/aktiv?aktiv=0").status_code == 409
    assert logged_in(admin) and events(app, "admin") == []


def test_the_last_active_admin_keeps_the_role(app, ctx):
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    other = services.create_account(services.AccountData("admin2", "Zweite Administration", None, None,
                                                         roles={"admin"}), admin, NEW_PASSWORD)
    # two admins: one may take the role from the other
    services.update_account(admin, services.AccountData("admin", "Administration", None, admin.organisation_id,
                                                        roles={"fachkraft"}), other)
    assert admin.roles == ["fachkraft"]
    services.set_active(admin, other, False)
    third = services.create_account(services.AccountData("admin3", "Dritte", None, None, roles={"admin"}),
                                    other, NEW_PASSWORD)
    services.set_active(third, other, False)
    # ``other`` is now the last active admin: nobody may take it away
    with pytest.raises(services.Refused, match="letzte aktive Konto"):
        services.set_active(other, third, False)
    with pytest.raises(services.Refused, match="letzte aktive Konto"):
        services.update_account(other, services.AccountData("admin2", "Zweite", None, None, roles=set()), third)
    assert other.active and other.roles == ["admin"]


def test_unlock_and_second_factor_reset_are_recorded(app, login_as, clock):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        app.test_client().post("/login", data={"username": "fb31", "password": "falsch"})
        clock.advance(seconds=10)
    admin = login_as("admin")
    user = row(app, "fb31")
    assert admin.post(f"/admin/konten/{user.id}/entsperren?von=konto").headers["Location"].endswith(
        f"/admin/konten/{user.id}")
    with app.app_context():
        fresh = db.session.get(User, user.id)
        fresh.totp_secret = "JBSWY3DPEHPK3PXP"
        db.session.commit()
    assert admin.post(f"/admin/konten/{user.id}/zwei-faktor-zuruecksetzen").status_code == 302
    assert [e.kind for e in events(app, "fb31")] == ["unlocked", "second_factor_reset"]
    page = text(admin.get(f"/admin/konten/{user.id}"))
    assert "Anmeldesperre aufgehoben" in page and "Zweiter Faktor zurückgesetzt" in page


# --- the list ------------------------------------------------------------------------------------

def test_list_filters_and_columns(app, login_as, clock):
    login(app.test_client(), "mbe1")
    admin = login_as("admin")
    page = text(admin.get("/admin/konten?rolle=mbe"))
    assert 'data-user="mbe1"' in page and 'data-user="mbe2"' in page and 'data-user="fb36"' not in page
    assert "noch nie" in page  # mbe2 never logged in
    assert re.search(r'data-user="mbe1">.*?lokal.*?Migrationsberatung.*?Migrationsberatung für erwachsene', page, re.S)
    page = text(admin.get(f"/admin/konten?team={team_id(app, 'asd')}"))
    assert 'data-user="fb36"' in page and 'data-user="leitung"' in page and 'data-user="mbe1"' not in page
    page = text(admin.get("/admin/konten?q=Beispiel"))
    assert 'data-user="fb36"' in page and 'data-user="fb31"' not in page
    admin.post(f"/admin/konten/{row(app, 'fb31').id}/aktiv?aktiv=0")
    page = text(admin.get("/admin/konten?status=deaktiviert"))
    assert 'data-user="fb31"' in page and 'data-user="fb36"' not in page


# --- permissions -----------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["fb36", "k201", "ehrenamt1", "mbe1", "mbeleitung", "leitung", "prozess",
                                      "dsb", "jobcenter1"])
def test_only_admins_may_use_the_user_administration(app, login_as, username):
    other = login_as(username)
    target = row(app, "fb31")
    data = account_data(app, target, display_name="Gekapert", roles=["admin"])
    for path in ("/admin/konten", "/admin/konten/neu", f"/admin/konten/{target.id}",
                 f"/admin/konten/{target.id}/passwort"):
        assert other.get(path).status_code == 403, path
    assert other.post("/admin/konten/neu", data={**data, "username": "gekapert"}).status_code == 403
    assert other.post(f"/admin/konten/{target.id}", data=data).status_code == 403
    assert other.post(f"/admin/konten/{target.id}/passwort", data={
        "password_mode": "set", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 403
    for action in ("aktiv?aktiv=0", "entsperren", "zwei-faktor-zuruecksetzen"):
        assert other.post(f"/admin/konten/{target.id}/{action}").status_code == 403
    fresh = row(app, "fb31")
    assert fresh.display_name == "Lea Probe (FD 311)" and fresh.active
    assert events(app, "fb31") == [] and logged_in(login(app.test_client(), "fb31", "demo"))
