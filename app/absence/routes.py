"""Entering and ending one's absence with a substitute."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.absence import services
from app.absence.forms import AbsenceForm
from app.absence.models import Absence
from app.auth.routes import PostForm
from app.extensions import db
from app.web.access import login_required

bp = Blueprint("absence", __name__, template_folder="../templates")


@bp.route("/abwesenheit", methods=["GET", "POST"])
@login_required
def index():
    colleagues = services.colleagues(current_user)
    form = AbsenceForm()
    form.substitute.choices = [(str(u.id), u.display_name) for u in colleagues]
    if not colleagues:
        form.substitute.choices = []
    if form.validate_on_submit():
        substitute = next(u for u in colleagues if str(u.id) == form.substitute.data)
        assert form.starts_on.data is not None and form.ends_on.data is not None  # InputRequired
        services.enter_absence(current_user, substitute, form.starts_on.data, form.ends_on.data,
                               form.note.data or "", current_user)
        flash(_("Abwesenheit eingetragen: %(name)s vertritt Sie.", name=substitute.display_name),
              "success")
        return redirect(url_for("absence.index"))
    return render_template("absence/index.html", form=form, absences=services.absences_of(current_user),
                           today=services.today(),
                           has_colleagues=bool(colleagues)), 422 if form.errors else 200


@bp.route("/abwesenheit/<int:absence_id>/beenden", methods=["POST"])
@login_required
def end(absence_id: int):
    absence = db.session.get(Absence, absence_id)
    if absence is None or absence.user_id != current_user.id:
        abort(404)
    if not PostForm().validate_on_submit():
        abort(400)
    services.end_absence(absence)
    flash(_("Die Vertretung ist beendet."), "success")
    return redirect(url_for("absence.index"))
