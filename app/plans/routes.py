"""Pages of the living plan (add, change, re-date, close a goal) and its case-view section."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import transaction
from app.accesslog import services as accesslog
from app.accesslog.models import PLAN
from app.auth.access import PARTNER, get_visible_instance_or_404
from app.auth.routes import PostForm
from app.cases.services import MAIN, CasePanel, case_panels, case_plan_panel
from app.engine import service
from app.engine.models import FULL
from app.extensions import db
from app.plans import services
from app.plans.forms import GOAL_FORMS, CloseGoalForm, MbeGoalForm
from app.plans.models import DROPPED, PlanGoal
from app.web.access import login_required
from forms.base import python_data
from forms.junge_erwachsene import ZIELBEREICHE as JE_BEREICHE
from forms.mbe import ZIELBEREICHE

bp = Blueprint("plans", __name__, template_folder="../templates")


@case_plan_panel.connect
def _plan_slot(instance) -> str | None:
    """The living plan is a section of its own (below); the old plan slot stays empty."""
    return "plans/_none.html" if services.handles(instance) else None


@case_panels.connect
def _plan_panel(instance, user=None, level=None, **_kwargs) -> CasePanel | None:
    if not services.handles(instance):
        return None
    if level == PARTNER and "ziele" not in getattr(level, "fields", ()):
        return None  # an invited partner reads the plan only when the consent shares it (app/partners)
    goals = services.ensure_plan(instance)
    full = level == FULL
    if not full:
        goals = [g for g in goals if g.status != DROPPED]
    kind = services.kind_of(instance)
    je = instance.version.model.key == services.JE
    ratings = {r.get("ziel"): r for r in (instance.data or {}).get("zielbewertungen") or [] if isinstance(r, dict)}
    return CasePanel("plans/_plan.html", MAIN, 90, {
        "mbe": instance.version.model.key == services.MBE, "goals": goals, "text_key": kind.text_key if kind else "",
        "version": services.version_of(instance.id), "changes": services.changes_of(instance.id) if full else [],
        "can_edit": services.can_edit(user, instance, level), "status_labels": services.STATUS_LABELS,
        "change_labels": services.CHANGE_LABELS, "je": je,
        "bereiche": {k: str(v) for k, v in (JE_BEREICHE if je else ZIELBEREICHE)},
        "ratings": ratings, "full": full,
    })


def _editable(instance_id: int):
    instance, level = get_visible_instance_or_404(current_user, instance_id)
    if services.kind_of(instance) is None:
        abort(404)
    if not services.can_edit(current_user, instance, level):
        abort(403, _("Den Plan ändert das fallverantwortliche Team."))
    return instance


def _goal(instance, goal_id: int) -> PlanGoal:
    services.ensure_plan(instance)
    goal = db.session.get(PlanGoal, goal_id)
    if goal is None or goal.instance_id != instance.id:
        abort(404)
    return goal


def _back(instance):
    return redirect(url_for("cases.view", instance_id=instance.id) + "#plan-h")


@bp.route("/faelle/<int:instance_id>/plan/ziel/neu", methods=["GET", "POST"])
@login_required
def add(instance_id: int):
    instance = _editable(instance_id)
    form_cls = GOAL_FORMS[instance.version.model.key]
    form = form_cls()
    if form.validate_on_submit():
        try:
            services.add_goal(instance, current_user, form.values(), form.notiz.data or "")
        except service.ConflictError as exc:
            transaction.discard()
            flash(str(exc), "error")
            return _back(instance)
        flash(_("Das Ziel wurde in den Plan aufgenommen."), "success")
        return _back(instance)
    return render_template("plans/goal.html", instance=instance, form=form, goal=None, title=_("Ziel hinzufügen"),
                           with_partners=form_cls is MbeGoalForm), 422 if form.errors else 200


@bp.route("/faelle/<int:instance_id>/plan/ziel/<int:goal_id>", methods=["GET", "POST"])
@login_required
def change(instance_id: int, goal_id: int):
    instance = _editable(instance_id)
    goal = _goal(instance, goal_id)
    form_cls = GOAL_FORMS[instance.version.model.key]
    form = form_cls(data=python_data(form_cls, goal.fields or {}))
    form.unchanged_frist = goal.frist
    if request.method == "GET":
        accesslog.case_read(current_user, instance, object_type=PLAN, object_id=goal.id)  # the goal's text
    if form.validate_on_submit():
        try:
            services.change_goal(instance, goal, current_user, form.values(), form.notiz.data or "")
        except services.PlanError as exc:
            transaction.discard()
            form.form_errors.append(str(exc))
            flash(str(exc), "error")
            return render_template("plans/goal.html", instance=instance, form=form, goal=goal,
                                   title=_("Ziel ändern"), with_partners=form_cls is MbeGoalForm), 422
        except service.ConflictError as exc:
            transaction.discard()
            flash(str(exc), "error")
            return _back(instance)
        flash(_("Das Ziel wurde geändert."), "success")
        return _back(instance)
    return render_template("plans/goal.html", instance=instance, form=form, goal=goal,
                           title=_("Ziel ändern"), with_partners=form_cls is MbeGoalForm), 422 if form.errors else 200


@bp.route("/faelle/<int:instance_id>/plan/ziel/<int:goal_id>/abschliessen", methods=["GET", "POST"])
@login_required
def close(instance_id: int, goal_id: int):
    instance = _editable(instance_id)
    goal = _goal(instance, goal_id)
    form = CloseGoalForm()
    form.offer(services.kind_of(instance))  # type: ignore[arg-type]
    if form.validate_on_submit():
        try:
            services.close_goal(instance, goal, current_user, form.status.data or "", form.notiz.data or "")
        except services.PlanError as exc:
            transaction.discard()
            form.status.errors = [*form.status.errors, str(exc)]
            return render_template("plans/close.html", instance=instance, form=form, goal=goal,
                                   text_key=services.kind_of(instance).text_key), 422  # type: ignore[union-attr]
        except service.ConflictError as exc:
            transaction.discard()
            flash(str(exc), "error")
            return _back(instance)
        flash(_("Das Ziel wurde abgeschlossen."), "success")
        return _back(instance)
    return render_template("plans/close.html", instance=instance, form=form, goal=goal,
                           text_key=services.kind_of(instance).text_key), (  # type: ignore[union-attr]
        422 if form.errors else 200)


@bp.route("/faelle/<int:instance_id>/plan/ziel/<int:goal_id>/oeffnen", methods=["POST"])
@login_required
def reopen(instance_id: int, goal_id: int):
    """A goal closed too early (or no longer pursued by mistake) is taken up again."""
    instance = _editable(instance_id)
    goal = _goal(instance, goal_id)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        services.reopen_goal(instance, goal, current_user)
    except (services.PlanError, service.ConflictError) as exc:
        transaction.discard()
        flash(str(exc), "error")
        return _back(instance)
    flash(_("Das Ziel ist wieder offen."), "success")
    return _back(instance)
