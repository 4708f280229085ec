"""LDAP login against a real slapd (tests/directory/conftest.py): first login creates the account
with the mapped team and role, wrong passwords are refused and counted, group changes and deletions
in the directory deactivate the account, local accounts are never taken over, filter injection is
refused, a dead directory gives a German message (no 500), and the mapping admin page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.auth.models import LoginThrottle, Team, User
from app.directory import ldap, services
from app.directory.models import GroupMapping, GroupMappingEvent
from app.extensions import db
from tests.directory.conftest import GROUPS, PEOPLE, SUFFIX, group_dn, password, person_dn

WRONG = "Benutzername oder Passwort ist falsch."


@pytest.fixture
def app(make_app, slapd):
    app = make_app(slapd.config())
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        asd = db.session.scalar(select(Team).where(Team.key == "asd"))
        services.add("ldap", "fw-asd", asd, "member", "fachkraft", admin)  # by cn
        services.add("ldap", group_dn("fw-asd-leitung"), asd, "lead", "leitung", admin)  # by DN
        services.add("ldap", "fw-admins", None, None, "admin", admin)
        db.session.commit()
    return app


def _login(client, username, pw):
    return client.post("/login", data={"username": username, "password": pw})


def _user(app, username) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None:
            _ = [(m.team.key, m.kind) for m in user.memberships]
            db.session.expunge(user)
        return user


def entry_uuid(slapd, dn: str) -> str:
    """The entryUUID slapd gave the entry at ``dn`` (read as the directory's root)."""
    from ldap3 import BASE

    conn = slapd.admin()
    try:
        assert conn.search(dn, "(objectClass=*)", BASE, attributes=["entryUUID"])
        return str(conn.entries[0].entryUUID.value).lower()
    finally:
        conn.unbind()


def _memberships(app, username):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        return sorted((m.team.key, m.kind) for m in user.memberships)


def test_first_login_creates_the_user_with_mapped_team_and_role(app, slapd):
    client = app.test_client()
    response = _login(client, "anna", password("anna"))
    assert response.status_code == 302
    assert client.get("/aufgaben").status_code == 200
    user = _user(app, "anna")
    assert user is not None and user.active
    assert (user.auth_source, user.external_id) == ("ldap", entry_uuid(slapd, person_dn("anna")))
    assert user.display_name == PEOPLE["anna"] and user.email == "anna@fallwerk.test"
    assert user.roles == ["fachkraft"]
    assert _memberships(app, "anna") == [("asd", "member")]
    assert user.last_login_at is not None


def test_group_mapping_lead_by_dn_and_roles_from_several_groups(app):
    assert _login(app.test_client(), "bernd", password("bernd")).status_code == 302
    assert _user(app, "bernd").roles == ["leitung"]  # group "other" is not mapped
    assert _memberships(app, "bernd") == [("asd", "lead")]
    assert _login(app.test_client(), "carla", password("carla")).status_code == 302
    assert _user(app, "carla").roles == ["admin", "fachkraft"]
    assert _memberships(app, "carla") == [("asd", "member")]


def test_wrong_password_refused_like_a_local_one_and_counted(app):
    client = app.test_client()
    for name in ("anna", "nobody-here"):
        response = _login(client, name, "falsch")
        assert response.status_code == 200
        assert WRONG in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(LoginThrottle.failures).where(LoginThrottle.username == "anna")) == 1
        assert db.session.scalar(select(LoginThrottle.failures).where(LoginThrottle.username == "nobody-here")) == 1
    assert _user(app, "anna") is None  # nothing created
    api = client.post("/api/v1/tokens", json={"username": "anna", "password": "falsch"})
    assert api.status_code == 401


def test_empty_password_never_binds(app):
    with app.test_request_context():
        outcome = ldap.authenticate("anna", "", None)  # an LDAP server takes DN + no password as anonymous
        assert outcome is not None and outcome.user is None and outcome.message is None


