"""Login against LDAP / Active Directory (ldap3).

The login form stays one form (user name + password). The throttle (app/auth/throttle.py) asks
this module for every name that has no local account (or an LDAP account): an existing local
account always uses its local password and is never taken over.

Flow: bind as the service account, search the user below LDAP_USER_BASE with LDAP_USER_FILTER
(the typed name escaped with ``escape_filter_chars``: no filter injection), bind as the found DN
with the password (an empty password is refused before any bind: an LDAP server takes a simple
bind with a DN and no password as an *anonymous* bind and says yes), read the groups, then
``provision("ldap", <stable id>, ...)``. Wrong password, unknown name, ambiguous name: the same answer as a
wrong local password, counted by the throttle. Directory unreachable: a German message, no
failure counted, nothing changed.

Accounts are keyed by a stable attribute of the entry (``LDAP_ID_ATTRIBUTE``: ``entryUUID`` for
OpenLDAP, ``objectGUID`` for Active Directory), not by the DN: a person moved to another OU gets
a new DN but keeps their account, and whoever gets the old DN later does not get it. Accounts
keyed by their DN (before this setting existed) are matched by that DN once, at their next login
or ``flask directory sync``, and then keyed by the stable id. ``LDAP_ID_ATTRIBUTE`` empty: keyed
by DN (not recommended).
"""

from __future__ import annotations

import logging
import math
import ssl
import uuid
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from ldap3 import BASE, NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

from app.auth.models import User
from app.auth.throttle import DirectoryOutcome, login_methods
from app.directory.models import SOURCE_LDAP
from app.directory.provision import DirectoryRefused, deactivate, provision

log = logging.getLogger(__name__)

INVALID_CREDENTIALS = 49
NO_SUCH_OBJECT = 32


class DirectoryUnavailable(Exception):
    """The directory could not be reached or refused the service account."""


@dataclass
class Person:
    dn: str
    username: str
    display_name: str
    email: str | None
    groups: list[str] = field(default_factory=list)
    key: str | None = None  # the stable id (LDAP_ID_ATTRIBUTE; the DN when that is empty); None: missing


def id_attribute() -> str:
    return str(current_app.config.get("LDAP_ID_ATTRIBUTE") or "").strip()


def _stable_id(entry: dict) -> str | None:
    """The entry's stable id as stored in ``User.external_id``: ``entryUUID`` as the server writes
    it (lower-case), an AD ``objectGUID`` (16 bytes, little-endian fields) in its usual text form;
    the DN when no id attribute is configured; None when the entry lacks the attribute."""
    name = id_attribute()
    if not name:
        return entry["dn"]
    raw = None
    for key, values in (entry.get("raw_attributes") or {}).items():
        if key.lower() == name.lower() and values:
            raw = values[0] if isinstance(values, list) else values
            break
    if not isinstance(raw, bytes) or not raw:
        return None
    if name.lower() == "objectguid" and len(raw) == 16:
        return str(uuid.UUID(bytes_le=raw))
    try:
        return raw.decode("utf-8").strip().lower() or None
    except UnicodeDecodeError:
        return raw.hex()


def _id_filter(key: str) -> str:
    """A filter that finds the entry with stable id ``key`` (escaped: no filter injection)."""
    name = id_attribute()
    if name.lower() == "objectguid":
        try:
            raw = uuid.UUID(key).bytes_le
        except ValueError:
            raw = b""
        if raw:
            return "(objectGUID=" + "".join(f"\\{byte:02x}" for byte in raw) + ")"
    return f"({name}={escape_filter_chars(key)})"


def missing_id_message() -> str:
    return _("Das Verzeichnis liefert für Ihr Konto keine eindeutige Kennung. Bitte wenden Sie sich an die "
             "Administration.")


def enabled() -> bool:
    return "ldap" in login_methods() and bool(current_app.config.get("LDAP_URL"))


def unavailable_message() -> str:
    return _("Das Verzeichnis (LDAP) ist gerade nicht erreichbar. Bitte versuchen Sie es später erneut "
             "oder wenden Sie sich an die Administration.")


def _server() -> Server:
    config = current_app.config
    url = config["LDAP_URL"]
    tls = None
    if url.lower().startswith("ldaps://") or config.get("LDAP_START_TLS"):
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=config.get("LDAP_CA_FILE") or None)
    return Server(url, get_info=NONE, connect_timeout=config["LDAP_TIMEOUT"], tls=tls)


