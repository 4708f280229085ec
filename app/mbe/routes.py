"""MBE pages: client search and case start, handover, statistics (team lead)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice  # type: ignore[attr-defined]  # stubs lag WTForms 3.3

from app import transaction
from app.accesslog import services as accesslog
from app.accesslog.models import CASE, CLIENT
from app.auth.access import access_level, can_work_on, get_visible_instance_or_404, startable_teams
from app.cases.services import HEADER, CasePanel, case_panels
from app.engine import service
from app.engine.models import ACTIVE_TASK_STATES
from app.mbe import clients, consent, handover, statistics
from app.mbe.access import is_mbe_case, lead_teams, require_lead, require_staff, responsible_of
from app.mbe.forms import ClientSearchForm, ConsentWithdrawalForm, HandoverForm, StartCaseForm, StatisticsForm
from app.web.access import login_required
from app.web.bounds import bounded_int
from app.web.responses import csv_response

bp = Blueprint("mbe", __name__, template_folder="../templates")


def _start_options():
    model = clients.mbe_model()
    if model is None:
        return None, []
    return model, startable_teams(current_user, model)


@bp.route("/mbe/klienten")
@login_required
def client_search():
    require_staff(current_user)
    form = ClientSearchForm(request.args)
    searched = bool(request.args)
    results = []
    if searched and form.validate():
        results = clients.search(current_user, form.name.data or "", form.geburtsdatum.data)
        accesslog.list_read(current_user, CLIENT)
    earlier = clients.cases_of([c.id for c in results])
    # A colleague not responsible for the client learns only that the person is a client and who
    # is responsible: no name, date of birth, case number, status or link (mbe.clients.sees_client).
    led = {t.id for t in lead_teams(current_user)}
    full = {c.id for c in results if clients.sees_client(current_user, c, earlier.get(c.id, []), led)}
    responsible = {c.id: clients.responsible_for(earlier.get(c.id, [])) for c in results if c.id not in full}
    earlier = {k: v for k, v in earlier.items() if k in full}
    model, teams = _start_options()
    start_form = StartCaseForm()
    start_form.team.choices = [SelectChoice(t.key, t.name) for t in teams]
    if len(teams) == 1:
        start_form.team.data = teams[0].key
    status = 422 if form.errors else 200
    return render_template("mbe/clients.html", form=form, searched=searched, results=results,
                           earlier=earlier, full=full, responsible=responsible, start_form=start_form,
                           can_start=bool(teams),
                           visible=lambda inst: access_level(current_user, inst) is not None), status


@bp.route("/mbe/faelle/neu", methods=["POST"])
@login_required
def start_case():
    require_staff(current_user)
    model, teams = _start_options()
    if not teams:
        abort(403, _("Sie dürfen dieses Verfahren nicht starten."))
    form = StartCaseForm()
    form.team.choices = [SelectChoice(t.key, t.name) for t in teams]
    client = None
    if form.client_id.data:
        try:
            client = clients.get_client(current_user, bounded_int(form.client_id.data))  # 404 beyond range
        except ValueError:
            client = None
        if client is None or not clients.sees_client(current_user, client,
                                                      clients.cases_of([client.id]).get(client.id, [])):
            abort(404)  # a colleague's client: the duplicate check told them who is responsible
    if not form.validate_on_submit():
        flash(_("Bitte ein Team wählen."), "error")
        return redirect(url_for("mbe.client_search"))
    team = next(t for t in teams if t.key == form.team.data)
    draft = None
    if client is not None:
        draft = {"vorname": client.vorname, "nachname": client.nachname,
                 "geburtsdatum": client.geburtsdatum.isoformat() if client.geburtsdatum else None}
        draft = {k: v for k, v in draft.items() if v}
    try:
        instance = service.start_instance(model, current_user, team, draft=draft)
        if client is not None:
            clients.set_client(instance, client)
        first = next((t for t in instance.tasks if can_work_on(current_user, t)), None)
        target = (url_for("inbox.task_page", task_id=first.id) if first is not None
                  else url_for("cases.view", instance_id=instance.id))
        reference = instance.reference
    except service.EngineError as exc:
        transaction.discard()
        flash(str(exc), "error")
        return redirect(url_for("mbe.client_search"))
    flash(_("Fall %(ref)s angelegt.", ref=reference), "success")
    return redirect(target)


def _mbe_case_or_404(instance_id: int):
    instance, level = get_visible_instance_or_404(current_user, instance_id)
    if not is_mbe_case(instance):
        abort(404)
    return instance


@bp.route("/mbe/faelle/<int:instance_id>/uebergabe", methods=["GET", "POST"])
@login_required
def hand_over(instance_id: int):
    instance = _mbe_case_or_404(instance_id)
    if not handover.may_hand_over(current_user, instance):
        abort(403, _("Nur die zuständige Beratung oder die Leitung kann den Fall übergeben."))
    if request.method == "GET":  # the page names the case and its client
        accesslog.case_read(current_user, instance, object_type=CASE)
    form = HandoverForm()
    candidates = handover.candidates(instance)
    form.an.choices = [SelectChoice(u.username, u.display_name) for u in candidates]
    if form.validate_on_submit():
        new = next(u for u in candidates if u.username == form.an.data)
        try:
            handover.hand_over(instance, current_user, new, (form.grund.data or "").strip())
        except (service.ConflictError, service.ForbiddenError, ValueError) as exc:
            transaction.discard()
            flash(str(exc), "error")
            return redirect(url_for("mbe.hand_over", instance_id=instance_id))
        flash(_("Der Fall wurde an %(name)s übergeben.", name=new.display_name), "success")
        if access_level(current_user, instance) is None:
            return redirect(url_for("cases.index"))
        return redirect(url_for("cases.view", instance_id=instance_id))
    return render_template("mbe/handover.html", instance=instance, form=form,
                           current=responsible_of(instance), running=instance.status in ("running",),
                           open_tasks=[t for t in instance.tasks if t.status in ACTIVE_TASK_STATES]), \
        422 if form.errors else 200


@bp.route("/mbe/faelle/<int:instance_id>/einwilligung-widerrufen", methods=["GET", "POST"])
@login_required
def withdraw_consent(instance_id: int):
    """The client withdraws the consent: recorded with date and note, personal data deleted at once."""
    instance = _mbe_case_or_404(instance_id)
    if not handover.may_hand_over(current_user, instance):  # the responsible counsellor or the lead
        abort(403, _("Nur die zuständige Beratung oder die Leitung kann den Widerruf erfassen."))
    form = ConsentWithdrawalForm()
    if request.method == "GET":
        form.datum.data = consent.today()
        client = clients.client_of(instance)  # the page shows the client whose data will go
        accesslog.case_read(current_user, instance, object_type=CLIENT, object_id=client.id if client else None)
    if form.validate_on_submit():
        assert form.datum.data is not None  # DataRequired
        consent.withdraw(instance, current_user, form.datum.data, form.notiz.data or "")
        flash(_("Der Widerruf ist erfasst; die personenbezogenen Daten wurden gelöscht, der Fall wird anonym "
                "geführt."), "success")
        return redirect(url_for("cases.view", instance_id=instance_id))
    return render_template("mbe/withdraw_consent.html", instance=instance, form=form,
                           client=clients.client_of(instance)), 422 if form.errors else 200


@bp.route("/mbe/statistik")
@login_required
def stats():
    teams = require_lead(current_user)
    form = StatisticsForm(request.args)
    today = date.today()
    if not request.args.get("von") and not request.args.get("bis"):
        form.von.data, form.bis.data = statistics.default_period(today)
    rep = None
    if form.validate():
        assert form.von.data is not None and form.bis.data is not None  # DataRequired
        rep = statistics.report([t.id for t in teams], form.von.data, form.bis.data)
        if request.args.get("format") == "csv":
            name = f"mbe-statistik-{form.von.data.isoformat()}-{form.bis.data.isoformat()}.csv"
            return csv_response(statistics.to_csv(rep), name)
    if form.errors:
        transaction.discard()
    return render_template("mbe/statistics.html", form=form, report=rep, teams=teams, legend=statistics.LEGEND,
                           withheld_note=statistics.WITHHELD_NOTE,
                           statuses=statistics.GOAL_STATUSES, status_label=statistics.label), \
        422 if form.errors else 200


@bp.app_context_processor
def inject_mbe():
    """The case view's handover link (the menu entries are in app/mbe/menu.py)."""
    def mbe_can_hand_over(instance) -> bool:
        return (current_user.is_authenticated and instance.status == "running"
                and handover.may_hand_over(current_user, instance))

    return {"mbe_can_hand_over": mbe_can_hand_over}


@case_panels.connect
def _consent_panel(instance, user=None, level=None, **_kw) -> CasePanel | None:
    """MBE cases: the client's consent (given / withdrawn) and, for the responsible counsellor and
    the lead, the link to record a withdrawal."""
    if user is None or not is_mbe_case(instance) or not handover.may_hand_over(user, instance):
        return None
    return CasePanel("mbe/_consent_panel.html", HEADER, 60, {"consent": consent.of(instance.data)})
