"""Pages of four-eyes publishing: the approval page of a submitted draft (diff against the live
version, comment, validation, Freigeben / Ablehnen), rejection with a reason, and the model's
four-eyes setting. Only process owners (403 for everyone else)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import RadioField, SelectChoice, TextAreaField  # type: ignore[attr-defined]  # stubs lag WTForms 3.3
from wtforms.validators import DataRequired, InputRequired, Length

from app import transaction
from app.auth.models import ROLE_PROZESS
from app.engine.models import ProcessModel
from app.engine.service import latest_version
from app.modeler import approval, services
from app.modeler.diff import diff_versions
from app.modeler.lookup import draft_or_404 as _draft
from app.modeler.lookup import model_or_404 as _model
from app.modeler.models import SUBMITTED, ProcessDraft
from app.web.access import roles_required
from forms.base import AppForm

bp = Blueprint("modeler_approval", __name__, template_folder="../templates")
process_owner_required = roles_required(ROLE_PROZESS)

SETTING_VALUES = {"vorgabe": None, "an": True, "aus": False}


class RejectForm(AppForm):
    reason = TextAreaField(_l("Grund der Ablehnung"),
                           [DataRequired(_l("Bitte geben Sie einen Grund für die Ablehnung an.")),
                            Length(max=approval.REASON_MAX)],
                           description=_l("Die Person, die den Entwurf vorgelegt hat, sieht den Grund "
                                          "und kann den Entwurf überarbeiten."))


class FourEyesForm(AppForm):
    regel = RadioField(_l("Vier-Augen-Prinzip für dieses Prozessmodell"),
                       [InputRequired(_l("Bitte eine Einstellung wählen."))],
                       choices=[SelectChoice("vorgabe", _l("Vorgabe der Installation")),
                                SelectChoice("an", _l("An: jede Veröffentlichung braucht die Freigabe einer zweiten "
                                                      "prozessverantwortlichen Person")),
                                SelectChoice("aus", _l("Aus: Prozessverantwortliche veröffentlichen allein"))])


def _setting_value(model: ProcessModel) -> str:
    return {None: "vorgabe", True: "an", False: "aus"}[model.four_eyes]


@bp.app_context_processor
def inject_four_eyes():
    """For the modeler's model and draft pages (templates/modeler/_four_eyes*.html)."""
    def four_eyes_of(model: ProcessModel) -> dict:
        return {"effective": services.four_eyes(model), "default": services.four_eyes(None),
                "form": FourEyesForm(formdata=None, regel=_setting_value(model)),
                "last": approval.last_setting_change(model)}

    def approval_state_of(draft: ProcessDraft) -> dict:
        return {"rejection": approval.last_rejection(draft)}

    return {"four_eyes_of": four_eyes_of, "approval_state_of": approval_state_of}


def _page(model: ProcessModel, draft: ProcessDraft, reject: RejectForm | None = None, status: int = 200):
    live = latest_version(model)
    diff = diff_versions(live.bpmn_xml, draft.bpmn_xml, model.key) if live is not None else None
    may_decide = draft.status == SUBMITTED and draft.submitted_by_id != current_user.id
    return render_template("modeler/approval.html", model=model, draft=draft, live=live, diff=diff,
                           may_decide=may_decide, reject=reject or RejectForm(),
                           history=approval.history(model, draft), event_labels=approval.EVENT_LABELS), status


@bp.get("/prozessmodelle/<key>/entwuerfe/<int:draft_id>/freigabe")
@process_owner_required
def page(key: str, draft_id: int):
    model = _model(key)
    return _page(model, _draft(model, draft_id))


@bp.post("/prozessmodelle/<key>/entwuerfe/<int:draft_id>/ablehnen")
@process_owner_required
def reject(key: str, draft_id: int):
    model = _model(key)
    draft = _draft(model, draft_id)
    form = RejectForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _page(model, draft, reject=form, status=422)
    author = draft.submitted_by
    try:
        approval.reject(draft, current_user, form.reason.data or "")
    except services.NotAllowed as exc:
        transaction.discard()
        abort(403, str(exc))
    except services.ModelerError as exc:
        transaction.discard()
        flash(str(exc), "error")
        return _page(model, _draft(model, draft_id), status=409)
    flash(_("Abgelehnt: der Entwurf geht mit Ihrer Begründung an %(name)s zurück.",
            name=author.display_name if author else "–"), "success")
    return redirect(url_for("modeler.model", key=key))


@bp.post("/prozessmodelle/<key>/vier-augen")
@process_owner_required
def setting(key: str):
    model = _model(key)
    form = FourEyesForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        flash(_("Bitte eine Einstellung wählen."), "error")
        return redirect(url_for("modeler.model", key=key) + "#vier-augen")
    changed = approval.set_four_eyes(model, SETTING_VALUES[form.regel.data or "vorgabe"], current_user)
    if not changed:
        flash(_("Einstellung gespeichert; die Regel bleibt gleich."), "success")
    elif services.four_eyes(model):
        flash(_("Vier-Augen-Prinzip ist jetzt an: jede Veröffentlichung braucht eine Freigabe."), "success")
    else:
        flash(_("Vier-Augen-Prinzip ist jetzt aus. Die Änderung ist mit Ihrem Namen vermerkt; "
                "die anderen Prozessverantwortlichen wurden benachrichtigt."), "success")
    return redirect(url_for("modeler.model", key=key) + "#vier-augen")