def _connect(server: Server, user: str, password: str) -> Connection:
    """A connection bound as ``user`` (never anonymous); raises DirectoryUnavailable when the server
    cannot be reached; a refused bind leaves the connection unbound (``conn.bound`` False)."""
    receive_timeout = max(1, math.ceil(float(current_app.config["LDAP_TIMEOUT"])))  # ldap3: whole seconds
    conn = Connection(server, user=user, password=password, receive_timeout=receive_timeout,
                      raise_exceptions=False, read_only=True)
    try:
        conn.open()
        if current_app.config.get("LDAP_START_TLS") and not server.ssl and not conn.start_tls():
            raise DirectoryUnavailable(f"StartTLS failed: {conn.result}")
        conn.bind()
    except (LDAPException, OSError, DirectoryUnavailable) as exc:
        try:  # a failed TLS handshake (StartTLS: a certificate we cannot verify) has closed the socket
            conn.unbind()
        except (LDAPException, OSError):
            pass
        if conn.socket is not None:  # ldap3 leaves the socket of a failed connect open
            conn.socket.close()
        raise DirectoryUnavailable(str(exc)) from exc
    return conn


def _service() -> Connection:
    config = current_app.config
    if not config.get("LDAP_BIND_DN") or not config.get("LDAP_BIND_PASSWORD"):
        raise DirectoryUnavailable("LDAP_BIND_DN / LDAP_BIND_PASSWORD not set")
    conn = _connect(_server(), config["LDAP_BIND_DN"], config["LDAP_BIND_PASSWORD"])
    if not conn.bound:
        conn.unbind()
        raise DirectoryUnavailable(f"service account bind refused: {conn.result}")
    return conn


def _first(entry: dict, name: str) -> str | None:
    if not name:
        return None
    for key, value in entry.items():
        if key.lower() == name.lower():
            if isinstance(value, list):
                return str(value[0]) if value else None
            return str(value) if value not in (None, "") else None
    return None


def _all(entry: dict, name: str) -> list[str]:
    for key, value in entry.items():
        if key.lower() == name.lower():
            return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return []


def _attributes() -> list[str]:
    config = current_app.config
    names = [config["LDAP_USERNAME_ATTRIBUTE"], config["LDAP_DISPLAY_NAME_ATTRIBUTE"], config["LDAP_MAIL_ATTRIBUTE"],
             "cn", config.get("LDAP_GROUP_MEMBER_ATTRIBUTE") or "", id_attribute()]
    return sorted({n for n in names if n})


def _entries(conn: Connection) -> list[dict]:
    if conn.result.get("result") not in (0, 4, NO_SUCH_OBJECT):  # success, size limit, no object
        raise DirectoryUnavailable(f"search failed: {conn.result}")
    return [r for r in conn.response or [] if r.get("type") == "searchResEntry"]


def _group_names(dn: str) -> list[str]:
    """A group as the mapping table may name it: its full DN and its first RDN's value (cn)."""
    names = [dn]
    try:
        first = parse_dn(dn)[0]
        names.append(first[1])
    except (LDAPException, IndexError, ValueError):
        pass
    return names


def _person(conn: Connection, entry: dict, fallback_username: str) -> Person:
    config = current_app.config
    attrs = entry.get("attributes") or {}
    dn = entry["dn"]
    groups: list[str] = []
    member_attr = config.get("LDAP_GROUP_MEMBER_ATTRIBUTE")
    if member_attr:
        for group_dn in _all(attrs, member_attr):
            groups.extend(_group_names(group_dn))
    if config.get("LDAP_GROUP_BASE"):
        group_filter = config["LDAP_GROUP_FILTER"].replace("{dn}", escape_filter_chars(dn))
        try:
            conn.search(config["LDAP_GROUP_BASE"], group_filter, SUBTREE, attributes=["cn"])
        except LDAPException as exc:
            raise DirectoryUnavailable(str(exc)) from exc
        for group in _entries(conn):
            groups.extend(_group_names(group["dn"]))
    username = _first(attrs, config["LDAP_USERNAME_ATTRIBUTE"]) or fallback_username
    return Person(dn=dn, username=username,
                  display_name=_first(attrs, config["LDAP_DISPLAY_NAME_ATTRIBUTE"]) or _first(attrs, "cn") or username,
                  email=_first(attrs, config["LDAP_MAIL_ATTRIBUTE"]), groups=groups, key=_stable_id(entry))


def find_person(conn: Connection, username: str) -> Person | None:
    """The one entry the user filter finds for ``username`` (None: none or several)."""
    config = current_app.config
    query = config["LDAP_USER_FILTER"].replace("{username}", escape_filter_chars(username))
    try:
        conn.search(config["LDAP_USER_BASE"], query, SUBTREE, attributes=_attributes(), size_limit=2)
    except LDAPException as exc:
        raise DirectoryUnavailable(str(exc)) from exc
    entries = _entries(conn)
    if len(entries) != 1:
        if entries:
            log.warning("LDAP user filter matches %d entries for one name; login refused", len(entries))
        return None
    return _person(conn, entries[0], username)


def read_person(conn: Connection, dn: str, username: str) -> Person | None:
    """The entry at ``dn`` (None: deleted from the directory)."""
    try:
        conn.search(dn, "(objectClass=*)", BASE, attributes=_attributes())
    except LDAPException as exc:
        raise DirectoryUnavailable(str(exc)) from exc
    entries = _entries(conn)
    return _person(conn, entries[0], username) if entries else None


