"""Login (with its second step), logout, password change, the second factor and the language switch."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from app import timeutil, transaction
from app.auth import sessions, throttle, twofactor
from app.auth.forms import EnrolConfirmForm, PasswordChangeForm, SecondFactorForm, SecondFactorOffForm
from app.auth.models import User
from app.extensions import db, limiter
from app.web.access import login_required
from app.web.redirects import safe_redirect
from forms.base import AppForm

bp = Blueprint("auth", __name__)


class LoginForm(AppForm):
    username = StringField(_l("Benutzername"), validators=[DataRequired(_l("Bitte Benutzernamen eingeben."))],
                           render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Passwort"), validators=[DataRequired(_l("Bitte Passwort eingeben."))],
                             render_kw={"autocomplete": "current-password"})


class PostForm(AppForm):
    """An empty form: gives bare POST buttons their CSRF token."""


def authenticate(username: str, password: str) -> throttle.Attempt:
    """Check a login under the per-account throttle (app/auth/throttle.py); the caller commits."""
    return throttle.attempt_login(username, password)


def login_limits(view):
    """Rate limits of a login endpoint (web and API): per client IP and per user name."""
    view = limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN_ACCOUNT"],
                         key_func=throttle.account_rate_key, methods=["POST"],
                         exempt_when=lambda: throttle.account_rate_key() == "account:")(view)
    return limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])(view)


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    form = LoginForm()
    if form.validate_on_submit():
        attempt = authenticate(form.username.data or "", form.password.data or "")
        if attempt.user is not None and attempt.user.has_second_factor:
            _await_second_step(attempt.user, request.args.get("next"))  # not logged in yet
            return redirect(url_for("auth.second_factor"))
        if attempt.user is not None:
            sessions.start_session(attempt.user)
            if twofactor.must_enrol(attempt.user):
                return redirect(url_for("auth.two_factor"))
            return safe_redirect(request.args.get("next"))
        form.password.errors = [*form.password.errors, attempt.message or ""]  # set when refused
    return render_template("auth/login.html", form=form)


# --- second step of the login ---------------------------------------------------------------

PENDING = "second_step"
SECOND_STEP_SECONDS = 300  # the code must follow the password within five minutes


def _await_second_step(user: User, next_url: str | None, carry: dict[str, str] | None = None) -> None:
    """``carry``: session values of the login method that the session gets once the code is right
    (OpenID Connect: the key of the ID token kept for the provider logout)."""
    session.clear()  # nothing of an earlier session; no login until the code is right
    session[PENDING] = {"user": user.id, "version": user.session_version,
                        "at": int(timeutil.utcnow().timestamp()), "next": next_url or "", "carry": carry or {}}


def _pending_user() -> tuple[User | None, str]:
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None, ""
    started = pending.get("at")
    if not isinstance(started, int) or timeutil.utcnow().timestamp() - started > SECOND_STEP_SECONDS:
        return None, ""
    user = db.session.get(User, pending.get("user")) if isinstance(pending.get("user"), int) else None
    if user is None or not user.active or not user.has_second_factor or user.session_version != pending.get("version"):
        return None, ""
    return user, str(pending.get("next") or "")


@bp.route("/login/zweiter-faktor", methods=["GET", "POST"])
@login_limits
def second_factor():
    user, next_url = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash(_("Bitte melden Sie sich erneut an."), "info")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        attempt = twofactor.attempt(user, form.code.data or "")
        if attempt.user is not None:
            carry = (session.get(PENDING) or {}).get("carry")
            sessions.start_session(user)
            if isinstance(carry, dict):
                session.update({k: v for k, v in carry.items() if isinstance(k, str) and isinstance(v, str)})
            return safe_redirect(next_url or None)
        transaction.keep()  # the failure counts towards the lockout
        if attempt.message == throttle.locked_message():
            session.pop(PENDING, None)  # locked: back to the start
            flash(attempt.message or "", "error")
            return redirect(url_for("auth.login"))
        form.code.errors = [*form.code.errors, attempt.message or ""]
    return render_template("auth/second_factor.html", form=form), 422 if form.errors else 200


# --- the own second factor ------------------------------------------------------------------

@bp.route("/konto/zwei-faktor", methods=["GET", "POST"])
@login_required
def two_factor():
    user = current_user._get_current_object()
    confirm, off = EnrolConfirmForm(prefix="confirm"), SecondFactorOffForm(prefix="off")
    action = request.form.get("action") if request.method == "POST" else None
    if action == "start" and not user.has_second_factor and PostForm().validate_on_submit():
        twofactor.begin_enrolment(user)
        return redirect(url_for("auth.two_factor"))
    if (action == "confirm" and user.enrolling_second_factor and not user.has_second_factor
            and confirm.validate_on_submit()):
        codes = twofactor.confirm_enrolment(user, confirm.code.data or "")
        if codes is not None:
            return _no_store(render_template("auth/two_factor.html", user=user, recovery_codes=codes,
                                             unused=len(codes), required=twofactor.required(user)))
        confirm.code.errors = [*confirm.code.errors,
                               _("Der Code passt nicht. Prüfen Sie, ob die Uhrzeit Ihres Geräts stimmt, "
                                 "und geben Sie den aktuellen Code ein.")]
    if action == "off" and user.has_second_factor and off.validate_on_submit():
        attempt = authenticate(user.username, off.password.data or "")  # throttled like a login
        if attempt.user is None:
            off.password.errors = [*off.password.errors,
                (attempt.message or "") if attempt.retry_after else _("Das Passwort ist falsch.")]
        else:
            second = twofactor.attempt(user, off.code.data or "")
            if second.user is None:
                off.code.errors = [*off.code.errors, second.message or ""]
            else:
                twofactor.remove(user, user)
                flash(_("Der zweite Faktor ist ausgeschaltet. Sie können jetzt einen neuen einrichten."), "info")
                return redirect(url_for("auth.two_factor"))
        transaction.keep()  # failed attempts count towards the lockout
    status = 422 if confirm.errors or off.errors else 200
    pending = user.totp_pending if not user.has_second_factor else None
    return _no_store(render_template(
        "auth/two_factor.html", user=user, confirm=confirm, off=off, pending=pending,
        grouped=twofactor.grouped(pending) if pending else "",
        uri=twofactor.provisioning_uri(user, pending) if pending else "",
        unused=twofactor.unused_recovery_codes(user) if user.has_second_factor else 0,
        required=twofactor.required(user), recovery_codes=None), status)


def _no_store(body: str, status: int = 200):
    """The key and the recovery codes stay out of every cache (browser history, proxies)."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


