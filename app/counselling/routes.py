"""Quick capture of a contact: the page is the form; one submit records it (in under a minute)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import transaction
from app.counselling import services
from app.engine import service
from app.web.access import login_required
from forms import FormContext, bind_form
from forms.beratungskontakt import ARTEN, THEMEN, BeratungskontaktForm

bp = Blueprint("counselling", __name__, template_folder="../templates")


@bp.route("/beratung/neu", methods=["GET", "POST"])
@login_required
def new():
    model = services.process_model()
    if model is None:
        abort(404)
    teams = services.capture_teams(current_user, model)
    if not teams:
        abort(403, _("Beratungskontakte erfasst nur die Koordinierungsstelle 201."))
    team = teams[0]
    ctx = FormContext(data={}, today=date.today())
    if request.method == "POST":
        form = bind_form(BeratungskontaktForm, ctx, formdata=request.form, csrf=True)
        if form.validate():
            try:
                instance = services.capture(model, current_user, team, form.to_task_data())
                follow_up = form.nachverfolgung.data
            except (service.EngineError, service.ConflictError) as exc:
                transaction.discard()
                flash(str(exc), "error")
                return _page(form, team), 422
            message = _("Kontakt erfasst (%(ref)s).", ref=instance.reference)
            if follow_up:
                message += " " + _("Die Nachverfolgung steht in den Aufgaben der Koordinierungsstelle.")
            flash(message, "success")
            return redirect(url_for("counselling.new"))
        return _page(form, team), 422
    return _page(bind_form(BeratungskontaktForm, ctx, csrf=True), team), 200


def _page(form, team):
    return render_template(
        "counselling/new.html", form=form, team=team, recent=services.recent_contacts([team.id]),
        kinds=dict(ARTEN), topics=dict(THEMEN),
    )
