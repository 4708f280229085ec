"""Case list, starting a case, and the case view."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, SelectField
from wtforms.validators import DataRequired

from app import transaction
from app.accesslog import services as accesslog
from app.accesslog.models import CASE
from app.auth.access import (
    PARTNER,
    can_work_on,
    data_level,
    get_visible_instance_or_404,
    startable_teams,
)
from app.cases import access_panel as _access_panel  # noqa: F401 - the case panel of reads
from app.cases import history, services
from app.cases import withdraw as withdrawal
from app.crisis import services as crisis
from app.engine import service
from app.engine.models import FULL, RUNNING, CaseEvent, ProcessModel
from app.erasure import services as erasure
from app.extensions import db
from app.timeutil import aware, utcnow
from app.web.access import login_required
from app.web.paging import page_arg
from forms import KriseMeldenForm
from forms.base import AppForm, parse_iso_date

bp = Blueprint("cases", __name__, template_folder="../templates")


class StartForm(AppForm):
    verfahren = SelectField(_l("Verfahren"), validators=[DataRequired(_l("Bitte ein Verfahren wählen."))])
    team = SelectField(_l("Anfragendes Team (Fallverantwortung)"),
                       validators=[DataRequired(_l("Bitte ein Team wählen."))])


def startable(user) -> list[tuple[ProcessModel, list]]:
    models = db.session.scalars(
        select(ProcessModel).where(ProcessModel.versions.any()).order_by(ProcessModel.name)
    ).all()
    result = []
    for model in models:
        teams = startable_teams(user, model)
        if teams:
            result.append((model, teams))
    return result


@bp.route("/faelle")
@login_required
def index():
    status = request.args.get("status") or None
    sort = request.args.get("sort", "started")
    sort = sort if sort in services.CASE_SORTS else "started"
    descending = request.args.get("richtung", "ab" if sort == "started" else "auf") == "ab"
    listing = services.case_list(current_user, status=status, sort=sort, descending=descending,
                                 page=page_arg())
    accesslog.list_read(current_user, CASE)
    return render_template("cases/index.html", listing=listing, status=status, sort=sort, descending=descending,
                           keep={"status": status} if status else {}, now=utcnow(), aware=aware,
                           can_start=bool(startable(current_user)))


@bp.route("/faelle/neu", methods=["GET", "POST"])
@login_required
def new():
    options = startable(current_user)
    if not options:
        abort(403, _("Sie dürfen dieses Verfahren nicht starten."))
    form = StartForm()
    form.verfahren.choices = [(m.key, m.name) for m, _teams in options]
    teams = {t.key: t for _m, ts in options for t in ts}
    form.team.choices = [(t.key, t.name) for t in teams.values()]
    if request.method == "GET" and all(m.confidential for m, _teams in options):
        # MBE counsellors look the client up first, so that nobody gets a second record
        return redirect(url_for("mbe.client_search"))
    if request.method == "GET":  # one possible answer needs no choosing
        for field in (form.verfahren, form.team):
            if isinstance(field.choices, list) and len(field.choices) == 1:
                field.data = field.choices[0][0]
    if form.validate_on_submit():
        model = next(m for m, _t in options if m.key == form.verfahren.data)
        team = teams[form.team.data]
        if team not in dict(options)[model]:
            form.team.errors = [*form.team.errors, _("Dieses Team darf das Verfahren nicht starten.")]
        else:
            try:
                instance = service.start_instance(model, current_user, team)
                first = next((t for t in instance.tasks if can_work_on(current_user, t)), None)
                target = (url_for("inbox.task_page", task_id=first.id) if first is not None
                          else url_for("cases.view", instance_id=instance.id))
                reference = instance.reference
            except service.EngineError as exc:
                transaction.discard()
                flash(str(exc), "error")
                return render_template("cases/new.html", form=form), 422
            flash(_("Fall %(ref)s angelegt.", ref=reference), "success")
            return redirect(target)
    return render_template("cases/new.html", form=form), 422 if form.errors else 200


@bp.route("/faelle/<int:instance_id>")
@login_required
def view(instance_id: int):
    instance, level = get_visible_instance_or_404(current_user, instance_id)
    process_key = instance.version.model.key
    reading = data_level(current_user, instance) or level  # a substitute: without contact data
    accesslog.case_read(current_user, instance, level=reading)  # also covers the journal section
    data = services.visible_data(instance.data, reading, process_key)
    open_tasks = services.open_tasks_for(instance, current_user, level)
    # each entry labelled by its own form, values formatted, limited fields filtered first
    volunteers = {"ehrenamtliche": services.choice_labels().get("ehrenamtliche", {})}
    query = select(CaseEvent).where(CaseEvent.instance_id == instance.id)
    if level != FULL:  # a volunteer reads the steps of the case, not the staff's notes on it
        query = query.where(CaseEvent.kind.in_(history.LIMITED_KINDS))
    events = [history.entry(e, services.visible_data(e.data, reading, process_key), volunteers)
              for e in db.session.scalars(
                  query.options(selectinload(CaseEvent.task), selectinload(CaseEvent.actor)).order_by(CaseEvent.id))]
    if level == PARTNER:  # an invited partner: only the entries that show data of a shared category
        events = [e for e in events if e.data]
    return render_template(
        "cases/view.html", instance=instance, level=level, full=level == FULL, data=data,
        goals=services.goals(data), rating_label=services.rating_label, open_tasks=open_tasks,
        events=events, labels=services.field_labels(), choices=services.choice_labels(),
        event_title=services.event_title, can_work_on=can_work_on, plan_panel=services.plan_panel(instance),
        visible_data=_already_shown,
        can_report=instance.status == RUNNING and crisis.can_report_crisis(current_user, instance),
        panels=services.panels(instance, current_user, level),
    )


def _already_shown(data, _level):
    """The timeline's entries are filtered and labelled already (``history.entry``)."""
    return data


