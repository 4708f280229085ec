"""The admin's account pages: the list (filters, paging), a new account, an account (edit, its
record of changes), password reset, unlock, second-factor reset, (de)activation.

Every route is for role admin only (403 for everyone else). Refusals come back as the form with
German messages next to the fields and status 422; nothing is changed (``transaction.discard``).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload

from app import timeutil, transaction
from app.auth import sessions, throttle, twofactor
from app.auth.models import ROLE_ADMIN, ROLES, Membership, Organisation, Team, User
from app.extensions import db
from app.useradmin import services
from app.useradmin.forms import GENERATE, NO_TEAM, account_form, password_reset_form
from app.web.access import roles_required
from app.web.paging import page_arg, paginate
from forms.base import AppForm

bp = Blueprint("useradmin", __name__)

PAGE_SIZE = 50
STATUS_CHOICES = ("aktiv", "deaktiviert")


class PostForm(AppForm):
    """An empty form: gives bare POST buttons their CSRF token."""


def _actor() -> User:
    return current_user._get_current_object()


def _account(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _teams() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(Team.name)))


def _organisations() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).order_by(Organisation.name)))


def _filters() -> dict[str, str]:
    args = request.args
    found = {"q": (args.get("q") or "").strip()[:100], "rolle": args.get("rolle") or "",
             "team": args.get("team") or "", "status": args.get("status") or ""}
    if found["rolle"] not in ROLES:
        found["rolle"] = ""
    if not found["team"].isdigit():
        found["team"] = ""
    if found["status"] not in STATUS_CHOICES:
        found["status"] = ""
    return found


def _back(user: User):
    """Back to the account page when the button was there, else to the list's page."""
    if request.args.get("von") == "konto":
        return redirect(url_for("useradmin.account", user_id=user.id))
    return redirect(url_for("useradmin.accounts", seite=request.args.get("seite", 1, type=int)))


@bp.route("/admin/konten")
@roles_required(ROLE_ADMIN)
def accounts():
    filters = _filters()
    query = select(User).options(selectinload(User.memberships).selectinload(Membership.team),
                                 selectinload(User.organisation))
    if filters["q"]:
        like = f"%{filters['q'].lower()}%"
        query = query.where(or_(func.lower(User.username).like(like), func.lower(User.display_name).like(like),
                                func.lower(User.email).like(like)))
    if filters["rolle"]:
        query = query.where(User.with_role(filters["rolle"]))
    if filters["team"]:
        query = query.where(exists().where(Membership.user_id == User.id, Membership.team_id == int(filters["team"])))
    if filters["status"]:
        query = query.where(User.active.is_(filters["status"] == "aktiv"))
    listing = paginate(query.order_by(User.username), page_arg(), PAGE_SIZE)
    users = listing.items
    locked = throttle.locked_accounts()
    states = throttle.states_for([u.username for u in users] + [u.username for u in locked])
    keep = {k: v for k, v in filters.items() if v}
    return render_template("useradmin/list.html", users=users, states=states, locked=locked,
                           second_factor_events=twofactor.last_events([u.id for u in users]),
                           listing=listing, page=listing.page, total=listing.total, filters=filters, keep=keep,
                           teams=_teams(), roles=ROLES, role_labels=services.ROLE_LABELS,
                           source_labels=services.SOURCE_LABELS, kind_labels=services.KIND_LABELS,
                           now=timeutil.utcnow(), aware=timeutil.aware)


def _no_store(body: str, status: int = 200):
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"  # a password on the page stays out of caches
    return response


def _refuse(form, refused: services.Refused) -> None:
    transaction.discard()
    target = getattr(form, refused.field, None)
    if target is None and refused.field == "teams" and form.team_fields:
        target = form.team_fields[0][1]
    if target is None:
        target = form.username
    target.errors = [*target.errors, refused.message]


def _data(form) -> services.AccountData:
    return services.AccountData(
        username=(form.username.data or "").strip(), display_name=(form.display_name.data or "").strip(),
        email=(form.email.data or "").strip() or None, organisation_id=form.organisation_id(),
        roles=set(form.roles.data or []), teams=form.chosen_teams())


@bp.route("/admin/konten/neu", methods=["GET", "POST"])
@roles_required(ROLE_ADMIN)
def new_account():
    form = account_form(_teams(), _organisations(), new=True)
    if form.validate_on_submit():
        password = services.generate_password() if form.password_mode.data == GENERATE else form.new_password.data
        try:
            user = services.create_account(_data(form), _actor(), password or "")
        except services.Refused as refused:
            _refuse(form, refused)
        else:
            flash(_("Das Konto %(name)s ist angelegt.", name=user.username), "info")
            if form.password_mode.data == GENERATE:
                return _no_store(render_template("useradmin/password_shown.html", user=user, password=password))
            return redirect(url_for("useradmin.account", user_id=user.id))
    return _no_store(render_template("useradmin/edit.html", form=form, user=None, directory=False,
                                     kind_labels=services.KIND_LABELS, role_labels=services.ROLE_LABELS),
                     422 if form.errors else 200)


