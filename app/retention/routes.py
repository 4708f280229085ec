"""Pages of retention: the case view's section, the legal-hold page, the upcoming erasures of
supervisors and the data protection officer, and the process owner's period of a process model.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app import transaction
from app.auth.access import access_level
from app.auth.models import ROLE_DATENSCHUTZ, ROLE_LEITUNG, ROLE_PROZESS
from app.auth.routes import PostForm
from app.cases.services import MAIN, CasePanel, case_panels
from app.engine.models import FULL, ProcessInstance, ProcessModel
from app.extensions import db
from app.retention import services
from app.retention.forms import HoldForm, PeriodForm
from app.web.access import login_required, roles_required

bp = Blueprint("retention", __name__, template_folder="../templates")

HOLD_PREFIX = "sperre"
UPCOMING_ROLES = (ROLE_LEITUNG, ROLE_DATENSCHUTZ)
UPCOMING_ONLY = _l("Anstehende Löschungen sehen nur die Leitung und Datenschutzbeauftragte.")
PROCESS_OWNERS_ONLY = _l("Die Aufbewahrungsfrist legen Prozessverantwortliche fest.")


# --- the case view's section -----------------------------------------------------------------

@case_panels.connect
def _retention_panel(instance, user=None, level=None, **_kw) -> CasePanel | None:
    """Retention date and legal hold, for readers with full access; the hold forms for those who
    may decide (``services.may_hold``)."""
    if user is None or level != FULL:
        return None
    return CasePanel("retention/_panel.html", MAIN, 95, {
        "retention": services.case_retention(instance), "may_hold": services.may_hold(user, instance),
        "form": HoldForm(prefix=HOLD_PREFIX)})


# --- legal hold --------------------------------------------------------------------------------

def _hold_case_or_abort(instance_id: int) -> ProcessInstance:
    instance, status = services.hold_access(current_user, instance_id)
    if instance is None:
        abort(status, _("Über die Löschsperre entscheiden die Leitung des Teams und Datenschutzbeauftragte.")
              if status == 403 else None)
    return instance


def _back(instance: ProcessInstance):
    """To the case view for readers of the case, else (the data protection officer) the hold page."""
    if access_level(current_user, instance) is not None:
        return redirect(url_for("cases.view", instance_id=instance.id))
    return redirect(url_for("retention.hold", instance_id=instance.id))


@bp.route("/faelle/<int:instance_id>/loeschsperre", methods=["GET", "POST"])
@login_required
def hold(instance_id: int):
    """Set a legal hold (reason required). The page shows no case content, only the reference,
    the process and the dates, so the data protection officer may use it."""
    instance = _hold_case_or_abort(instance_id)
    form = HoldForm(prefix=HOLD_PREFIX)
    if form.validate_on_submit():
        try:
            services.set_hold(instance, current_user, form.grund.data or "")
        except services.HoldError as exc:
            transaction.discard()
            flash(exc.message, "error")
            return redirect(url_for("retention.hold", instance_id=instance_id))
        flash(_("Die Löschsperre ist gesetzt: Der Fall wird nicht gelöscht, bis sie aufgehoben wird."), "success")
        return _back(instance)
    return render_template("retention/hold.html", instance=instance, form=form,
                           retention=services.case_retention(instance),
                           can_view=access_level(current_user, instance) is not None), 422 if form.errors else 200


@bp.post("/faelle/<int:instance_id>/loeschsperre/aufheben")
@login_required
def release(instance_id: int):
    instance = _hold_case_or_abort(instance_id)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        services.release_hold(instance, current_user)
    except services.HoldError as exc:
        transaction.discard()
        flash(exc.message, "error")
        return redirect(url_for("retention.hold", instance_id=instance_id))
    flash(_("Die Löschsperre ist aufgehoben. Ist die Aufbewahrungsfrist abgelaufen, wird der Fall beim nächsten "
            "Löschlauf gelöscht."), "success")
    return _back(instance)


# --- upcoming erasures -------------------------------------------------------------------------

@bp.route("/leitung/loeschungen")
@roles_required(*UPCOMING_ROLES, message=UPCOMING_ONLY)
def upcoming():
    dpo = current_user.has_role(ROLE_DATENSCHUTZ)
    return render_template("retention/upcoming.html", rows=services.upcoming(current_user), dpo=dpo,
                           days=services.AHEAD_DAYS, last_run=services.last_run())


# --- the process owner's period ----------------------------------------------------------------

def _model_or_404(key: str) -> ProcessModel:
    model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == key))
    if model is None:
        abort(404)
    return model


@bp.route("/prozessmodelle/<key>/aufbewahrung", methods=["GET", "POST"])
@roles_required(ROLE_PROZESS, message=PROCESS_OWNERS_ONLY)
def period(key: str):
    model = _model_or_404(key)
    current = services.period_of(model)
    form = PeriodForm()
    if request.method == "GET":
        form.monate.data = current.months
    if form.validate_on_submit():
        services.set_period(model, form.monate.data, current_user)
        flash(_("Die Aufbewahrungsfrist von „%(name)s“ beträgt jetzt %(n)s Monate nach Abschluss.",
                name=model.name, n=form.monate.data), "success")
        return redirect(url_for("modeler.model", key=key))
    return render_template("retention/period.html", model=model, period=current, form=form), \
        422 if form.errors else 200


@bp.post("/prozessmodelle/<key>/aufbewahrung/vorgabe")
@roles_required(ROLE_PROZESS, message=PROCESS_OWNERS_ONLY)
def period_default(key: str):
    model = _model_or_404(key)
    if not PostForm().validate_on_submit():
        abort(400)
    services.set_period(model, None, current_user)
    flash(_("Für „%(name)s“ gilt wieder die vorgegebene Aufbewahrungsfrist.", name=model.name), "success")
    return redirect(url_for("modeler.model", key=key))


@bp.app_context_processor
def inject_retention():
    """The modeler's model page shows the period with its form (retention/_model_section.html)."""
    def retention_of(model: ProcessModel):
        period = services.period_of(model)
        return period, PeriodForm(formdata=None, data={"monate": period.months})

    return {"retention_of": retention_of}
