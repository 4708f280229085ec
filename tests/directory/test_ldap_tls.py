"""LDAP login over TLS against the real test slapd: LDAPS and StartTLS with the installation's CA
file (``LDAP_CA_FILE``) work; a server certificate from another CA is refused (German message, no
login, the API answers 503) -- the password never goes to a server the app cannot verify.

The certificates are made by the test with ``cryptography``: a CA, a server certificate for
127.0.0.1 signed by it, and an unrelated second CA."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from app.auth.models import Team, User
from app.directory import services
from app.extensions import db
from tests.directory.conftest import password, running_slapd

UNAVAILABLE = "Verzeichnis (LDAP) ist gerade nicht erreichbar"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ca(directory: Path, label: str):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)  # certificate validity only; nothing in the app reads this clock
    cert = (x509.CertificateBuilder().subject_name(_name(label)).issuer_name(_name(label))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    path = directory / f"{label}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, path


@pytest.fixture(scope="module")
def tls_slapd(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ldap-tls")
    ca_key, ca_cert, ca_file = _ca(directory, "fallwerk-test-ca")
    _other_key, _other_cert, other_ca_file = _ca(directory, "unrelated-ca")
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (directory / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "server.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    conf = (f"TLSCACertificateFile {ca_file}\nTLSCertificateFile {directory / 'server.pem'}\n"
            f"TLSCertificateKeyFile {directory / 'server.key'}\n")
    with running_slapd(conf, ldaps=True) as server:
        yield server, ca_file, other_ca_file


def _app(make_app, server, **extra):
    app = make_app(server.config(**extra))
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        asd = db.session.scalar(select(Team).where(Team.key == "asd"))
        services.add("ldap", "fw-asd", asd, "member", "fachkraft", admin)
        db.session.commit()
    return app


def _login(app):
    client = app.test_client()
    response = client.post("/login", data={"username": "anna", "password": password("anna")})
    return client, response


def _account(app) -> User | None:
    with app.app_context():
        return db.session.scalar(select(User).where(User.username == "anna"))


def test_ldaps_with_the_installations_ca_logs_in(make_app, tls_slapd):
    server, ca_file, _other = tls_slapd
    app = _app(make_app, server, LDAP_URL=server.ldaps_url, LDAP_CA_FILE=str(ca_file))
    client, response = _login(app)
    assert response.status_code == 302 and client.get("/aufgaben").status_code == 200
    assert _account(app).auth_source == "ldap"


def test_starttls_with_the_installations_ca_logs_in(make_app, tls_slapd):
    server, ca_file, _other = tls_slapd
    app = _app(make_app, server, LDAP_START_TLS=True, LDAP_CA_FILE=str(ca_file))  # on the ldap:// port
    client, response = _login(app)
    assert response.status_code == 302 and client.get("/aufgaben").status_code == 200


@pytest.mark.parametrize("mode", ["ldaps", "starttls"])
def test_a_certificate_from_another_ca_is_refused_before_the_password_is_sent(make_app, tls_slapd, mode):
    server, _ca_file, other_ca_file = tls_slapd
    extra = {"LDAP_URL": server.ldaps_url} if mode == "ldaps" else {"LDAP_START_TLS": True}
    app = _app(make_app, server, LDAP_CA_FILE=str(other_ca_file), **extra)
    client, response = _login(app)
    assert response.status_code == 200 and UNAVAILABLE in response.get_data(as_text=True)
    assert client.get("/aufgaben").status_code == 302  # not logged in
    assert _account(app) is None
    api = app.test_client().post("/api/v1/tokens", json={"username": "anna", "password": password("anna")})
    assert api.status_code == 503 and api.get_json()["error"]["code"] == "directory_unavailable"
