"""Sessions that end: per-user session version, idle timeout, revocation on password change.

The session cookie is signed, not stored: a copy made before a logout used to stay valid for the
whole ``PERMANENT_SESSION_LIFETIME``. Now every session carries the user's ``session_version``
(in Flask-Login's user id, ``User.get_id``) and the user loader compares it with the database on
each request; raising the version ends every session of that user at once — the cookie in this
browser, a copied one, and any remember cookie (it holds the same id). Logout, a password change
and a deactivation raise it; the last two also revoke the user's API tokens.

The session also records when it started and when it was last used (whole seconds, from
``app.timeutil.utcnow`` so tests control the clock); ``enforce_limits`` ends it after
``SESSION_IDLE_MINUTES`` without a request, and at the latest ``PERMANENT_SESSION_LIFETIME``
after the login.
"""

from __future__ import annotations

from blinker import Namespace
from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import update

from app import timeutil
from app.auth.models import ApiToken, User
from app.extensions import db, login_manager

SEEN, STARTED = "seen", "auth_at"


def _now() -> int:
    return int(timeutil.utcnow().timestamp())


def start_session(user: User) -> None:
    """Log ``user`` in with a fresh session (no data of a previous one is carried over)."""
    session.clear()
    login_user(user)
    session.permanent = True
    session[SEEN] = session[STARTED] = _now()
    user.last_login_at = timeutil.utcnow()


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the active user whose session version matches the cookie's."""
    ident, sep, version = user_id.partition(":")
    if not sep or not ident.isdigit() or not version.isdigit():
        return None  # a cookie from before session versions, or forged
    user = db.session.get(User, int(ident))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def end_all_sessions(user: User) -> None:
    """Invalidate every existing session (and remember cookie) of ``user``."""
    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1))
    db.session.refresh(user, ["session_version"])


def revoke_tokens(user: User) -> int:
    """Revoke all API tokens of ``user``; returns how many were still valid."""
    result = db.session.execute(update(ApiToken)
                                .where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
                                .values(revoked=True).execution_options(synchronize_session=False))
    return result.rowcount or 0  # type: ignore[attr-defined]  # DML gives a CursorResult


def logout(user: User) -> None:
    end_all_sessions(user)
    _clear()


#: Sent (sender: the user) when a user replaced an admin-set password by their own; the user
#: administration records it in the account's history (app/useradmin).
required_password_changed = Namespace().signal("required-password-changed")


def change_password(user: User, new_password: str, *, must_change: bool = False) -> None:
    """Set the password and end the user's other sessions and tokens (the caller re-logs in).

    ``must_change``: the password was set by an admin; the user must choose their own at the
    next login (``enforce_password_change``). A change by the user themself clears the flag."""
    user.set_password(new_password)
    user.is_demo = False  # no longer the demo password
    user.must_change_password = must_change
    end_all_sessions(user)
    revoke_tokens(user)


def must_change_password(user: User) -> bool:
    """Whether ``user`` must replace an admin-set password before anything else (local accounts
    only: a directory account has no password here)."""
    return bool(user.must_change_password) and (user.auth_source or "local") == "local"


#: Endpoints an account that must change its password may still use.
PASSWORD_CHANGE_ENDPOINTS = frozenset({"auth.change_password", "auth.logout", "auth.set_language", "auth.login",
                                       "auth.second_factor", "static"})


def enforce_password_change():
    """``before_request``: an account with an admin-set password sees only the password change
    page (and can log out); the API refuses its tokens (app/api/auth.py, app/auth/api.py)."""
    if request.endpoint in PASSWORD_CHANGE_ENDPOINTS or request.path.startswith("/api/"):
        return None
    if current_user.is_authenticated and must_change_password(current_user._get_current_object()):
        return redirect(url_for("auth.change_password"))
    return None


def set_active(user: User, active: bool) -> None:
    """Activate or deactivate an account (an admin's decision; a directory login does not undo
    it); deactivation ends its sessions and tokens."""
    user.active, user.deactivated_by = active, (None if active else "admin")
    if not active:
        end_all_sessions(user)
        revoke_tokens(user)
    db.session.flush()


def enforce_limits() -> None:
    """``before_request``: end a session idle too long or older than its lifetime."""
    if request.endpoint == "static":
        return
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    if remember in request.cookies and session.get("_remember") != "clear":
        # No remember-me here: a remember cookie would outlive logout and idle timeout, so
        # Flask-Login must neither use it nor keep it (it deletes it on this response).
        session["_remember"] = "clear"
    if "_user_id" not in session:
        return
    now = _now()
    seen, started = session.get(SEEN), session.get(STARTED)
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    if (not isinstance(seen, int) or not isinstance(started, int)
            or (idle > 0 and now - seen > idle) or now - started > lifetime):
        _clear()
        flash(_("Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an."), "info")
        return
    if now != seen:
        session[SEEN] = now


def _clear() -> None:
    logout_user()
    session.clear()
    if current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        session["_remember"] = "clear"  # Flask-Login deletes a remember cookie on the response


def init_app(app) -> None:
    from app.auth.twofactor import enforce_enrolment

    login_manager.user_loader(load_user)  # active, and the session version still current
    app.before_request(enforce_limits)
    app.before_request(enforce_password_change)  # an admin-set password: the own one first
    app.before_request(enforce_enrolment)  # REQUIRE_2FA: enrol before anything else