def _prefill(user: User) -> dict:
    data = {"username": user.username, "display_name": user.display_name, "email": user.email or "",
            "organisation": str(user.organisation_id) if user.organisation_id else "", "roles": user.roles}
    kinds = {ms.team_id: ms.kind for ms in user.memberships}
    data.update({f"team_{t.id}": kinds.get(t.id, NO_TEAM) for t in _teams()})
    return data


@bp.route("/admin/konten/<int:user_id>", methods=["GET", "POST"])
@roles_required(ROLE_ADMIN)
def account(user_id: int):
    user = _account(user_id)
    directory = services.is_directory_account(user)
    form = account_form(_teams(), _organisations(), new=False,
                        data=None if request.method == "POST" else _prefill(user))
    if form.validate_on_submit():
        try:
            changed = services.update_account(user, _data(form), _actor())
        except services.Refused as refused:
            _refuse(form, refused)
        else:
            flash(_("Die Änderungen an %(name)s sind gespeichert.", name=user.username) if changed
                  else _("Es gab nichts zu ändern."), "info")
            return redirect(url_for("useradmin.account", user_id=user.id))
    state = throttle.states_for([user.username]).get(user.username)
    return render_template("useradmin/edit.html", form=form, user=user, directory=directory,
                           events=services.events_for(user), state=state,
                           kind_labels=services.KIND_LABELS, role_labels=services.ROLE_LABELS,
                           source_labels=services.SOURCE_LABELS, event_labels=services.EVENT_LABELS,
                           describe=services.describe, now=timeutil.utcnow(), aware=timeutil.aware), \
        422 if form.errors else 200


@bp.route("/admin/konten/<int:user_id>/passwort", methods=["GET", "POST"])
@roles_required(ROLE_ADMIN)
def reset_password(user_id: int):
    user = _account(user_id)
    if services.is_directory_account(user):
        abort(409, _("Dieses Konto meldet sich über das Verzeichnis an; sein Passwort wird dort verwaltet."))
    form = password_reset_form(user.username)
    if form.validate_on_submit():
        password = services.generate_password() if form.password_mode.data == GENERATE else form.new_password.data
        services.reset_password(user, _actor(), password or "")
        flash(_("Das Passwort von %(name)s ist neu gesetzt; seine Sitzungen und API-Tokens sind beendet.",
                name=user.username), "info")
        if form.password_mode.data == GENERATE:
            return _no_store(render_template("useradmin/password_shown.html", user=user, password=password))
        return redirect(url_for("useradmin.account", user_id=user.id))
    return _no_store(render_template("useradmin/password.html", form=form, user=user), 422 if form.errors else 200)


@bp.route("/admin/konten/<int:user_id>/entsperren", methods=["POST"])
@roles_required(ROLE_ADMIN)
def unlock_account(user_id: int):
    user = _account(user_id)
    if not PostForm().validate_on_submit():
        abort(400)
    if services.unlock(user, _actor()):
        flash(_("Das Konto %(name)s ist entsperrt.", name=user.username), "info")
    return _back(user)


@bp.route("/admin/konten/<int:user_id>/zwei-faktor-zuruecksetzen", methods=["POST"])
@roles_required(ROLE_ADMIN)
def reset_second_factor(user_id: int):
    """The user lost their device (and their recovery codes): the second factor is removed, their
    sessions and tokens end; they log in with the password and set up a new one."""
    user = _account(user_id)
    if not PostForm().validate_on_submit():
        abort(400)
    if user.has_second_factor or user.enrolling_second_factor:
        twofactor.remove(user, _actor(), kind="reset")
        sessions.end_all_sessions(user)
        sessions.revoke_tokens(user)
        services.record(user, _actor(), "second_factor_reset")
        flash(_("Der zweite Faktor von %(name)s ist zurückgesetzt; seine Sitzungen und API-Tokens sind beendet.",
                name=user.username), "info")
    return _back(user)


@bp.route("/admin/konten/<int:user_id>/aktiv", methods=["POST"])
@roles_required(ROLE_ADMIN)
def set_account_active(user_id: int):
    user = _account(user_id)
    if not PostForm().validate_on_submit():
        abort(400)
    active = request.args.get("aktiv") == "1"
    try:
        services.set_active(user, _actor(), active)
    except services.Refused as refused:
        abort(409, refused.message)
    flash(_("Das Konto %(name)s ist aktiviert.", name=user.username) if active else
          _("Das Konto %(name)s ist deaktiviert; seine Sitzungen und API-Tokens sind beendet.",
            name=user.username), "info")
    return _back(user)