def read_person_by_key(conn: Connection, key: str, username: str) -> Person | None:
    """The entry with the stable id ``key`` below LDAP_USER_BASE, wherever it was moved (None:
    deleted from the directory, or moved out of the user base)."""
    config = current_app.config
    try:
        conn.search(config["LDAP_USER_BASE"], _id_filter(key), SUBTREE, attributes=_attributes(), size_limit=2)
    except LDAPException as exc:
        raise DirectoryUnavailable(str(exc)) from exc
    entries = _entries(conn)
    return _person(conn, entries[0], username) if len(entries) == 1 else None


def _keyed_by_dn(user: User) -> bool:
    """An account from before LDAP_ID_ATTRIBUTE: its external id is its DN (ids hold no "=")."""
    return bool(id_attribute()) and "=" in (user.external_id or "")


def check_password(username: str, password: str) -> tuple[Person | None, bool]:
    """The person the directory finds for ``username`` (None: no such entry) and whether
    ``password`` is theirs; raises DirectoryUnavailable."""
    conn = _service()
    try:
        person = find_person(conn, username.strip())
    finally:
        conn.unbind()
    if person is None or not password:  # never an (anonymous) bind without a password
        return person, False
    user_conn = _connect(_server(), person.dn, password)
    try:
        if not user_conn.bound:
            if user_conn.result.get("result") == INVALID_CREDENTIALS:
                return person, False
            raise DirectoryUnavailable(f"user bind failed: {user_conn.result}")
    finally:
        user_conn.unbind()
    return person, True


def authenticate(username: str, password: str, user: User | None) -> DirectoryOutcome | None:
    """The throttle's password-directory hook (see app/auth/throttle.py): None when LDAP is not a
    login method."""
    if not enabled():
        return None
    if not password or not username.strip():  # refused before any bind (anonymous bind trap)
        return DirectoryOutcome()
    try:
        person, valid = check_password(username, password)
    except DirectoryUnavailable as exc:
        log.error("LDAP login for %r failed: %s", username[:80], exc)
        return DirectoryOutcome(message=unavailable_message(), unavailable=True)
    if person is None and user is not None and user.auth_source == SOURCE_LDAP and user.active:
        deactivate(user)  # the directory no longer knows the person
        log.info("LDAP account %s deactivated: no longer in the directory", user.username)
    if person is None or not valid:
        return DirectoryOutcome()  # wrong name or password: counted, same answer as locally
    if person.key is None:  # misconfigured LDAP_ID_ATTRIBUTE, or no right to read it
        log.error("LDAP entry %s has no %s: login refused (check LDAP_ID_ATTRIBUTE)", person.dn, id_attribute())
        return DirectoryOutcome(message=missing_id_message())
    try:
        account = provision(SOURCE_LDAP, person.key, person.username, person.display_name, person.email,
                            person.groups, previous_id=person.dn if id_attribute() else None)
    except DirectoryRefused as exc:
        return DirectoryOutcome(message=str(exc))
    return DirectoryOutcome(user=account)


@dataclass
class SyncResult:
    checked: int = 0
    deactivated: list[str] = field(default_factory=list)


def sync() -> SyncResult:
    """Check every active LDAP account against the directory (``flask directory sync``, nightly):
    deleted from the directory or no mapped group any more -> deactivated (sessions and tokens
    end); still there -> roles and teams brought in step. Raises DirectoryUnavailable before
    changing anything when the directory cannot be asked (a dead server never deactivates anyone)."""
    from sqlalchemy import select

    from app.directory.provision import grants_for
    from app.extensions import db

    result = SyncResult()
    users = list(db.session.scalars(select(User).where(User.auth_source == SOURCE_LDAP, User.active.is_(True))
                                    .order_by(User.id)))
    conn = _service()
    try:
        found: dict[int, Person | None] = {}
        for user in users:
            if not user.external_id:
                found[user.id] = None
            elif _keyed_by_dn(user) or not id_attribute():
                found[user.id] = read_person(conn, user.external_id, user.username)  # by DN
            else:
                found[user.id] = read_person_by_key(conn, user.external_id, user.username)
    finally:
        conn.unbind()
    for user in users:
        result.checked += 1
        person = found[user.id]
        if person is not None and person.key is None:
            log.error("LDAP entry %s has no %s: account left as it is (check LDAP_ID_ATTRIBUTE)", person.dn,
                      id_attribute())
            continue
        if person is None or grants_for(SOURCE_LDAP, person.groups).empty:
            deactivate(user)
            result.deactivated.append(user.username)
            continue
        assert person.key is not None
        provision(SOURCE_LDAP, person.key, user.username, person.display_name, person.email, person.groups,
                  previous_id=person.dn if _keyed_by_dn(user) else None)  # a DN-keyed account: now by id
    return result