def test_token_endpoint_accepts_directory_credentials(app):
    client = app.test_client()
    response = client.post("/api/v1/tokens", json={"username": "anna", "password": password("anna")})
    assert response.status_code == 201
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {response.get_json()['token']}"})
    assert me.get_json()["teams"] == ["asd"]


def test_removed_from_mapped_group_next_login_refused_and_account_deactivated(app, slapd):
    from ldap3 import MODIFY_ADD, MODIFY_DELETE

    open_session = app.test_client()
    assert _login(open_session, "anna", password("anna")).status_code == 302
    conn = slapd.admin()
    try:
        assert conn.modify(group_dn("fw-asd"), {"member": [(MODIFY_DELETE, [person_dn("anna")])]})
        response = _login(app.test_client(), "anna", password("anna"))
        assert response.status_code == 200
        assert "keiner Gruppe von Fallwerk mehr zugeordnet" in response.get_data(as_text=True)
        user = _user(app, "anna")
        assert not user.active and user.deactivated_by == "directory"
        assert open_session.get("/aufgaben").status_code == 302  # the open session ended
    finally:
        conn.modify(group_dn("fw-asd"), {"member": [(MODIFY_ADD, [person_dn("anna")])]})
        conn.unbind()
    # back in the group: the directory's deactivation is lifted at the next login
    assert _login(app.test_client(), "anna", password("anna")).status_code == 302
    assert _user(app, "anna").active


def test_directory_sync_deactivates_users_deleted_from_the_directory(app, slapd):
    assert _login(app.test_client(), "anna", password("anna")).status_code == 302
    assert _login(app.test_client(), "carla", password("carla")).status_code == 302
    conn = slapd.admin()
    try:
        assert conn.delete(person_dn("carla"))
        result = app.test_cli_runner().invoke(args=["directory", "sync"])
        assert result.exit_code == 0, result.output
        assert "deactivated: 1 (carla)" in result.output
        assert not _user(app, "carla").active and _user(app, "anna").active
        assert WRONG in _login(app.test_client(), "carla", password("carla")).get_data(as_text=True)
    finally:
        conn.add(person_dn("carla"), ["inetOrgPerson"],
                 {"uid": "carla", "cn": PEOPLE["carla"], "sn": "Christ", "displayName": PEOPLE["carla"],
                  "mail": "carla@fallwerk.test", "userPassword": password("carla")})
        conn.unbind()
    assert all("carla" in members for name, members in GROUPS.items() if name in ("fw-asd", "fw-admins"))


def test_sync_with_the_directory_down_changes_nothing(make_app, app):
    assert _login(app.test_client(), "anna", password("anna")).status_code == 302
    down = make_app({**app.config, "LDAP_URL": "ldap://127.0.0.1:9", "LDAP_TIMEOUT": 1.0})
    result = down.test_cli_runner().invoke(args=["directory", "sync"])
    assert result.exit_code != 0 and "nichts geändert" in result.output
    assert _user(app, "anna").active


def test_a_local_account_with_the_same_name_is_not_taken_over(app):
    with app.app_context():
        local = User(username="bernd", display_name="Bernd Lokal", roles=["fachkraft"], active=True)
        local.set_password("lokales-passwort-1")
        db.session.add(local)
        db.session.commit()
    assert WRONG in _login(app.test_client(), "bernd", password("bernd")).get_data(as_text=True)
    assert _login(app.test_client(), "bernd", "lokales-passwort-1").status_code == 302
    user = _user(app, "bernd")
    assert (user.auth_source, user.external_id, user.display_name) == ("local", None, "Bernd Lokal")


@pytest.mark.parametrize("name", ["*)(uid=*", "*", "anna)(|(uid=*", "\\2a"])
def test_ldap_filter_injection_refused(app, name):
    response = _login(app.test_client(), name, password("anna"))
    assert response.status_code == 200 and WRONG in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.auth_source == "ldap")) is None


