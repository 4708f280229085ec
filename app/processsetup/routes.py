"""Pages of the process owner: "Neuer Prozess" and the process settings (starter teams, lanes).

Only users with the role ``prozess`` may use them (403 for everyone else).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice  # type: ignore[attr-defined]  # stubs lag WTForms 3.3

from app import transaction
from app.auth.models import ROLE_PROZESS
from app.engine.modelrules import starter_team_ids
from app.engine.models import ProcessModel
from app.extensions import db
from app.modeler import services as modeler
from app.modeler.lookup import model_or_404 as _model
from app.modeler.xmlsafe import UnsafeXml
from app.processsetup import services
from app.processsetup.forms import FROM_COPY, FROM_FILE, NewProcessForm, lane_rules_of, settings_form
from app.web.access import roles_required
from app.web.bounds import body_limit

bp = Blueprint("processsetup", __name__, template_folder="../templates")

PROCESS_OWNERS_ONLY = _l("Nur Prozessverantwortliche dürfen Prozessmodelle bearbeiten.")
process_owner_required = roles_required(ROLE_PROZESS, message=PROCESS_OWNERS_ONLY)


def _upload_limit() -> int:
    return modeler.max_bytes() + 65536


def _copyable() -> list[ProcessModel]:
    return list(db.session.scalars(select(ProcessModel).where(ProcessModel.versions.any())
                                   .order_by(ProcessModel.name)))


@bp.route("/prozessmodelle/neu", methods=["GET", "POST"])
@body_limit(_upload_limit)
@process_owner_required
def new():
    form = NewProcessForm()
    sources = {m.key: m for m in _copyable()}
    form.source.choices = [SelectChoice(k, m.name) for k, m in sources.items()]
    if form.validate_on_submit():
        name = form.name.data or ""
        key = form.key.data or services.suggest_key(name)
        try:
            model = services.create_model(key, name)
            if form.start.data == FROM_COPY:
                draft = services.start_from_copy(model, sources[form.source.data], current_user)
            elif form.start.data == FROM_FILE:
                data = form.bpmn_file.data.read(modeler.max_bytes() + 1)
                draft = services.start_from_file(model, data, form.bpmn_file.data.filename or "", current_user)
            else:
                draft = services.start_from_template(model, form.start.data, current_user)
        except services.SetupError as exc:
            transaction.discard()
            target = {"key": form.key, "name": form.name, "source": form.source}.get(exc.field, form.name)
            target.errors = [*target.errors, str(exc)]
            if exc.field == "key" and not form.key.data:
                form.key.data = key  # show the suggestion that was refused
        except UnsafeXml as exc:
            transaction.discard()
            form.bpmn_file.errors = [*form.bpmn_file.errors, str(exc)]
        else:
            flash(_("Prozess „%(name)s“ angelegt. Legen Sie jetzt fest, wer ihn starten darf und wer die "
                    "Schritte seiner Bahnen bearbeitet.", name=model.name), "success")
            if not draft.valid:
                flash(_("Der Entwurf hat noch Probleme; sie stehen im Modellierer."), "warning")
            return redirect(url_for("processsetup.settings", key=model.key))
    return render_template("processsetup/new.html", form=form), 422 if form.errors else 200


@bp.route("/prozessmodelle/<key>/einstellungen", methods=["GET", "POST"])
@process_owner_required
def settings(key: str):
    model = _model(key)
    current = services.lane_settings(model)
    teams = [(t.key, t.name) for t in services.starter_teams_offered()]
    starters = [(t.key, t.name) for t in services.starter_teams_offered()]
    names = [s.lane for s in current]
    if request.method == "GET":
        offered = services.starter_teams_offered()
        starter_ids = starter_team_ids(model.id) or {t.id for t in offered if t.department in model.departments}
        data: dict = {"starters": [t.key for t in offered if t.id in starter_ids]}
        for i, s in enumerate(current):
            data |= {f"rule_{i}": s.rule, f"team_{i}": s.team_key or "", f"field_{i}": s.field or ""}
        form = settings_form(names, teams, starters, data=data)
    else:
        form = settings_form(names, teams, starters)
    if form.validate_on_submit():
        rules, ok = lane_rules_of(form)
        if ok:
            try:
                services.save_settings(model, list(form.starters.data or []), rules)
            except services.SetupError as exc:
                transaction.discard()
                target = (form[f"team_{names.index(exc.field)}"] if exc.field in names else form.starters)
                target.errors = [*target.errors, str(exc)]
            else:
                flash(_("Einstellungen von „%(name)s“ gespeichert.", name=model.name), "success")
                drafts = modeler.open_drafts(model)
                if drafts:
                    return redirect(url_for("modeler.draft", key=key, draft_id=drafts[0].id))
                return redirect(url_for("modeler.model", key=key))
    drafts = modeler.open_drafts(model)
    return render_template("processsetup/settings.html", model=model, form=form, lanes=current,
                           draft=drafts[0] if drafts else None), 422 if form.errors else 200
