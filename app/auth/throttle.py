"""Per-account login protection: a growing delay, then a lockout that doubles.

The per-IP rate limit alone fails both ways: behind a reverse proxy all users share one address
(ten typos lock everyone out), and a botnet guesses one account's password from many addresses.
So failures are also counted per user name, in the database (shared by all workers):

* the first ``LOGIN_FREE_FAILURES`` failures cost nothing (typos);
* each further failure blocks the name for ``LOGIN_DELAY_SECONDS``, doubling;
* failure number ``LOGIN_MAX_FAILURES`` locks the name for ``LOGIN_LOCKOUT_MINUTES``, doubling
  with every lockout (up to ``LOGIN_LOCKOUT_MAX_MINUTES``) until an admin unlocks it.

While blocked, the password is not even checked, so a correct guess teaches nothing. Names
without an account are counted, delayed and locked the same way; a name without an account is
hashed against a dummy like a real one, so neither the answers nor their timing tell which names
exist. The row is read ``FOR UPDATE`` (PostgreSQL): parallel guesses at one account queue behind
each other instead of all passing a stale check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from werkzeug.security import check_password_hash, generate_password_hash

from app import timeutil
from app.auth.models import LoginThrottle, User
from app.extensions import db

_dummy_hashes: dict[str, str] = {}


@dataclass
class Attempt:
    """Outcome of one login attempt: the user, or the German message and seconds to wait."""

    user: User | None = None
    message: str | None = None
    retry_after: int = 0  # > 0: refused without checking the password (delay or lockout)
    unavailable: bool = False  # the directory could not be asked (API: 503)


# --- directory passwords (app/directory/ldap.py registers itself here) -----------------------
PASSWORD_DIRECTORY_KEY = "fallwerk_password_directory"


@dataclass
class DirectoryOutcome:
    """What a password directory (LDAP) said: the user to log in; or ``message`` to show without
    counting a failure (directory down, no mapped group); neither: wrong name or password (counted
    like a local failure, same message)."""

    user: User | None = None
    message: str | None = None
    unavailable: bool = False


def _local_allowed(user: User) -> bool:
    """Local passwords count only while ``local`` is a login method; without it, local accounts
    holding the admin role may still log in when LOCAL_ADMIN_BREAK_GLASS is on (the way in when
    the directory is down or misconfigured)."""
    methods = login_methods()
    if "local" in methods:
        return True
    return bool(current_app.config.get("LOCAL_ADMIN_BREAK_GLASS", True)) and user.has_role("admin")


def login_methods() -> set[str]:
    raw = current_app.config.get("LOGIN_METHODS", "local")
    items = raw if isinstance(raw, list | tuple | set) else str(raw).split(",")
    return {str(m).strip().lower() for m in items if str(m).strip()}


def throttle_key(username: str) -> str:
    return username.strip()[:80]


def _dummy_hash() -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash("no account has this password", method=method)
    return _dummy_hashes[method]


def _state(key: str, create: bool = False) -> LoginThrottle | None:
    if create:
        dialect = db.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        db.session.execute(insert(LoginThrottle).values(username=key, failures=0, lockouts=0)
                           .on_conflict_do_nothing(index_elements=["username"]))
    return db.session.scalar(select(LoginThrottle).where(LoginThrottle.username == key)
                             .with_for_update().execution_options(populate_existing=True))


def _forget_old(state: LoginThrottle, now: datetime) -> None:
    config = current_app.config
    last = timeutil.aware(state.last_failure_at)
    if last and now - last > timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"]):
        state.failures = 0
    locked = timeutil.aware(state.locked_until)
    if state.lockouts and (locked is None or now - locked > timedelta(hours=config["LOGIN_LOCKOUT_MEMORY_HOURS"])):
        state.lockouts = 0


def blocked_for(state: LoginThrottle | None, now: datetime) -> tuple[int, bool]:
    """Seconds the name must still wait, and whether that is a lockout (not just a delay)."""
    if state is None:
        return 0, False
    locked = timeutil.aware(state.locked_until)
    if locked and locked > now:
        return max(1, int((locked - now).total_seconds() + 0.999)), True
    delay = timeutil.aware(state.delay_until)
    if delay and delay > now:
        return max(1, int((delay - now).total_seconds() + 0.999)), False
    return 0, False


def locked_message() -> str:
    return _("Nach zu vielen fehlgeschlagenen Versuchen ist die Anmeldung mit diesem Benutzernamen "
             "vorübergehend gesperrt. Bitte versuchen Sie es später erneut oder wenden Sie sich "
             "an die Administration.")


def _refusal(seconds: int, locked: bool) -> Attempt:
    if locked:
        return Attempt(message=locked_message(), retry_after=seconds)
    return Attempt(message=_("Zu viele fehlgeschlagene Versuche. Bitte warten Sie %(seconds)d "
                             "Sekunden und versuchen Sie es dann erneut.", seconds=seconds),
                   retry_after=seconds)


def record_failure(key: str, now: datetime) -> tuple[int, bool]:
    """Count a failure for ``key``; returns the new block (seconds, is lockout)."""
    config = current_app.config
    state = _state(key, create=True)
    assert state is not None
    _forget_old(state, now)
    state.failures += 1
    state.last_failure_at = now
    if state.failures >= config["LOGIN_MAX_FAILURES"]:
        minutes = min(config["LOGIN_LOCKOUT_MINUTES"] * 2 ** min(state.lockouts, 20),
                      config["LOGIN_LOCKOUT_MAX_MINUTES"])
        state.lockouts += 1
        state.failures = 0
        state.locked_until = now + timedelta(minutes=minutes)
        state.delay_until = None
    elif state.failures > config["LOGIN_FREE_FAILURES"]:
        extra = state.failures - config["LOGIN_FREE_FAILURES"] - 1
        state.delay_until = now + timedelta(seconds=config["LOGIN_DELAY_SECONDS"] * 2 ** extra)
    db.session.flush()
    forget_old_failures(now)
    return blocked_for(state, now)


def forget_old_failures(now: datetime) -> int:
    """Delete the rows of names nobody has tried for LOGIN_LOCKOUT_MEMORY_HOURS (a typed name may
    be a person's); at each failed login and in the daily run (app/retention/accountdata.py).
    Returns how many went."""
    cutoff = now - timedelta(hours=current_app.config["LOGIN_LOCKOUT_MEMORY_HOURS"])
    result = db.session.execute(delete(LoginThrottle).where(
        LoginThrottle.last_failure_at < cutoff,
        (LoginThrottle.locked_until.is_(None)) | (LoginThrottle.locked_until < cutoff)))
    return int(getattr(result, "rowcount", 0) or 0)


def _reset(state: LoginThrottle | None) -> None:
    if state is not None and (state.failures or state.lockouts or state.delay_until):
        state.failures, state.lockouts, state.delay_until = 0, 0, None


def attempt_second_step(user: User, check) -> Attempt:
    """The second step of a login (app/auth/twofactor.py): ``check()`` verifies the code, under
    the same per-account count as the password. A wrong code counts as a failed login; while the
    name is delayed or locked the code is not even checked; a correct one ends the count."""
    now = timeutil.utcnow()
    key = throttle_key(user.username)
    state = _state(key)
    if state is not None:
        _forget_old(state, now)
    seconds, locked = blocked_for(state, now)
    if seconds:
        return _refusal(seconds, locked)
    if check():
        _reset(state)
        return Attempt(user=user)
    seconds, locked = record_failure(key, now)
    if locked:
        return Attempt(message=locked_message(), retry_after=seconds)
    return Attempt(message=_("Der Code ist falsch oder abgelaufen."))


def attempt_login(username: str, password: str) -> Attempt:
    """Check ``username``/``password`` under the per-account throttle; the caller commits."""
    now = timeutil.utcnow()
    key = throttle_key(username)
    state = _state(key)
    if state is not None:
        _forget_old(state, now)
    seconds, locked = blocked_for(state, now)
    if seconds:
        return _refusal(seconds, locked)
    user = db.session.scalar(select(User).where(User.username == key))
    directory = current_app.extensions.get(PASSWORD_DIRECTORY_KEY)
    if directory is not None and (user is None or user.auth_source == "ldap"):
        outcome = directory(key, password, user)  # None: the directory is not a login method
        if outcome is not None and outcome.user is not None:
            if not outcome.user.has_second_factor:
                _reset(state)
            return Attempt(user=outcome.user)
        if outcome is not None and outcome.message:
            return Attempt(message=outcome.message, unavailable=outcome.unavailable)
        if outcome is not None:
            user = None  # wrong name or password in the directory: counted below
            password = ""
    valid = check_password_hash(user.password_hash if user else _dummy_hash(), password)
    if user is not None and user.active and valid and _local_allowed(user):
        if not user.has_second_factor:  # otherwise only a correct code ends the count
            _reset(state)
        return Attempt(user=user)
    seconds, locked = record_failure(key, now)
    if locked:
        return Attempt(message=locked_message(), retry_after=seconds)
    return Attempt(message=_("Benutzername oder Passwort ist falsch."))


def unlock(username: str) -> bool:
    """Admin: lift the lockout and forget the failures of ``username``; False if none."""
    state = _state(throttle_key(username))
    if state is None or not (state.failures or state.locked_until or state.delay_until or state.lockouts):
        return False
    state.failures, state.lockouts, state.delay_until, state.locked_until = 0, 0, None, None
    db.session.flush()
    return True


def states_for(usernames: list[str]) -> dict[str, LoginThrottle]:
    if not usernames:
        return {}
    rows = db.session.scalars(select(LoginThrottle).where(LoginThrottle.username.in_(usernames)))
    return {row.username: row for row in rows}


def locked_accounts(limit: int = 200) -> list[User]:
    """Accounts locked now (names without an account are locked too, but need no admin)."""
    return list(db.session.scalars(
        select(User).join(LoginThrottle, LoginThrottle.username == User.username)
        .where(LoginThrottle.locked_until > timeutil.utcnow())
        .order_by(User.username).limit(limit)))


def account_rate_key() -> str:
    """Flask-Limiter key of a login request: the user name typed (form or JSON body)."""
    from flask import request

    name = request.form.get("username")
    if name is None and request.is_json:
        try:
            body = request.get_json(silent=True)
        except (ValueError, RecursionError):
            body = None
        name = body.get("username") if isinstance(body, dict) else None
    return "account:" + throttle_key(name if isinstance(name, str) else "")
