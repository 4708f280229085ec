"""Login, logout and the language switch."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from app.auth.models import User
from app.extensions import db, limiter

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(_l("Benutzername"), validators=[DataRequired(_l("Bitte Benutzernamen eingeben."))],
                           render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Passwort"), validators=[DataRequired(_l("Bitte Passwort eingeben."))],
                             render_kw={"autocomplete": "current-password"})


class PostForm(FlaskForm):
    """An empty form: gives bare POST buttons their CSRF token."""


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.active or not user.check_password(password):
        return None
    return user


def safe_next(target: str | None) -> str:
    if target and not urlparse(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("inbox.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            session.clear()
            login_user(user)
            session.permanent = True
            return redirect(safe_next(request.args.get("next")))
        form.password.errors.append(_("Benutzername oder Passwort ist falsch."))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    if PostForm().validate_on_submit():
        logout_user()
        session.clear()
        flash(_("Sie wurden abgemeldet."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/sprache/<lang>", methods=["POST"])
def set_language(lang: str):
    if PostForm().validate_on_submit() and lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next")))