def test_directory_down_gives_a_german_message_not_500(make_app, slapd):
    app = make_app(slapd.config(LDAP_URL="ldap://127.0.0.1:9", LDAP_TIMEOUT=1.0))
    response = _login(app.test_client(), "anna", password("anna"))
    assert response.status_code == 200
    assert "Verzeichnis (LDAP) ist gerade nicht erreichbar" in response.get_data(as_text=True)
    api = app.test_client().post("/api/v1/tokens", json={"username": "anna", "password": password("anna")})
    assert api.status_code == 503 and api.get_json()["error"]["code"] == "directory_unavailable"
    assert _login(app.test_client(), "fb36", "demo").status_code == 302  # local accounts still work


def test_without_local_method_only_the_break_glass_admin_logs_in_locally(make_app, slapd):
    app = make_app(slapd.config(LOGIN_METHODS="ldap"))
    assert WRONG in _login(app.test_client(), "fb36", "demo").get_data(as_text=True)
    assert _login(app.test_client(), "admin", "demo").status_code == 302
    off = make_app(slapd.config(LOGIN_METHODS="ldap", LOCAL_ADMIN_BREAK_GLASS=False))
    assert WRONG in _login(off.test_client(), "admin", "demo").get_data(as_text=True)


# --- the mapping admin page --------------------------------------------------------------------

@pytest.mark.parametrize("username, status", [("admin", 200), ("leitung", 403), ("prozess", 403), ("dsb", 403),
                                              ("fb36", 403)])
def test_mapping_page_only_for_admins(login_as, username, status):
    client = login_as(username)
    assert client.get("/admin/verzeichnis").status_code == status
    response = client.post("/admin/verzeichnis", data={"source": "ldap", "group_name": "x", "role": "admin",
                                                        "kind": "member", "team": ""})
    assert response.status_code == (302 if status == 200 else 403)


def test_mapping_page_shows_settings_but_never_the_bind_password(login_as, slapd):
    html = login_as("admin").get("/admin/verzeichnis").get_data(as_text=True)
    assert "ldap, local" in html and slapd.url in html and "fw-asd" in html
    assert "service-secret" not in html


def _team_id(app, key):
    with app.app_context():
        return db.session.scalar(select(Team.id).where(Team.key == key))


@pytest.mark.parametrize("data, message", [
    ({"group_name": "  "}, "Bitte die Gruppe angeben."),
    ({"team": "999999"}, "Dieses Team gibt es nicht."),
    ({"role": "kaiser"}, "Diese Rolle gibt es nicht."),
    ({"role": "", "team": ""}, "Bitte ein Team oder eine Rolle wählen"),
    ({"source": "kerberos"}, "Bitte ein Anmeldeverfahren wählen."),
    ({"group_name": "FW-ADMINS", "role": "admin", "team": ""}, "Diese Zuordnung gibt es schon."),
])
def test_mapping_validation_in_german(app, login_as, data, message):
    form = {"source": "ldap", "group_name": "neu", "team": "", "kind": "member", "role": "prozess", **data}
    response = login_as("admin").post("/admin/verzeichnis", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(GroupMapping).where(GroupMapping.group_name == "neu")) is None


def test_mapping_add_and_delete_recorded(app, login_as):
    client = login_as("admin")
    response = client.post("/admin/verzeichnis", data={"source": "oidc", "group_name": "Fallwerk-KIM",
                                                        "team": str(_team_id(app, "kim")), "kind": "lead",
                                                        "role": ""})
    assert response.status_code == 302
    with app.app_context():
        mapping = db.session.scalar(select(GroupMapping).where(GroupMapping.group_name == "fallwerk-kim"))
        assert (mapping.source, mapping.kind, mapping.role) == ("oidc", "lead", None)
        mapping_id = mapping.id
    assert client.post(f"/admin/verzeichnis/{mapping_id}/loeschen").status_code == 302
    with app.app_context():
        assert db.session.get(GroupMapping, mapping_id) is None
        events = db.session.scalars(select(GroupMappingEvent).order_by(GroupMappingEvent.id)).all()
        assert [(e.action, e.user.username) for e in events][-2:] == [("added", "admin"), ("deleted", "admin")]
        assert "fallwerk-kim" in events[-1].entry and "kim" in events[-1].entry
    assert "fallwerk-kim" in client.get("/admin/verzeichnis").get_data(as_text=True)  # in the change list
    assert login_as("leitung").post(f"/admin/verzeichnis/{mapping_id}/loeschen").status_code == 403


