"""Around an assignment: question thread, expense entries and statements, trainings."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import transaction
from app.accesslog import services as accesslog
from app.accesslog.models import CASE, EXPORT, VIEW, VOLUNTEER
from app.auth.access import visible_instance_ids
from app.auth.routes import PostForm
from app.engine.models import LIMITED, CaseParticipant, ProcessInstance
from app.extensions import db
from app.volunteers import expenses, services, threads, trainings
from app.volunteers.access import (
    assignment_or_404,
    coordinator_required,
    reader_required,
    require_coordinator,
    require_reader,
    thread_case_or_404,
    volunteer_required,
)
from app.volunteers.blueprint import bp
from app.volunteers.models import APPROVED, RETURNED, SUBMITTED, WITHDRAWN, ExpenseEntry, Training
from app.volunteers.work_forms import (
    AttendanceForm,
    CancelTrainingForm,
    ExpenseForm,
    InviteForm,
    MessageForm,
    ReturnForm,
    TrainingForm,
    choices,
)
from app.web.access import login_required
from app.web.formatting import csv_zahl
from app.web.responses import csv_response


def expense_status_label(status: str) -> str:
    return {SUBMITTED: _("eingereicht"), APPROVED: _("genehmigt"), RETURNED: _("zurückgegeben"),
            WITHDRAWN: _("zurückgezogen")}.get(status, status)


def training_kind_label(kind: str) -> str:
    return {"a": _("Schulung a – Fachliches (FB 36/31)"), "b": _("Schulung b – Rolle im Einsatz (201)"),
            "c": _("Schulung c – Reflexionstreffen"), "d": _("Schulung d – Hilfsangebote im Kreis"),
            "stammtisch": _("Stammtisch")}.get(kind, kind)


def number(value) -> str:
    return csv_zahl(value or 0)


@bp.app_template_global()
def volunteer_case_links(instance_id: int) -> dict:
    """For the case view: may the reader open the question thread / record expenses?"""
    if not current_user.is_authenticated:
        return {}
    has_volunteer = db.session.scalar(
        select(CaseParticipant.id).where(CaseParticipant.instance_id == instance_id,
                                         CaseParticipant.user_id.is_not(None),
                                         CaseParticipant.level == LIMITED).limit(1)) is not None
    mine = db.session.scalar(
        select(CaseParticipant.id).where(CaseParticipant.instance_id == instance_id,
                                         CaseParticipant.user_id == current_user.id,
                                         CaseParticipant.level == LIMITED).limit(1)) is not None
    return {"thread": has_volunteer, "expenses": mine}


# --- the volunteer's assignments --------------------------------------------------------------


@bp.route("/ehrenamt/einsaetze")
@volunteer_required
def my_assignments():
    cases = db.session.scalars(
        select(ProcessInstance).join(CaseParticipant, CaseParticipant.instance_id == ProcessInstance.id)
        .where(CaseParticipant.user_id == current_user.id, CaseParticipant.level == LIMITED)
        .order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc())
    ).all()
    accesslog.list_read(current_user, CASE)
    return render_template("volunteers/assignments.html", cases=cases)


# --- question thread ------------------------------------------------------------------------


@bp.route("/faelle/<int:instance_id>/fragen", methods=["GET", "POST"])
@login_required
def thread(instance_id: int):
    instance, may_write = thread_case_or_404(current_user, instance_id)
    if request.method == "GET":
        accesslog.case_read(current_user, instance)  # the question thread of the assignment
    form = MessageForm()
    if request.method == "POST":
        if not may_write:
            abort(403, _("Im Fragenverlauf schreiben nur die Ehrenamtliche / der Ehrenamtliche und die "
                         "Koordinierungsstelle 201."))
        if form.validate_on_submit():
            threads.post_message(instance, current_user, form.nachricht.data or "")
            flash(_("Ihre Nachricht wurde gesendet."), "success")
            return redirect(url_for("volunteers.thread", instance_id=instance.id) + "#neu")
    return render_template("volunteers/thread.html", instance=instance, messages=threads.messages(instance),
                           form=form, may_write=may_write), 422 if form.errors else 200


# --- expenses: the volunteer ----------------------------------------------------------------


@bp.route("/ehrenamt/einsaetze/<int:instance_id>/aufwand", methods=["GET", "POST"], endpoint="expenses")
@volunteer_required
def expenses_page(instance_id: int):
    instance = assignment_or_404(current_user, instance_id)
    form = ExpenseForm()
    form.assignment_start = expenses.assignment_start(instance)
    duplicate = None
    if form.validate_on_submit():
        assert form.datum.data is not None  # InputRequired
        duplicate = _unconfirmed_duplicate(form, instance, None)
        if duplicate is None:
            expenses.save_entry(None, instance, current_user, datum=form.datum.data, stunden=form.stunden.data,
                                kilometer=form.kilometer.data, auslagen=form.auslagen.data, notiz=form.notiz.data)
            flash(_("Der Eintrag wurde zur Prüfung eingereicht."), "success")
            return redirect(url_for("volunteers.expenses", instance_id=instance.id))
    return render_template("volunteers/expenses.html", instance=instance, form=form, duplicate=duplicate,
                           entries=expenses.entries_for(current_user, instance), status_label=expense_status_label,
                           rates=expenses.rates()), 422 if form.errors or duplicate else 200


def _unconfirmed_duplicate(form: ExpenseForm, instance: ProcessInstance, entry: ExpenseEntry | None):
    """The equal entry already recorded, unless the volunteer confirmed ("Trotzdem speichern")."""
    if request.form.get("trotzdem") == "1" or form.datum.data is None:
        return None
    return expenses.duplicate_of(instance, current_user, datum=form.datum.data, stunden=form.stunden.data,
                                 kilometer=form.kilometer.data, auslagen=form.auslagen.data,
                                 ignore_id=entry.id if entry is not None else None)


@bp.route("/ehrenamt/aufwand/<int:entry_id>", methods=["GET", "POST"])
@volunteer_required
def expense_edit(entry_id: int):
    entry = db.session.get(ExpenseEntry, entry_id)
    if entry is None or entry.volunteer_id != current_user.id:
        abort(404)
    instance = assignment_or_404(current_user, entry.instance_id)
    if entry.status == APPROVED:
        abort(409, _("Dieser Eintrag ist bereits genehmigt und kann nicht mehr geändert werden."))
    if entry.status == WITHDRAWN:
        abort(409, _("Dieser Eintrag ist zurückgezogen und kann nicht mehr geändert werden."))
    form = ExpenseForm(obj=entry if request.method == "GET" else None)
    form.assignment_start = expenses.assignment_start(instance)
    duplicate = None
    if form.validate_on_submit():
        assert form.datum.data is not None  # InputRequired
        duplicate = _unconfirmed_duplicate(form, instance, entry)
        if duplicate is None:
            try:
                expenses.save_entry(entry, instance, current_user, datum=form.datum.data, stunden=form.stunden.data,
                                    kilometer=form.kilometer.data, auslagen=form.auslagen.data,
                                    notiz=form.notiz.data)
            except expenses.ExpenseConflict:
                abort(409, _("Dieser Eintrag ist bereits genehmigt oder zurückgezogen und kann nicht mehr "
                             "geändert werden."))
            flash(_("Der korrigierte Eintrag wurde erneut eingereicht."), "success")
            return redirect(url_for("volunteers.expenses", instance_id=instance.id))
    return render_template("volunteers/expense_edit.html", instance=instance, entry=entry, form=form,
                           duplicate=duplicate, status_label=expense_status_label,
                           withdraw_form=PostForm()), 422 if form.errors or duplicate else 200


@bp.route("/ehrenamt/aufwand/<int:entry_id>/zurueckziehen", methods=["POST"])
@volunteer_required
def expense_withdraw(entry_id: int):
    """The volunteer takes back an entry that 201 returned for correction."""
    entry = db.session.get(ExpenseEntry, entry_id)
    if entry is None or entry.volunteer_id != current_user.id:
        abort(404)
    instance = assignment_or_404(current_user, entry.instance_id)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        expenses.withdraw(entry)
    except expenses.ExpenseConflict:
        abort(409, _("Zurückziehen lässt sich nur ein Eintrag, den die Koordinierungsstelle zur Korrektur "
                     "zurückgegeben hat."))
    flash(_("Der Eintrag wurde zurückgezogen."), "success")
    return redirect(url_for("volunteers.expenses", instance_id=instance.id))


@bp.route("/ehrenamt/abrechnung")
@volunteer_required
def my_statement():
    return _statement(current_user, None, own=True)


# --- expenses: 201 --------------------------------------------------------------------------


@bp.route("/aufwand/pruefen")
@reader_required
def expense_review():
    return _review_page(None, None, may_edit=require_reader(current_user))


def _review_page(failed_id: int | None, failed_form: ReturnForm | None, status: int = 200, may_edit: bool = True):
    entries = expenses.pending_for(current_user)
    forms = {e.id: (failed_form if e.id == failed_id else ReturnForm(formdata=None, prefix=f"r{e.id}"))
             for e in entries}
    return render_template("volunteers/review.html", entries=entries, forms=forms, may_edit=may_edit), status


def _entry_for_decision(entry_id: int) -> ExpenseEntry:
    entry = db.session.get(ExpenseEntry, entry_id)
    visible = entry is not None and db.session.scalar(
        select(ProcessInstance.id).where(ProcessInstance.id == entry.instance_id,
                                         ProcessInstance.id.in_(visible_instance_ids(current_user))))
    if entry is None or not visible:
        abort(404)
    return entry


@bp.route("/aufwand/<int:entry_id>/genehmigen", methods=["POST"])
@coordinator_required
def expense_approve(entry_id: int):
    require_coordinator(current_user)
    entry = _entry_for_decision(entry_id)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        expenses.decide(entry, current_user, approve=True)
    except expenses.ExpenseConflict:
        transaction.discard()
        flash(_("Der Eintrag wurde inzwischen schon entschieden oder geändert."), "error")
        return redirect(url_for("volunteers.expense_review")), 303
    flash(_("Eintrag genehmigt."), "success")
    return redirect(url_for("volunteers.expense_review"))


@bp.route("/aufwand/<int:entry_id>/zurueckgeben", methods=["POST"])
@coordinator_required
def expense_return(entry_id: int):
    require_coordinator(current_user)
    entry = _entry_for_decision(entry_id)
    form = ReturnForm(prefix=f"r{entry.id}")
    if not form.validate_on_submit():
        return _review_page(entry.id, form, 422)
    try:
        expenses.decide(entry, current_user, approve=False, comment=form.kommentar.data or "")
    except expenses.ExpenseConflict:
        transaction.discard()
        flash(_("Der Eintrag wurde inzwischen schon entschieden oder geändert."), "error")
        return redirect(url_for("volunteers.expense_review")), 303
    flash(_("Eintrag mit Begründung zurückgegeben."), "success")
    return redirect(url_for("volunteers.expense_review"))


@bp.route("/aufwand/abrechnung")
@reader_required
def statement():
    require_reader(current_user)
    volunteers = services.all_volunteers()
    chosen = request.args.get("ehrenamtliche", type=int)
    volunteer = next((u for u in volunteers if u.id == chosen), None)
    if chosen is not None and volunteer is None:
        abort(404)
    return _statement(volunteer, volunteers, own=False)


def _month_arg() -> tuple[str, date, date]:
    month = request.args.get("monat") or date.today().strftime("%Y-%m")
    try:
        start, end = expenses.month_bounds(month)
    except ValueError:
        abort(400, _("Bitte den Monat als JJJJ-MM angeben."))
    return month, start, end


def _statement(volunteer, volunteers, *, own: bool):
    month, start, end = _month_arg()
    data = None
    if volunteer is not None:
        data = expenses.statement(volunteer, start, end,
                                  instance_ids=None if own else visible_instance_ids(current_user))
        if request.args.get("format") == "csv":
            return _statement_csv(volunteer, month, data)
        accesslog.record(current_user, VIEW, VOLUNTEER, volunteer.id)  # the printable statement
    return render_template("volunteers/statement.html", volunteer=volunteer, volunteers=volunteers, month=month,
                           data=data, own=own, rates=expenses.rates())


def _statement_csv(volunteer, month: str, data: dict) -> Response:
    """Semicolon-separated, decimal comma, UTF-8 with BOM (opens as columns in German Excel)."""
    rows = [[_("Ehrenamtliche/r"), _("Monat"), _("Datum"), _("Fall"), _("Stunden"), _("Kilometer"),
             _("Auslagen (EUR)"), _("Betrag (EUR)"), _("Notiz")]]
    for e in data["entries"]:
        rows.append([volunteer.display_name, month, e.datum.isoformat(), e.instance.reference, number(e.stunden),
                     number(e.kilometer), csv_zahl(e.auslagen, 2), csv_zahl(e.summe, 2),
                     e.notiz])
    t = data["total"]
    rows.append([volunteer.display_name, month, _("Summe"), "", number(t["stunden"]), number(t["kilometer"]),
                 csv_zahl(t["auslagen"], 2), csv_zahl(t["summe"], 2), ""])
    name = f"aufwand-{volunteer.username}-{month}.csv"
    accesslog.record(current_user, EXPORT, VOLUNTEER, volunteer.id)  # names and case numbers
    return csv_response(rows, name)  # user text stays text (app/exports.py)


@bp.route("/aufwand/summen")
@reader_required
def expense_totals():
    require_reader(current_user)
    today = date.today()
    try:
        start = date.fromisoformat(request.args.get("von") or date(today.year, 1, 1).isoformat())
        until = date.fromisoformat(request.args.get("bis") or date(today.year, 12, 31).isoformat())
    except ValueError:
        abort(400, _("Bitte Datumsangaben als JJJJ-MM-TT angeben."))
    rows = expenses.totals_by_case(current_user, start, until + timedelta(days=1))
    total = {k: sum((r[k] for r in rows), start=type(rows[0][k])(0)) if rows else 0
             for k in ("stunden", "kilometer", "auslagen", "summe", "anzahl")}
    return render_template("volunteers/totals.html", rows=rows, total=total, von=start, bis=until)


# --- trainings ------------------------------------------------------------------------------


@bp.route("/schulungen", methods=["GET", "POST"], endpoint="trainings")
@reader_required
def trainings_page():
    may_edit = require_reader(current_user)
    if request.method != "GET":
        require_coordinator(current_user)
    form = TrainingForm()
    if form.validate_on_submit():
        training = Training(kind=form.kind.data, datum=form.datum.data, uhrzeit=form.uhrzeit.data or "",
                            ort=(form.ort.data or "").strip(), thema=(form.thema.data or "").strip(),
                            created_by_id=current_user.id)
        db.session.add(training)
        db.session.flush()  # the id for the redirect
        flash(_("Termin angelegt. Laden Sie jetzt Ehrenamtliche ein."), "success")
        return redirect(url_for("volunteers.training", training_id=training.id))
    items = db.session.scalars(select(Training).order_by(Training.datum.desc(), Training.id.desc())).all()
    return render_template("volunteers/trainings.html", form=form, items=items, may_edit=may_edit,
                           kind_label=training_kind_label), 422 if form.errors else 200


def _training_forms(training: Training):
    volunteers = services.all_volunteers("aktiv")
    invited = {inv.user_id for inv in training.invitations}
    invite = InviteForm(prefix="einladen")
    invite.ehrenamtliche.choices = choices([(u.id, u.display_name) for u in volunteers if u.id not in invited])
    attendance = AttendanceForm(prefix="teilnahme")
    attendance.anwesend.choices = choices([(inv.user_id, inv.user.display_name) for inv in training.invitations])
    return invite, attendance


@bp.route("/schulungen/<int:training_id>", methods=["GET", "POST"])
@reader_required
def training(training_id: int):
    may_edit = require_reader(current_user)
    if request.method != "GET":
        require_coordinator(current_user)
    item = db.session.get(Training, training_id) or abort(404)
    invite, attendance = _training_forms(item)
    if request.method == "GET":
        attendance.anwesend.data = [inv.user_id for inv in item.invitations if inv.attended]
    status = 200
    if request.method == "POST":
        action = request.form.get("aktion")
        if action in ("einladen", "teilnahme") and item.cancelled:
            abort(409, _("Dieser Termin ist abgesagt; Einladungen und Teilnahme sind nicht mehr möglich."))
        if action == "einladen" and invite.validate_on_submit():
            users = [u for u in services.all_volunteers("aktiv") if u.id in set(invite.ehrenamtliche.data)]
            count = trainings.invite(item, users)
            flash(_("%(num)s Einladung(en) verschickt.", num=count), "success")
            return redirect(url_for("volunteers.training", training_id=item.id))
        if action == "teilnahme" and attendance.validate_on_submit():
            try:
                trainings.record_attendance(item, set(attendance.anwesend.data or []))
            except trainings.TrainingConflict as exc:
                abort(409, str(exc))
            flash(_("Teilnahme gespeichert; die Profile sind aktualisiert."), "success")
            return redirect(url_for("volunteers.training", training_id=item.id))
        if action not in ("einladen", "teilnahme"):
            abort(400)
        status = 422
    return render_template("volunteers/training.html", item=item, invite=invite, attendance=attendance,
                           cancel_form=CancelTrainingForm(formdata=None, prefix="absage"), may_edit=may_edit,
                           upcoming=item.datum > date.today(), kind_label=training_kind_label), status


@bp.route("/schulungen/<int:training_id>/bearbeiten", methods=["GET", "POST"])
@coordinator_required
def training_edit(training_id: int):
    require_coordinator(current_user)
    item = db.session.get(Training, training_id) or abort(404)
    if item.cancelled:
        abort(409, _("Dieser Termin ist abgesagt und kann nicht mehr geändert werden."))
    form = TrainingForm(obj=item if request.method == "GET" else None)
    if form.validate_on_submit():
        locked = item.attendance_recorded and (form.kind.data != item.kind or form.datum.data != item.datum)
        if locked:
            message = _("Nach erfasster Teilnahme können Art und Datum nicht mehr geändert werden.")
            for field in (form.kind, form.datum):
                if field.data != getattr(item, field.name):
                    field.errors = [*field.errors, message]
        else:
            told = trainings.update(item, kind=form.kind.data, datum=form.datum.data, uhrzeit=form.uhrzeit.data,
                                    ort=form.ort.data or "", thema=form.thema.data or "")
            flash(_("Termin gespeichert; die Eingeladenen sind über die Änderung informiert.") if told
                  else _("Termin gespeichert."), "success")
            return redirect(url_for("volunteers.training", training_id=item.id))
    return render_template("volunteers/training_edit.html", item=item, form=form,
                           kind_label=training_kind_label), 422 if form.errors else 200


@bp.route("/schulungen/<int:training_id>/absagen", methods=["POST"])
@coordinator_required
def training_cancel(training_id: int):
    require_coordinator(current_user)
    item = db.session.get(Training, training_id) or abort(404)
    form = CancelTrainingForm(prefix="absage")
    if not form.validate_on_submit():
        invite, attendance = _training_forms(item)
        attendance.anwesend.data = [inv.user_id for inv in item.invitations if inv.attended]
        return render_template("volunteers/training.html", item=item, invite=invite, attendance=attendance,
                               cancel_form=form, may_edit=True, upcoming=item.datum > date.today(),
                               kind_label=training_kind_label), 422
    try:
        count = trainings.cancel(item, form.grund.data)
    except trainings.TrainingConflict as exc:
        abort(409, str(exc))
    flash(_("Termin abgesagt; %(num)s eingeladene Person(en) informiert.", num=count), "success")
    return redirect(url_for("volunteers.training", training_id=item.id))


@bp.route("/ehrenamt/termine")
@volunteer_required
def my_trainings():
    return render_template("volunteers/my_trainings.html", invitations=trainings.invitations_of(current_user),
                           kind_label=training_kind_label)
