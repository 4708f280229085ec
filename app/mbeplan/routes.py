"""Printable Integrationsvereinbarung of an MBE case, generated from its Förderplan."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from app.accesslog import services as accesslog
from app.accesslog.models import PLAN
from app.auth.access import get_visible_instance_or_404
from app.cases.services import case_plan_panel
from app.engine.models import FULL
from app.plans import services as plans
from app.web.access import login_required
from forms.mbe import ZIELBEREICHE, ZIELSTATUS

bp = Blueprint("mbeplan", __name__, template_folder="../templates")

MBE_KEY = "mbe_beratung"


@case_plan_panel.connect
def _plan_panel(instance) -> str | None:
    """An MBE case shows its Förderplan instead of the goals section (the living plan's own
    section once the case has goals, app/plans)."""
    if instance.version.model.key != MBE_KEY or plans.handles(instance):
        return None
    return "mbeplan/_case.html"


def plan_labels() -> dict[str, dict[str, str]]:
    return {"bereich": {k: str(v) for k, v in ZIELBEREICHE}, "status": {k: str(v) for k, v in ZIELSTATUS}}


@bp.route("/mbe/faelle/<int:instance_id>/integrationsvereinbarung")
@login_required
def vereinbarung(instance_id: int):
    instance, level = get_visible_instance_or_404(current_user, instance_id)
    if instance.version.model.key != MBE_KEY or level != FULL:
        abort(404)
    data = instance.data or {}
    if data.get("ziele"):
        plans.ensure_plan(instance)  # a plan entered before plans were kept as rows: version 1
    counsellor = getattr(instance, "responsible", None) or instance.started_by
    accesslog.case_read(current_user, instance, object_type=PLAN, object_id=instance.id)  # the printed agreement
    return render_template("mbeplan/vereinbarung.html", instance=instance, data=data,
                           counsellor=counsellor, labels=plan_labels(),
                           plan=plans.plan_summary(instance))
