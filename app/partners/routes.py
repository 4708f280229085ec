"""Pages: the case view's partner section, inviting and ending, a partner's part of a goal, and
the withdrawal of a junge_erwachsene consent."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice  # type: ignore[attr-defined]  # stubs lag WTForms 3.3

from app import transaction
from app.accesslog.models import TASK, VIEW
from app.accesslog.services import record
from app.auth.access import PARTNER, get_task_or_404, get_visible_instance_or_404
from app.auth.models import User
from app.auth.routes import PostForm
from app.cases.services import HISTORY, MAIN, CasePanel, case_panels
from app.engine import service
from app.engine.models import ACTIVE_TASK_STATES, ProcessInstance
from app.extensions import db
from app.partners import demo as _demo  # noqa: F401  # demo invitations on `flask demo load`
from app.partners import services
from app.partners.forms import InviteForm, PartForm, WithdrawForm
from app.web.access import login_required

bp = Blueprint("partners", __name__, template_folder="../templates")


@case_panels.connect
def _partner_panel(instance, user=None, level=None, **_kwargs) -> CasePanel | None:
    """For the owning team: invited partners, the consent, the partners' parts. For an invited
    partner: the categories they read and their own parts."""
    if user is None or not services.is_je_case(instance):
        return None
    if services.may_manage(user, instance, level):
        invitations = [{"invitation": inv, "shared": services.shared_categories(inv, instance, inv.user)}
                       for inv in services.invitations_of(instance.id)]
        return CasePanel("partners/_panel.html", MAIN, 85, {
            "manage": True, "invitations": invitations, "parts": services.parts_of(instance.id),
            "gap": services.consent_gap(instance.data, "", []),
            "consented": [services.category_label(c) for c in services.consented_categories(instance.data)],
            "category_label": services.category_label, "type_label": services.type_label,
            "status_labels": {k: str(v) for k, v in services.PART_STATUS}, "form": PostForm()})
    if level == PARTNER:
        invitation = services.invitation_of(instance.id, user.id)
        shared = services.shared_categories(invitation, instance, user) if invitation else []
        return CasePanel("partners/_panel.html", HISTORY, 20, {
            "manage": False, "shared": [services.category_label(c) for c in shared or []],
            "parts": services.parts_of(instance.id, user),
            "status_labels": {k: str(v) for k, v in services.PART_STATUS}})
    return None


def _managed_case(instance_id: int) -> ProcessInstance:
    instance, level = get_visible_instance_or_404(current_user, instance_id)
    if not services.is_je_case(instance):
        abort(404)
    if not services.may_manage(current_user, instance, level):
        abort(403, _("Partner lädt das fallverantwortliche Team ein."))
    return instance


@bp.route("/faelle/<int:instance_id>/partner", methods=["GET", "POST"])
@login_required
def invite(instance_id: int):
    instance = _managed_case(instance_id)
    form = InviteForm()
    users = services.invitable_users()
    form.username.choices = [SelectChoice("", _("– bitte wählen –"))] + [
        SelectChoice(u.username, f"{u.display_name} ({services.type_label(services.partner_type(u))})")
        for u in users]
    if form.validate_on_submit():
        partner = db.session.scalar(select(User).where(User.username == form.username.data))
        try:
            services.invite(instance, current_user, partner, list(form.kategorien.data or []))
        except services.InvitationError as exc:
            transaction.discard()
            target = form.username if exc.field == "username" else form.kategorien
            target.errors = [*target.errors, exc.message]
        else:
            flash(_("%(name)s ist eingeladen.", name=partner.display_name if partner else ""), "success")
            return redirect(url_for("cases.view", instance_id=instance.id) + "#beteiligte-partner")
    return render_template("partners/invite.html", instance=instance, form=form,
                           gap=services.consent_gap(instance.data, "", []),
                           consented=[services.category_label(c)
                                      for c in services.consented_categories(instance.data)]), \
        422 if form.errors else 200


@bp.post("/faelle/<int:instance_id>/partner/<username>/beenden")
@login_required
def end(instance_id: int, username: str):
    instance = _managed_case(instance_id)
    if not PostForm().validate_on_submit():
        abort(400)
    partner = db.session.scalar(select(User).where(User.username == username))
    if partner is None or services.invitation_of(instance.id, partner.id) is None:
        abort(404)
    services.end(instance, current_user, partner)
    flash(_("Die Einladung von %(name)s ist beendet.", name=partner.display_name), "success")
    return redirect(url_for("cases.view", instance_id=instance.id) + "#beteiligte-partner")


@bp.route("/aufgaben/<int:task_id>/beitrag", methods=["GET", "POST"])
@login_required
def part(task_id: int):
    """The partner's part of a plan goal assigned to them (what was done, status)."""
    task = get_task_or_404(current_user, task_id)
    if not (task.context or {}).get("partner_goal"):
        abort(404)
    if task.assignee_id != current_user.id or task.status not in ACTIVE_TASK_STATES:
        abort(403, _("Diese Aufgabe ist Ihnen nicht zugewiesen oder bereits erledigt."))
    record(current_user, VIEW, TASK, task.id, case_id=task.instance_id)
    form = PartForm()
    if form.validate_on_submit():
        try:
            services.record_part(task, current_user, form.beitrag.data or "", form.stand.data or "")
        except service.ConflictError as exc:
            transaction.discard()
            flash(str(exc), "error")
            return redirect(url_for("inbox.index"))
        flash(_("Ihr Beitrag ist festgehalten."), "success")
        return redirect(url_for("inbox.index"))
    return render_template("partners/part.html", task=task, form=form,
                           goal=(services.partner_goal(task) or None)), 422 if form.errors else 200


@bp.route("/faelle/<int:instance_id>/einwilligung-widerrufen", methods=["GET", "POST"])
@login_required
def withdraw(instance_id: int):
    instance = _managed_case(instance_id)
    form = WithdrawForm()
    if form.validate_on_submit() and form.widerrufen_am.data > services.today():
        form.widerrufen_am.errors = [*form.widerrufen_am.errors,
                                     _("Das Datum des Widerrufs darf nicht in der Zukunft liegen.")]
    elif form.validate_on_submit():
        services.withdraw_consent(instance, current_user, form.widerrufen_am.data, form.notiz.data or "")
        flash(_("Der Widerruf ist erfasst: Die personenbezogenen Daten des Falls sind gelöscht, "
                "Partner haben keinen Zugriff mehr."), "success")
        return redirect(url_for("cases.view", instance_id=instance.id))
    return render_template("partners/withdraw.html", instance=instance, form=form), 422 if form.errors else 200
