"""The volunteer's own profile: see everything, correct languages, hours and places."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.models import ROLE_EHRENAMT
from app.extensions import db
from app.volunteers import services
from app.volunteers.forms import ProfileForm, join_list, split_list
from app.volunteers.matching import status_label
from forms.base import json_plain

bp = Blueprint("volunteers", __name__, template_folder="../templates")


@bp.route("/ehrenamt/profil", methods=["GET", "POST"])
@login_required
def profile():
    if not current_user.has_role(ROLE_EHRENAMT):
        abort(403, _("Diese Seite ist nur für Ehrenamtliche."))
    data = current_user.profile or {}
    form = ProfileForm(data={"sprachen": join_list(data.get("sprachen")),
                             "stunden_pro_woche": data.get("stunden_pro_woche"),
                             "orte": join_list(data.get("orte"))})
    if form.validate_on_submit():
        services.update_profile(current_user, split_list(form.sprachen.data),
                                json_plain(form.stunden_pro_woche.data), split_list(form.orte.data))
        db.session.commit()
        flash(_("Ihr Profil wurde gespeichert."), "success")
        return redirect(url_for("volunteers.profile"))
    return render_template("volunteers/profile.html", form=form, profile=data,
                           status_label=status_label), 422 if form.errors else 200