@bp.route("/faelle/<int:instance_id>/krise", methods=["GET", "POST"])
@login_required
def report_crisis(instance_id: int):
    instance, _level = get_visible_instance_or_404(current_user, instance_id)
    if not crisis.offers_crisis(instance):
        abort(409, crisis.crisis_not_offered_message())
    if not crisis.can_report_crisis(current_user, instance):
        abort(403, _("Sie sind an diesem Fall nicht so beteiligt, dass Sie eine Krise melden können."))
    form = KriseMeldenForm()
    if form.validate_on_submit():
        try:
            crisis.report_crisis(instance, current_user, form.beschreibung.data or "",
                                 form.dringlichkeit.data)
        except (service.ConflictError, service.EngineError) as exc:
            transaction.discard()
            flash(str(exc), "error")
            return render_template("cases/crisis.html", instance=instance, form=form), 409
        flash(_("Die Krise wurde gemeldet. Das fallverantwortliche Team ist informiert."), "success")
        return redirect(url_for("cases.view", instance_id=instance_id))
    status = 422 if form.errors else 200
    return render_template("cases/crisis.html", instance=instance, form=form), status


class WithdrawForm(AppForm):
    bestaetigung = BooleanField(
        _l("Ja, dieser Fall wurde versehentlich angelegt und soll zurückgezogen werden."),
        validators=[DataRequired(_l("Bitte bestätigen Sie, dass der Fall zurückgezogen werden soll."))])


@bp.route("/faelle/<int:instance_id>/zurueckziehen", methods=["GET", "POST"])
@login_required
def withdraw_case(instance_id: int):
    instance, _level = get_visible_instance_or_404(current_user, instance_id)
    refused = withdrawal.refusal(current_user, instance)
    if refused is not None:
        abort(*refused)
    form = WithdrawForm()
    if form.validate_on_submit():
        reference = instance.reference
        service.withdraw(instance, current_user)
        flash(_("Fall %(ref)s wurde zurückgezogen.", ref=reference), "success")
        return redirect(url_for("cases.index"))
    return render_template("cases/withdraw.html", instance=instance, form=form), 422 if form.errors else 200


@services.case_panels.connect
def _withdraw_panel(instance, user=None, level=None, **_kwargs):
    """The starter's "Fall zurückziehen" while nothing was done (a header section of the case view)."""
    if user is None or not withdrawal.can_withdraw(user, instance):
        return None
    return services.CasePanel("cases/_withdraw_link.html", services.HEADER, order=90)


@bp.app_context_processor
def _inject_can_withdraw():
    return {"can_withdraw_case": lambda instance: withdrawal.can_withdraw(current_user, instance)}


@services.case_panels.connect
def _erased_panel(instance, user=None, level=None, **_kwargs):
    """A case whose personal data were erased (retention, consent withdrawn) says so on top."""
    event = erasure.erasure_of(instance.id)
    if event is None:
        return None
    data = event.data or {}
    return services.CasePanel("cases/_erased_notice.html", services.HEADER, order=1, context={
        "day": parse_iso_date(data.get("datum")) or event.created_at,
        "reason": erasure.REASON_LABELS.get(str(data.get("grund")), "")})
