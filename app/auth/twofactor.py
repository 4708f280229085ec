"""Second factor for local accounts: time-based one-time codes (TOTP, RFC 6238) and recovery codes.

Enrolment (``/konto/zwei-faktor``): a new secret waits in ``User.totp_pending`` until the user
proves with a current code that their authenticator app holds it; then it becomes
``totp_secret`` and ten one-time recovery codes are shown once (only their hashes are kept).
The secret is shown only while it is pending. Both are stored sealed under a key outside the
database (app/auth/secretbox.py: ``SECRET_ENCRYPTION_KEY``, else derived from ``SECRET_KEY``),
so a copy of the database or a backup gives nobody the second factor.

Login: after a correct password an account with a second factor gets a second step (web) or
needs ``code`` (API). A code is accepted for its 30-second step and one step either side
(clock drift), once: the step of the last accepted code is stored, so a code seen over a
shoulder cannot be used again. Wrong codes count towards the per-account lockout
(``throttle.attempt_second_step``).

``REQUIRE_2FA``: accounts with a role that sees social data (``User.second_factor_by_role``)
without a second factor are sent to the enrolment page after the login and can do nothing else
(``enforce_enrolment``); the API refuses them tokens.
"""

from __future__ import annotations

import hmac
import secrets

import pyotp
from flask import current_app, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import delete, func, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from app import timeutil
from app.auth import secretbox, throttle
from app.auth.models import RecoveryCode, SecondFactorEvent, User
from app.extensions import db

ISSUER = "Fallwerk"
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to confuse


def required(user: User) -> bool:
    """Whether ``user`` must have a second factor now (``REQUIRE_2FA`` and a role that sees social data)."""
    return bool(current_app.config.get("REQUIRE_2FA")) and user.second_factor_by_role


def must_enrol(user: User) -> bool:
    return required(user) and not user.has_second_factor


# --- secrets and codes -------------------------------------------------------------------------

def grouped(secret: str) -> str:
    """The secret in blocks of four, easier to type into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` address authenticator apps read (as a QR code or pasted)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def _digits(code: str) -> str:
    return "".join(code.split())


def _matching_step(secret: str, code: str) -> int | None:
    """The time step whose code is ``code`` (now, or one step either side), else None."""
    code = _digits(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(timeutil.utcnow())
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _use_totp(user: User, code: str) -> bool:
    """Accept a current code of ``user``'s secret once (a second use of its step is refused)."""
    secret = user.totp_secret  # None: no second factor, or its key is gone (logged; an admin resets it)
    if secret is None:
        return False
    step = _matching_step(secret, code)
    if step is None:
        return False
    if secretbox.needs_resealing(user.totp_secret_sealed):  # stored before sealing, or under an old key
        user.totp_secret = secret
    result = db.session.execute(
        update(User).where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False))
    db.session.refresh(user, ["totp_last_step"])
    return bool(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult


def _use_recovery_code(user: User, code: str) -> bool:
    """Spend one of ``user``'s unused recovery codes equal to ``code``."""
    wanted = _normalise_recovery(code)
    if len(wanted) != 10:
        return False
    rows = db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                         RecoveryCode.used_at.is_(None)))
    for row in rows:
        if check_password_hash(row.code_hash, wanted):
            result = db.session.execute(  # spent once, also against a parallel login
                update(RecoveryCode).where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=timeutil.utcnow()).execution_options(synchronize_session=False))
            if not result.rowcount:  # type: ignore[attr-defined]
                return False
            _record(user, "recovery_used", user)
            return True
    return False


def verify(user: User, code: str) -> bool:
    """A current code of the app or an unused recovery code (which is spent); not throttled."""
    code = (code or "").strip()
    if not code:
        return False
    return _use_totp(user, code) or _use_recovery_code(user, code)


def attempt(user: User, code: str) -> throttle.Attempt:
    """The second step of a login, counted like a password attempt; the caller commits."""
    return throttle.attempt_second_step(user, lambda: verify(user, code))


def unused_recovery_codes(user: User) -> int:
    return db.session.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


