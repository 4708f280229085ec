"""Process owners edit decision tables in the browser: drafts, test cases, publishing (four-eyes).

The editor works without JavaScript: every button posts the whole table; structural buttons
(add, remove, move) show the changed table again without storing it, "Entwurf speichern"
validates everything at once and stores the draft. The engine only ever uses published versions.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app import transaction
from app.auth.models import ROLE_PROZESS
from app.decisions import services
from app.decisions import table as table_model
from app.decisions.models import SUBMITTED
from app.web.access import roles_required
from forms.base import AppForm

bp = Blueprint("decisions", __name__, template_folder="../templates")


class SaveForm(AppForm):
    kommentar = StringField(_l("Kommentar zur Änderung"), [Optional(), Length(max=500)])


class RejectForm(AppForm):
    begruendung = TextAreaField(_l("Begründung der Ablehnung"), [
        DataRequired(message=_l("Bitte begründen Sie die Ablehnung.")), Length(max=1000)])


process_owner_required = roles_required(
    ROLE_PROZESS, message=_l("Nur Prozessverantwortliche dürfen Entscheidungstabellen ansehen und ändern."))

HIT_POLICY_LABELS = {
    "UNIQUE": _l("Eindeutig (UNIQUE): höchstens eine Regel soll zutreffen; es gilt die erste zutreffende"),
    "FIRST": _l("Erste Regel (FIRST): die erste zutreffende Regel von oben gilt"),
    "COLLECT": _l("Sammeln (COLLECT): alle zutreffenden Regeln; das Ergebnis ist eine Liste"),
}


@bp.route("/entscheidungen")
@process_owner_required
def index():
    tables = services.current_tables()
    drafts = {t.decision_id: services.open_draft(t.decision_id) for t in tables}
    return render_template("decisions/index.html", tables=tables, drafts=drafts)


def _table_or_404(decision_id: str):
    table = services.current(decision_id)
    if table is None:
        abort(404)
    return table


def _editor(table, model, *, errors=None, data=None, status=200, unsaved=False, publish_problems=None,
            form=None):
    draft = services.open_draft(table.decision_id)
    base = services.model_of(table)
    results = services.run_tests(model) if model.tests and not errors else []
    return render_template(
        "decisions/edit.html", table=table, model=model, draft=draft, form=form or SaveForm(),
        data=data if data is not None else table_model.form_data(model), errors=errors or {},
        labels=table_model.field_labels(model), results=results, unsaved=unsaved,
        publish_problems=publish_problems or [], changes=table_model.diff(base, model) if draft else [],
        hit_policies=HIT_POLICY_LABELS, four_eyes=services.four_eyes(table.decision_id),
        version_rows=services.version_rows(table.decision_id), submitted=SUBMITTED,
    ), status


@bp.route("/entscheidungen/<decision_id>", methods=["GET", "POST"])
@process_owner_required
def edit(decision_id: str):
    table = _table_or_404(decision_id)
    if request.method == "GET":
        draft = services.open_draft(decision_id)
        model = services.draft_model(draft) if draft else services.model_of(table)
        return _editor(table, model)
    form = SaveForm()
    model = table_model.from_form(decision_id, request.form)
    action = request.form.get("aktion", "speichern")
    if action == "pruefen":  # run the test cases of the posted table without storing it
        problems = services.validate(model)
        return _editor(table, model, errors=problems, unsaved=True, form=form, status=422 if problems else 200)
    if action != "speichern":
        if not table_model.apply_action(model, action):
            abort(400)
        return _editor(table, model, unsaved=True, form=form)
    errors: dict[str, str] = {}
    if not form.validate_on_submit():
        errors["kommentar"] = "; ".join(str(e) for e in form.kommentar.errors) or _("Bitte erneut absenden.")
    else:
        draft, errors = services.save_draft(table, model, current_user, form.kommentar.data or "")
        if not errors:
            if draft is None:
                flash(_("Keine Änderung – es wurde kein Entwurf gespeichert."), "info")
            else:
                flash(_("Entwurf gespeichert. Er gilt erst, wenn er veröffentlicht ist."), "success")
            return redirect(url_for("decisions.edit", decision_id=decision_id))
    transaction.discard()
    return _editor(table, model, errors=errors, data=table_model.form_data(model), status=422, form=form)


@bp.post("/entscheidungen/<decision_id>/veroeffentlichen")
@process_owner_required
def publish(decision_id: str):
    table = _table_or_404(decision_id)
    draft = services.open_draft(decision_id)
    if draft is None:
        flash(_("Es gibt keinen Entwurf zum Veröffentlichen."), "info")
        return redirect(url_for("decisions.edit", decision_id=decision_id))
    try:
        version = services.publish(draft, current_user)
    except services.PublishRefused as exc:
        transaction.discard()
        return _editor(table, services.draft_model(draft), status=422, publish_problems=exc.problems)
    if version is None:
        flash(_("Der Entwurf wurde zur Freigabe eingereicht. Eine zweite prozessverantwortliche Person muss "
                "ihn freigeben."), "success")
    else:
        flash(_("Version %(n)d der Entscheidungstabelle veröffentlicht. Neue Prüfungen verwenden sie.",
                n=version.number), "success")
    return redirect(url_for("decisions.edit", decision_id=decision_id))


@bp.post("/entscheidungen/<decision_id>/verwerfen")
@process_owner_required
def discard(decision_id: str):
    _table_or_404(decision_id)
    draft = services.open_draft(decision_id)
    if draft is not None:
        services.discard(draft, current_user)
        flash(_("Der Entwurf wurde verworfen."), "success")
    return redirect(url_for("decisions.edit", decision_id=decision_id))


def _review(table, draft, *, form=None, problems=None, status=200):
    model = services.draft_model(draft)
    return render_template(
        "decisions/review.html", table=table, draft=draft, model=model, form=form or RejectForm(),
        changes=table_model.diff(services.model_of(table), model), results=services.run_tests(model),
        may_decide=services.may_decide(draft, current_user), problems=problems or [],
        hit_policies=HIT_POLICY_LABELS,
    ), status


@bp.route("/entscheidungen/<decision_id>/freigabe", methods=["GET", "POST"])
@process_owner_required
def review(decision_id: str):
    table = _table_or_404(decision_id)
    draft = services.open_draft(decision_id)
    if draft is None or draft.status != SUBMITTED:
        abort(404)
    if request.method == "GET":
        return _review(table, draft)
    if not services.may_decide(draft, current_user):
        abort(403, _("Wer einen Entwurf geschrieben oder eingereicht hat, kann ihn nicht selbst freigeben."))
    form = RejectForm()
    if request.form.get("entscheidung") == "ablehnen":
        if not form.validate_on_submit():
            transaction.discard()
            return _review(table, draft, form=form, status=422)
        services.reject(draft, current_user, form.begruendung.data or "")
        flash(_("Der Entwurf wurde abgelehnt und geht mit Ihrer Begründung an die Autorin bzw. den Autor zurück."),
              "success")
        return redirect(url_for("decisions.index"))
    try:
        version = services.approve(draft, current_user)
    except services.PublishRefused as exc:
        transaction.discard()
        return _review(table, draft, problems=exc.problems, status=422)
    flash(_("Freigegeben: Version %(n)d der Entscheidungstabelle ist veröffentlicht.", n=version.number), "success")
    return redirect(url_for("decisions.edit", decision_id=decision_id))