def test_directory_accounts_change_their_password_in_the_directory(app):
    client = app.test_client()
    assert _login(client, "anna", password("anna")).status_code == 302
    response = client.get("/konto/passwort")
    assert response.status_code == 302
    assert "Ihr Passwort ändern Sie dort" in client.get(response.location).get_data(as_text=True)


def test_groups_from_a_member_of_attribute(make_app, app, slapd):
    """AD's memberOf path: the groups are DNs in an attribute of the user entry (here seeAlso, as
    the test slapd has no memberof overlay); no group search."""
    from ldap3 import MODIFY_ADD, MODIFY_DELETE

    attr_app = make_app(slapd.config(LDAP_GROUP_BASE="", LDAP_GROUP_MEMBER_ATTRIBUTE="seeAlso"))
    conn = slapd.admin()
    try:
        assert conn.modify(person_dn("bernd"), {"seeAlso": [(MODIFY_ADD, [group_dn("fw-admins")])]})
        assert _login(attr_app.test_client(), "bernd", password("bernd")).status_code == 302
        assert _user(attr_app, "bernd").roles == ["admin"]  # fw-asd-leitung not read: no group search
    finally:
        conn.modify(person_dn("bernd"), {"seeAlso": [(MODIFY_DELETE, [group_dn("fw-admins")])]})
        conn.unbind()


# --- stable directory id (entryUUID), not the DN ------------------------------------------------------

def _move(conn, dn: str, new_parent: str) -> str:
    """modrdn to another OU; the groups follow the new DN (as AD or the refint overlay do)."""
    from ldap3 import MODIFY_ADD, MODIFY_DELETE

    rdn = dn.split(",", 1)[0]
    assert conn.modify_dn(dn, rdn, new_superior=new_parent), conn.result
    new_dn = f"{rdn},{new_parent}"
    for name in GROUPS:
        if conn.search(group_dn(name), f"(member={dn})", attributes=["cn"]) and conn.entries:
            assert conn.modify(group_dn(name), {"member": [(MODIFY_DELETE, [dn]), (MODIFY_ADD, [new_dn])]})
    return new_dn


