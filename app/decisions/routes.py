"""Process owners see and edit decision tables (thresholds) in the browser."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import Length, Optional

from app import transaction
from app.auth.models import ROLE_PROZESS
from app.decisions import services
from app.web.access import roles_required
from forms.base import AppForm

bp = Blueprint("decisions", __name__, template_folder="../templates")


class SaveForm(AppForm):
    kommentar = StringField(_l("Kommentar zur Änderung"), [Optional(), Length(max=500)])


process_owner_required = roles_required(
    ROLE_PROZESS, message=_l("Nur Prozessverantwortliche dürfen Entscheidungstabellen ansehen und ändern."))


@bp.route("/entscheidungen")
@process_owner_required
def index():
    return render_template("decisions/index.html", tables=services.current_tables())


@bp.route("/entscheidungen/<decision_id>", methods=["GET", "POST"])
@process_owner_required
def edit(decision_id: str):
    table = services.current(decision_id)
    if table is None:
        abort(404)
    view = services.read_table(table.dmn_xml)
    form = SaveForm()
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        entry_ids = [c.id for r in view.rules for c in (*r.inputs, *r.outputs)]
        values = {eid: request.form.get(f"cell-{eid}", "") for eid in entry_ids
                  if f"cell-{eid}" in request.form}
        if form.validate_on_submit():
            try:
                saved, errors = services.save_edits(table, values, current_user, form.kommentar.data or "")
            except services.DecisionError as exc:
                transaction.discard()
                flash(str(exc), "error")
                saved, errors = None, {"_": str(exc)}
            if not errors:
                if saved is None:
                    flash(_("Keine Änderung – es wurde keine neue Version gespeichert."), "info")
                else:
                    flash(_("Version %(n)d der Entscheidungstabelle gespeichert. Neue Prüfungen verwenden sie.",
                            n=saved.number), "success")
                return redirect(url_for("decisions.edit", decision_id=decision_id))
        status = 422
    return render_template("decisions/edit.html", table=table, view=view, form=form, errors=errors,
                           values=values, versions=services.versions(decision_id)), status
