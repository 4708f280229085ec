"""A real OpenLDAP ``slapd`` for the directory tests: one server per test module, started as the
current user on a free loopback port from a temporary slapd.conf (mdb backend, the core/cosine/
inetorgperson schemas of /etc/ldap/schema), filled with slapadd before the start.

Test directory (suffix dc=fallwerk,dc=test):
  ou=people: anna (Anna Adler), bernd (Bernd Berg), carla (Carla Christ), password "geheim-<name>"
  ou=services: cn=fallwerk (the service account, password "service-secret")
  ou=groups: fw-asd (anna, carla), fw-asd-leitung (bernd), fw-admins (carla), other (bernd)
Skipped when /usr/sbin/slapd is missing, unless CI is set (then the tests fail).
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
SCHEMA_DIR = Path("/etc/ldap/schema")
GUID_SCHEMA = Path(__file__).parent / "fixtures" / "objectguid.schema"
SUFFIX = "dc=fallwerk,dc=test"
ROOT_DN, ROOT_PW = f"cn=root,{SUFFIX}", "root-secret"
SERVICE_DN, SERVICE_PW = f"cn=fallwerk,ou=services,{SUFFIX}", "service-secret"
PEOPLE = {"anna": "Anna Adler", "bernd": "Bernd Berg", "carla": "Carla Christ"}
GROUPS = {"fw-asd": ["anna", "carla"], "fw-asd-leitung": ["bernd"], "fw-admins": ["carla"], "other": ["bernd"]}


def person_dn(uid: str) -> str:
    return f"uid={uid},ou=people,{SUFFIX}"


def group_dn(cn: str) -> str:
    return f"cn={cn},ou=groups,{SUFFIX}"


def password(uid: str) -> str:
    return f"geheim-{uid}"


def _ldif(guids: dict[str, uuid.UUID] | None = None) -> str:
    """The test directory; ``guids``: uid -> an Active Directory objectGUID for that person."""
    blocks = [f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: fallwerk\no: Fallwerk Test"]
    for ou in ("people", "groups", "services"):
        blocks.append(f"dn: ou={ou},{SUFFIX}\nobjectClass: organizationalUnit\nou: {ou}")
    blocks.append(f"dn: {SERVICE_DN}\nobjectClass: person\ncn: fallwerk\nsn: Service\nuserPassword: {SERVICE_PW}")
    for uid, name in PEOPLE.items():
        guid = (guids or {}).get(uid)
        ad = (f"\nobjectClass: fallwerkTestADObject\nobjectGUID:: {base64.b64encode(guid.bytes_le).decode()}"
              if guid is not None else "")
        blocks.append(f"dn: {person_dn(uid)}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {name}\n"
                      f"sn: {name.split()[-1]}\ndisplayName: {name}\nmail: {uid}@fallwerk.test\n"
                      f"userPassword: {password(uid)}{ad}")
    for cn, members in GROUPS.items():
        blocks.append(f"dn: {group_dn(cn)}\nobjectClass: groupOfNames\ncn: {cn}\n"
                      + "\n".join(f"member: {person_dn(m)}" for m in members))
    return "\n\n".join(blocks) + "\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    """slapd accepts connections and the root can bind."""
    from ldap3 import NONE, Connection, Server

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            pass
    except OSError:
        return False
    conn = Connection(Server(f"ldap://127.0.0.1:{port}", get_info=NONE, connect_timeout=1), ROOT_DN, ROOT_PW,
                      receive_timeout=2)
    try:
        return bool(conn.bind())
    finally:
        conn.unbind()


@dataclass
class Slapd:
    url: str
    port: int
    ldaps_url: str | None = None

    def config(self, **extra) -> dict:
        return {"LOGIN_METHODS": "local,ldap", "LDAP_URL": self.url, "LDAP_BIND_DN": SERVICE_DN,
                "LDAP_BIND_PASSWORD": SERVICE_PW, "LDAP_USER_BASE": f"ou=people,{SUFFIX}",
                "LDAP_GROUP_BASE": f"ou=groups,{SUFFIX}", "LDAP_TIMEOUT": 3.0, **extra}

    def admin(self):
        """A connection bound as the directory's root (to change the directory in a test)."""
        from ldap3 import NONE, Connection, Server

        conn = Connection(Server(self.url, get_info=NONE), ROOT_DN, ROOT_PW, auto_bind=True)
        return conn


def require_slapd() -> None:
    if not os.path.exists(SLAPD) or not (SCHEMA_DIR / "inetorgperson.schema").exists():
        if os.environ.get("CI"):
            pytest.fail("slapd (Debian package slapd) is required in CI")
        pytest.skip("no /usr/sbin/slapd (apt-get install slapd ldap-utils)")


@contextmanager
def running_slapd(global_conf: str = "", ldaps: bool = False,
                  guids: dict[str, uuid.UUID] | None = None) -> Iterator[Slapd]:
    """A slapd with the test directory on free loopback ports: ldap:// (and ldaps:// if asked,
    ``Slapd.ldaps_url``); ``global_conf``: extra lines for the global section (e.g. TLS files);
    ``guids``: people with an Active Directory ``objectGUID`` (schema in fixtures/objectguid.schema)."""
    require_slapd()
    work = Path(tempfile.mkdtemp(prefix="fallwerk-slapd-"))
    (work / "data").mkdir()
    modules = "modulepath /usr/lib/ldap\nmoduleload back_mdb\n" if Path("/usr/lib/ldap/back_mdb.so").exists() else ""
    (work / "slapd.conf").write_text(
        "".join(f"include {SCHEMA_DIR / name}.schema\n" for name in ("core", "cosine", "inetorgperson"))
        + (f"include {GUID_SCHEMA}\n" if guids else "")
        + f"pidfile {work}/slapd.pid\nargsfile {work}/slapd.args\n{modules}{global_conf}"
        + f'database mdb\nmaxsize 10485760\nsuffix "{SUFFIX}"\nrootdn "{ROOT_DN}"\nrootpw {ROOT_PW}\n'
        + f"directory {work}/data\n"
        + "access to attrs=userPassword by anonymous auth by * none\naccess to * by * read\n")
    (work / "data.ldif").write_text(_ldif(guids))
    subprocess.run([SLAPADD, "-f", str(work / "slapd.conf"), "-l", str(work / "data.ldif")], check=True,
                   capture_output=True, timeout=30)
    port = _free_port()
    url = f"ldap://127.0.0.1:{port}"
    ldaps_url = f"ldaps://127.0.0.1:{_free_port()}" if ldaps else None
    listen = f"{url}/" + (f" {ldaps_url}/" if ldaps_url else "")
    proc = subprocess.Popen([SLAPD, "-d", "0", "-h", listen, "-f", str(work / "slapd.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while not _answers(port):
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                raise RuntimeError(f"slapd exited: {err}")
            if time.monotonic() > deadline:
                raise RuntimeError("slapd did not answer within 20 s")
            time.sleep(0.05)  # poll interval while waiting for the server (bounded by the deadline)
        yield Slapd(url=url, port=port, ldaps_url=ldaps_url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def slapd():
    with running_slapd() as server:
        yield server
