"""Secrets the app must read back (the second factor's TOTP seeds), sealed at rest.

A TOTP seed cannot be hashed like a password: the app needs it to compute the current code. So
it is encrypted (Fernet: AES-128-CBC with HMAC-SHA256, from ``cryptography``) under a key that
is *not* in the database: ``SECRET_ENCRYPTION_KEY`` from the environment, else a key derived
from ``SECRET_KEY`` (HKDF-SHA256 with a purpose label). A copy of the database or a backup alone
then gives no seeds, hence no second factor.

Rotation: ``SECRET_ENCRYPTION_KEY`` may list several keys separated by commas; the first seals,
all of them open. Put the new key first, keep the old one behind it until every seed has been
sealed anew (each seed is sealed anew when its owner next logs in with a code, or at once with
``flask auth reseal-secrets``), then drop the old one. Without ``SECRET_ENCRYPTION_KEY`` a change
of ``SECRET_KEY`` makes the seeds unreadable: set ``SECRET_ENCRYPTION_KEY`` explicitly before
rotating ``SECRET_KEY`` (the old ``SECRET_KEY`` can be listed as one of its keys).

Stored form: ``f1:`` + the Fernet token. A value without the prefix is a seed stored before
sealing was introduced; it is read as it is and sealed at its next use.
"""

from __future__ import annotations

import base64
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

PREFIX = "f1:"
_PURPOSE = b"fallwerk sealed secrets v1"
log = logging.getLogger(__name__)


def _fernet_key(material: str) -> bytes:
    """A Fernet key from any key material (a generated Fernet key or a long random string)."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(material.encode())
    return base64.urlsafe_b64encode(derived)


def _keys() -> list[Fernet]:
    """The configured keys, the sealing one first."""
    configured = [k.strip() for k in (current_app.config.get("SECRET_ENCRYPTION_KEY") or "").split(",") if k.strip()]
    return [Fernet(_fernet_key(m)) for m in configured or [current_app.config["SECRET_KEY"]]]


def _box() -> MultiFernet:
    return MultiFernet(_keys())


def is_sealed(stored: str | None) -> bool:
    return stored is not None and stored.startswith(PREFIX)


def seal(plain: str | None) -> str | None:
    """The value to store for ``plain`` (None stays None)."""
    if plain is None:
        return None
    return PREFIX + _box().encrypt(plain.encode()).decode("ascii")


def unseal(stored: str | None) -> str | None:
    """The plain value of a stored one; None if it cannot be opened with the configured keys
    (logged: the key changed without keeping the old one), or if nothing is stored."""
    if stored is None:
        return None
    if not stored.startswith(PREFIX):
        return stored  # stored before sealing: sealed at its next use
    try:
        return _box().decrypt(stored[len(PREFIX):].encode("ascii")).decode()
    except (InvalidToken, ValueError):
        log.error("a sealed secret cannot be opened with the configured SECRET_ENCRYPTION_KEY / SECRET_KEY")
        return None


def needs_resealing(stored: str | None) -> bool:
    """Stored in plain, or sealed under a key that is no longer the first one."""
    if stored is None:
        return False
    if not is_sealed(stored):
        return True
    try:
        _keys()[0].decrypt(stored[len(PREFIX):].encode("ascii"))  # the sealing key opens it
        return False
    except (InvalidToken, ValueError):
        return True
