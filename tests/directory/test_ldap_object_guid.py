"""Accounts keyed by Active Directory's ``objectGUID`` (``LDAP_ID_ATTRIBUTE=objectGUID``), against a
real slapd whose people carry the attribute as AD does: 16 bytes of binary with AD's OID
(tests/directory/fixtures/objectguid.schema). The GUIDs hold the bytes a search filter must
escape (``*``, ``(``, ``)``, ``\\``, NUL) and bytes that are no UTF-8, so the login, the directory sync
(which finds each account's entry by its GUID) and a move to another OU go through the same
binary round trip and filter escaping as against Active Directory."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from app.auth.models import Team, User
from app.directory import services
from app.extensions import db
from tests.directory.conftest import SUFFIX, group_dn, password, person_dn, running_slapd

# bytes_le is what AD sends on the wire; the text form (str(uuid)) is what Fallwerk stores
GUIDS = {
    "anna": uuid.UUID(bytes_le=b"*()\\\x00\xff\x80anna-guid"),
    "bernd": uuid.UUID(bytes_le=b"*()\\\x00\xff\x80bernd-gui"),  # the same first 7 bytes as anna's
    "carla": uuid.UUID("0f8fad5b-d9cb-469f-a165-70867728950e"),
}


@pytest.fixture(scope="module")
def ad_slapd():
    with running_slapd(guids=GUIDS) as server:
        yield server


@pytest.fixture
def app(make_app, ad_slapd):
    app = make_app(ad_slapd.config(LDAP_ID_ATTRIBUTE="objectGUID"))
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        asd = db.session.scalar(select(Team).where(Team.key == "asd"))
        services.add("ldap", "fw-asd", asd, "member", "fachkraft", admin)
        services.add("ldap", group_dn("fw-asd-leitung"), asd, "lead", "leitung", admin)
        db.session.commit()
    return app


def _login(app, username: str, pw: str | None = None):
    return app.test_client().post("/login", data={"username": username, "password": pw or password(username)})


def _account(app, username: str) -> tuple[int, str | None, bool] | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        return None if user is None else (user.id, user.external_id, user.active)


def test_the_account_is_keyed_by_the_guid_in_its_text_form(app):
    for name in ("anna", "bernd"):
        assert _login(app, name).status_code == 302
    assert _account(app, "anna")[1:] == (str(GUIDS["anna"]), True)
    assert _account(app, "bernd")[1:] == (str(GUIDS["bernd"]), True)


def test_the_sync_finds_each_entry_by_its_binary_guid_and_deactivates_a_deleted_one(app, ad_slapd):
    for name in ("anna", "bernd"):
        assert _login(app, name).status_code == 302
    result = app.test_cli_runner().invoke(args=["directory", "sync"])
    assert result.exit_code == 0 and "deactivated: 0" in result.output, result.output
    conn = ad_slapd.admin()
    entry = None
    try:
        assert conn.search(person_dn("anna"), "(objectClass=*)", "BASE", attributes=["*"])
        entry = conn.entries[0].entry_attributes_as_dict
        assert conn.delete(person_dn("anna")), conn.result
        result = app.test_cli_runner().invoke(args=["directory", "sync"])
        assert result.exit_code == 0, result.output
        # only anna: bernd's GUID shares its first bytes (and the characters a filter must escape)
        assert _account(app, "anna")[2] is False and _account(app, "bernd")[2] is True
    finally:
        if entry is not None:
            assert conn.add(person_dn("anna"), attributes={
                **{k: v for k, v in entry.items() if k not in ("objectGUID",)},
                "objectGUID": GUIDS["anna"].bytes_le}), conn.result
        conn.unbind()


def test_a_user_moved_to_another_ou_keeps_the_account(app, ad_slapd):
    assert _login(app, "anna").status_code == 302
    before = _account(app, "anna")
    conn = ad_slapd.admin()
    social = f"ou=sozialamt,ou=people,{SUFFIX}"
    moved = None
    try:
        assert conn.add(social, ["organizationalUnit"], {"ou": "sozialamt"}), conn.result
        assert conn.modify_dn(person_dn("anna"), "uid=anna", new_superior=social), conn.result
        moved = f"uid=anna,{social}"
        assert conn.modify(group_dn("fw-asd"), {"member": [("MODIFY_ADD", [moved])]}), conn.result
        assert _login(app, "anna").status_code == 302
        assert _account(app, "anna") == before
        result = app.test_cli_runner().invoke(args=["directory", "sync"])
        assert result.exit_code == 0 and "deactivated: 0" in result.output, result.output
    finally:
        if moved is not None:
            conn.modify(group_dn("fw-asd"), {"member": [("MODIFY_DELETE", [moved])]})
            conn.modify_dn(moved, "uid=anna", new_superior=f"ou=people,{SUFFIX}")
        conn.delete(social)
        conn.unbind()


def test_a_newcomer_with_another_guid_does_not_take_over_the_account(app, ad_slapd):
    assert _login(app, "carla").status_code == 302
    before = _account(app, "carla")
    conn = ad_slapd.admin()
    try:
        assert conn.modify(person_dn("carla"), {
            "objectGUID": [("MODIFY_REPLACE", [uuid.UUID("11111111-2222-3333-4444-555555555555").bytes_le])]})
        response = _login(app, "carla")
        assert response.status_code == 200
        assert "gehört schon zu einem anderen Konto" in response.get_data(as_text=True)
        assert _account(app, "carla") == before
    finally:
        conn.modify(person_dn("carla"), {"objectGUID": [("MODIFY_REPLACE", [GUIDS["carla"].bytes_le])]})
        conn.unbind()