#: A login method whose provider keeps a session of its own registers ``hook(user) -> url | None``
#: under this key (OpenID Connect: the provider's end-session endpoint, app/directory/oidc.py);
#: called at logout before the session is cleared; None: the login page.
LOGOUT_REDIRECT_KEY = "fallwerk_logout_redirect"


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    target = None
    if PostForm().validate_on_submit():
        user = current_user._get_current_object()
        hook = current_app.extensions.get(LOGOUT_REDIRECT_KEY)
        target = hook(user) if hook is not None else None
        sessions.logout(user)  # also copies of this cookie
        flash(_("Sie wurden abgemeldet."), "info")
    return redirect(target or url_for("auth.login"))


@bp.route("/konto/passwort", methods=["GET", "POST"])
@login_required
def change_password():
    user = current_user._get_current_object()
    if user.auth_source != "local":  # directory accounts (app/directory): the password lives there
        flash(_("Ihr Konto kommt aus dem Verzeichnis; Ihr Passwort ändern Sie dort."), "info")
        return redirect(url_for("inbox.index"))
    required = sessions.must_change_password(user)  # an admin set it: the own one before anything else
    form = PasswordChangeForm(user.username, required=required)
    if form.validate_on_submit():
        attempt = authenticate(user.username, form.current_password.data or "")  # throttled like a login
        if attempt.user is None:
            form.current_password.errors = [*form.current_password.errors,
                (attempt.message or "") if attempt.retry_after else _("Das bisherige Passwort ist falsch.")]
        elif user.check_password(form.new_password.data or ""):  # the admin-set one again
            form.new_password.errors = [*form.new_password.errors,
                                        _("Das neue Passwort muss sich vom bisherigen unterscheiden.")]
        else:
            sessions.change_password(user, form.new_password.data or "")
            sessions.start_session(user)  # this browser stays logged in, with the new version
            if required:
                sessions.required_password_changed.send(user)  # into the account's history
                flash(_("Ihr eigenes Passwort ist gespeichert. Sie können Fallwerk jetzt nutzen."), "info")
                return safe_redirect(None)
            flash(_("Ihr Passwort wurde geändert. Ihre anderen Sitzungen und API-Tokens sind "
                    "damit beendet."), "info")
            return redirect(url_for("auth.change_password"))
    return render_template("auth/password.html", form=form, required=required)


# The admin's account pages (/admin/konten/...) are in app/useradmin/routes.py.


@bp.route("/sprache/<lang>", methods=["POST"])
def set_language(lang: str):
    if PostForm().validate_on_submit() and lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return safe_redirect(request.form.get("next"))