def test_a_user_moved_to_another_ou_keeps_the_account_and_a_newcomer_at_the_old_dn_does_not_take_it(app, slapd):
    from ldap3 import MODIFY_REPLACE

    assert _login(app.test_client(), "anna", password("anna")).status_code == 302
    before = _user(app, "anna")
    assert before.external_id == entry_uuid(slapd, person_dn("anna"))
    conn = slapd.admin()
    social, archive = f"ou=sozialamt,ou=people,{SUFFIX}", f"ou=archiv,{SUFFIX}"
    moved = person_dn("anna")
    try:
        for ou in (social, archive):
            assert conn.add(ou, ["organizationalUnit"], {"ou": ou.split(",")[0][3:]}), conn.result
        moved = _move(conn, person_dn("anna"), social)
        # the same person under a new DN: the same account, the same team
        assert _login(app.test_client(), "anna", password("anna")).status_code == 302
        after = _user(app, "anna")
        assert (after.id, after.external_id, after.active) == (before.id, before.external_id, True)
        assert _memberships(app, "anna") == [("asd", "member")]
        result = app.test_cli_runner().invoke(args=["directory", "sync"])
        assert result.exit_code == 0 and "deactivated: 0" in result.output, result.output
        assert _user(app, "anna").active
        # anna leaves the user base; a newcomer gets her old DN (and name) and a mapped group
        moved = _move(conn, moved, archive)
        assert conn.add(person_dn("anna"), ["inetOrgPerson"], {
            "uid": "anna", "cn": "Anja Neumann", "sn": "Neumann", "displayName": "Anja Neumann",
            "userPassword": "geheim-neu"}), conn.result
        assert conn.modify(group_dn("fw-asd"), {"member": [(MODIFY_REPLACE, [person_dn("anna"), person_dn("carla")])]})
        response = _login(app.test_client(), "anna", "geheim-neu")
        assert response.status_code == 200
        assert "gehört schon zu einem anderen Konto" in response.get_data(as_text=True)
        kept = _user(app, "anna")
        assert (kept.id, kept.external_id, kept.display_name) == (before.id, before.external_id, PEOPLE["anna"])
    finally:
        conn.delete(person_dn("anna"))
        if moved != person_dn("anna"):
            conn.modify_dn(moved, "uid=anna", new_superior=f"ou=people,{SUFFIX}")
        for ou in (social, archive):
            conn.delete(ou)
        conn.modify(group_dn("fw-asd"), {"member": [(MODIFY_REPLACE, [person_dn(m) for m in GROUPS["fw-asd"]])]})
        conn.unbind()
    assert _login(app.test_client(), "anna", password("anna")).status_code == 302  # the directory is as before
    assert _user(app, "anna").id == before.id


def test_accounts_keyed_by_dn_are_keyed_by_the_stable_id_at_the_next_login_or_sync(app, slapd):
    for name in ("anna", "bernd"):
        assert _login(app.test_client(), name, password(name)).status_code == 302
    with app.app_context():  # as accounts were keyed before LDAP_ID_ATTRIBUTE
        for user in db.session.scalars(select(User).where(User.username.in_(["anna", "bernd"]))):
            user.external_id = person_dn(user.username).upper()  # DNs compare case-insensitively
        db.session.commit()
    anna, bernd = _user(app, "anna"), _user(app, "bernd")
    assert _login(app.test_client(), "anna", password("anna")).status_code == 302
    assert (_user(app, "anna").id, _user(app, "anna").external_id) == (anna.id, entry_uuid(slapd, person_dn("anna")))
    result = app.test_cli_runner().invoke(args=["directory", "sync"])
    assert result.exit_code == 0 and "deactivated: 0" in result.output, result.output
    assert _user(app, "bernd").external_id == entry_uuid(slapd, person_dn("bernd"))
    assert _memberships(app, "bernd") == [("asd", "lead")] and _user(app, "bernd").id == bernd.id
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.auth_source == "ldap")) == 2


def test_an_entry_without_the_id_attribute_is_refused_in_german(make_app, app, slapd):
    other = make_app(slapd.config(LDAP_ID_ATTRIBUTE="employeeNumber"))  # no entry has one
    response = _login(other.test_client(), "anna", password("anna"))
    assert response.status_code == 200 and "keine eindeutige Kennung" in response.get_data(as_text=True)
    assert _user(other, "anna") is None


def test_active_directory_object_guid_as_text_and_as_a_search_filter(make_app):
    import uuid

    from app.directory.ldap import _id_filter, _stable_id

    app = make_app({"LDAP_ID_ATTRIBUTE": "objectGUID"}, demo=False)
    guid = uuid.UUID("01234567-89ab-cdef-0123-456789abcdef")
    with app.app_context():
        assert _stable_id({"dn": "CN=x", "raw_attributes": {"objectGUID": [guid.bytes_le]}}) == str(guid)
        assert _id_filter(str(guid)) == "(objectGUID=" + "".join(f"\\{b:02x}" for b in guid.bytes_le) + ")"
        assert _id_filter("*)(uid=*") == "(objectGUID=\\2a\\29\\28uid=\\2a)"  # not a GUID: escaped
        assert _stable_id({"dn": "CN=x", "raw_attributes": {}}) is None
