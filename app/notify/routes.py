"""The user's notifications, marking them read, and the admin's view of the mail outbox."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import IntegerField
from wtforms.validators import Optional
from wtforms.widgets import HiddenInput

from app.auth.models import ROLE_ADMIN
from app.notify import services
from app.notify.mailer import smtp_configured
from app.notify.menu import unread_or_none
from app.notify.models import FAILED, KIND_CRISIS, KIND_OVERDUE, KIND_TASK, PENDING, SENT
from app.web.access import login_required, roles_required
from forms.base import AppForm

bp = Blueprint("notify", __name__, template_folder="../templates")

KIND_LABELS = {KIND_TASK: _l("Neue Aufgabe"), KIND_CRISIS: _l("Krise"), KIND_OVERDUE: _l("Überfällig"),
               # volunteer features (app/volunteers/notices.py)
               "nachricht": _l("Nachricht"), "einladung": _l("Einladung"), "aufwand": _l("Aufwand"),
               "termin": _l("Termin"),  # appointment reminders (app/appointments/services.py)
               "quittiert": _l("Krise zur Kenntnis genommen"),  # app/crisis/acknowledged.py
               "freigabe": _l("Freigabe")}  # four-eyes publishing (app/modeler/approval.py)
MAIL_STATUS_LABELS = {PENDING: _l("wartet"), SENT: _l("gesendet"), FAILED: _l("fehlgeschlagen")}


class MarkReadForm(AppForm):
    """Mark one notification read (``notification`` set) or all of them (empty)."""

    notification = IntegerField(widget=HiddenInput(), validators=[Optional()])


@bp.app_context_processor
def inject_unread():
    def notify_unread() -> int | None:
        """Unread notifications of the logged-in user (None when unknown, e.g. DB down)."""
        return unread_or_none(current_user)

    return {"notify_unread": notify_unread}


@bp.route("/benachrichtigungen")
@login_required
def index():
    listing = services.list_for(current_user, request.args.get("seite", 1, type=int))
    return render_template("notify/index.html", listing=listing,
                           kind_labels=KIND_LABELS)


@bp.route("/benachrichtigungen/gelesen", methods=["POST"])
@login_required
def mark_read():
    form = MarkReadForm()
    if not form.validate_on_submit():
        abort(400)
    one = form.notification.data
    services.mark_read(current_user, [one] if one else "all")  # never touches others' notices
    if not one:
        flash(_("Alle Benachrichtigungen sind als gelesen markiert."), "info")
    return redirect(url_for("notify.index", seite=request.args.get("seite", 1, type=int)))


@bp.route("/admin/postausgang")
@roles_required(ROLE_ADMIN)
def outbox():
    listing = services.outbox_page(request.args.get("seite", 1, type=int))
    return render_template("notify/outbox.html", listing=listing, status_labels_mail=MAIL_STATUS_LABELS,
                           smtp=smtp_configured())