# --- enrolment, switching off, reset --------------------------------------------------------

def _record(user: User, kind: str, actor: User | None) -> None:
    db.session.add(SecondFactorEvent(user_id=user.id, actor_id=actor.id if actor else None, kind=kind,
                                     at=timeutil.utcnow()))


def begin_enrolment(user: User) -> str:
    """A new pending secret for ``user`` (replaces one not yet confirmed)."""
    secret = pyotp.random_base32()
    user.totp_pending = secret
    db.session.flush()
    return secret


def confirm_enrolment(user: User, code: str) -> list[str] | None:
    """Activate the pending secret if ``code`` is one of its current codes; returns the new
    recovery codes (shown once), or None when the code does not match."""
    pending = user.totp_pending
    if pending is None:
        return None
    step = _matching_step(pending, code)
    if step is None:
        return None
    user.totp_secret, user.totp_pending = pending, None
    user.totp_enrolled_at = timeutil.utcnow()
    user.totp_last_step = step  # this code is used
    codes = _replace_recovery_codes(user)
    _record(user, "enrolled", user)
    db.session.flush()
    return codes


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    now = timeutil.utcnow()
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, created_at=now,
                                    code_hash=generate_password_hash(_normalise_recovery(code), method=method)))
    return codes


def remove(user: User, actor: User | None, kind: str = "disabled") -> None:
    """Switch ``user``'s second factor off (``kind`` "disabled" by the user, "reset" by an admin)."""
    user.totp_secret = user.totp_pending = None
    user.totp_enrolled_at = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    _record(user, kind, actor)
    db.session.flush()


def reseal_all() -> tuple[int, list[str]]:
    """Seal every stored seed (confirmed or pending) under the current sealing key (flushes).
    Returns how many were sealed anew and the accounts whose seed no configured key opens."""
    resealed, unreadable = 0, []
    users = db.session.scalars(select(User).where(or_(User.totp_secret_sealed.is_not(None),
                                                      User.totp_pending_sealed.is_not(None))).order_by(User.id))
    for user in users:
        for name in ("totp_secret", "totp_pending"):
            stored = getattr(user, f"{name}_sealed")
            if not secretbox.needs_resealing(stored):
                continue
            plain = getattr(user, name)
            if plain is None:
                unreadable.append(user.username)
                continue
            setattr(user, name, plain)
            resealed += 1
    db.session.flush()
    return resealed, unreadable


def last_events(user_ids: list[int]) -> dict[int, SecondFactorEvent]:
    """The latest second-factor event of each of these users (the account list)."""
    if not user_ids:
        return {}
    latest = (select(SecondFactorEvent.user_id, func.max(SecondFactorEvent.id).label("id"))
              .where(SecondFactorEvent.user_id.in_(user_ids)).group_by(SecondFactorEvent.user_id).subquery())
    rows = db.session.scalars(select(SecondFactorEvent).join(latest, latest.c.id == SecondFactorEvent.id))
    return {row.user_id: row for row in rows}


# --- REQUIRE_2FA: nothing else until enrolled --------------------------------------------------

#: Endpoints an account that must enrol may still use.
ENROLMENT_ENDPOINTS = frozenset({"auth.two_factor", "auth.logout", "auth.set_language", "auth.login",
                                 "auth.second_factor", "static"})


def enforce_enrolment():
    """``before_request``: with ``REQUIRE_2FA`` an account that must enrol sees only the
    enrolment page (and can log out)."""
    if not current_app.config.get("REQUIRE_2FA") or request.endpoint in ENROLMENT_ENDPOINTS:
        return None
    if request.path.startswith("/api/"):  # tokens: refused at issue and use (app/auth/api.py, app/api/auth.py)
        return None
    if current_user.is_authenticated and must_enrol(current_user._get_current_object()):
        if request.endpoint == "auth.change_password" and current_user.must_change_password:
            return None  # an admin-set password is replaced first (sessions.enforce_password_change)
        return redirect(url_for("auth.two_factor"))
    return None
