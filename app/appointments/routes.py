"""Appointment pages: booking from the case, "Meine Termine" (the week), cancelling, the
calendar feed's settings, and the feed itself (no login: its secret URL authenticates)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_time
from flask_babel import gettext as _
from flask_login import current_user

from app import timeutil
from app.accesslog import services as accesslog
from app.accesslog.models import APPOINTMENT
from app.appointments import feed as feeds
from app.appointments import services
from app.appointments.forms import AppointmentForm, FeedSettingsForm
from app.appointments.models import Appointment
from app.auth.access import access_level, get_visible_instance_or_404
from app.auth.routes import PostForm
from app.cases.services import MAIN, CasePanel, case_panels
from app.engine.models import FULL, RUNNING
from app.timeutil import aware, day_bounds, office_zone
from app.web.access import login_required

bp = Blueprint("appointments", __name__, template_folder="../templates")


@bp.app_template_filter("termin_uhrzeit")
def time_of_day(value: datetime) -> str:
    """The office time of day of an instant ("10:00")."""
    return format_time(aware(value).astimezone(office_zone()).time(), "short") if value else ""


@bp.app_template_filter("termin_tag")
def day_name(value: date) -> str:
    """A day with its weekday ("Montag, 7. Dezember 2026")."""
    return format_date(value, "full") if value else ""


# --- the case view's section ----------------------------------------------------------------


@case_panels.connect
def _case_panel(instance, user=None, level=None, **_kwargs):
    if user is None or level is None:
        return None
    items = services.case_appointments(instance, user, level)
    can_book = services.may_book(user, instance, level)
    if not items and not can_book:
        return None
    now = timeutil.utcnow()
    upcoming = [a for a in items if aware(a.ends_at) >= now]
    past = [a for a in items if aware(a.ends_at) < now][::-1]
    return CasePanel("appointments/_case_panel.html", MAIN, 40, {
        "upcoming": upcoming, "past": past, "can_book": can_book and instance.status == RUNNING,
        "offers": services.offers(instance, items) if can_book else [], "kind_label": services.kind_label,
    })


# --- booking and changing -------------------------------------------------------------------


def _form_for(instance, **kwargs) -> AppointmentForm:
    return AppointmentForm(people=services.case_people(instance), **kwargs)


def _chosen(form: AppointmentForm, instance):
    wanted = set(form.participants.data or [])
    return [u for u in services.case_people(instance) if u.username in wanted]


def _prefill(form: AppointmentForm, instance) -> None:
    kind = request.args.get("art")
    if kind in services.KINDS:
        form.kind.data = kind
    try:
        day = date.fromisoformat(request.args.get("datum", ""))
    except ValueError:
        day = None
    if day is not None:
        form.starts_at.data = services.at_office_time(day, services.OFFER_START)
        form.ends_at.data = form.starts_at.data + services.OFFER_LENGTH
    form.language.data = services.client_language(instance)
    people = {u.username for u in services.case_people(instance)}
    if current_user.username in people:
        form.participants.data = [current_user.username]


@bp.route("/faelle/<int:instance_id>/termine/neu", methods=["GET", "POST"])
@login_required
def new(instance_id: int):
    instance, level = get_visible_instance_or_404(current_user, instance_id)
    if not services.may_book(current_user, instance, level):
        abort(403, _("Termine dieses Falls vereinbaren nur die Fachkräfte, die den Fall bearbeiten."))
    if instance.status != RUNNING:
        abort(409, _("Der Fall ist nicht aktiv."))
    form = _form_for(instance)
    if request.method == "GET":
        _prefill(form, instance)
    if form.validate_on_submit():
        assert form.starts_at.data is not None and form.ends_at.data is not None  # InputRequired
        services.book(instance, current_user, kind=form.kind.data or services.DEFAULT_KIND,
                      title=form.title.data or "", starts_at=form.starts_at.data, ends_at=form.ends_at.data,
                      place=form.place.data or "", participants=_chosen(form, instance),
                      language=form.language.data or "")
        flash(_("Der Termin ist vereinbart."), "success")
        return redirect(url_for("cases.view", instance_id=instance.id) + "#termine-h")
    return render_template("appointments/form.html", form=form, instance=instance, appointment=None), \
        422 if form.errors else 200


def _changeable(appointment_id: int) -> Appointment:
    """The appointment, if the user may change it: 404 when they may not see it, 403 when they
    see it (taking part as a volunteer) but may not change it."""
    appointment = services.get_appointment(appointment_id)
    if appointment is None:
        abort(404)
    level = access_level(current_user, appointment.instance)
    if level is None:
        abort(404)
    if level != FULL:
        if current_user.id not in {p.user_id for p in appointment.participants}:
            abort(404)
        abort(403, _("Termine dieses Falls ändern nur die Fachkräfte, die den Fall bearbeiten."))
    return appointment


@bp.route("/termine/<int:appointment_id>/bearbeiten", methods=["GET", "POST"])
@login_required
def edit(appointment_id: int):
    appointment = _changeable(appointment_id)
    if appointment.cancelled:
        abort(409, _("Der Termin ist abgesagt und kann nicht mehr geändert werden."))
    instance = appointment.instance
    form = _form_for(instance, obj=appointment if request.method == "GET" else None)
    if request.method == "GET":
        form.starts_at.data, form.ends_at.data = aware(appointment.starts_at), aware(appointment.ends_at)
        form.participants.data = [u.username for u in appointment.people]
    if form.validate_on_submit():
        assert form.starts_at.data is not None and form.ends_at.data is not None  # InputRequired
        services.change(appointment, current_user, kind=form.kind.data or services.DEFAULT_KIND,
                        title=form.title.data or "", starts_at=form.starts_at.data, ends_at=form.ends_at.data,
                        place=form.place.data or "", participants=_chosen(form, instance),
                        language=form.language.data or "")
        flash(_("Der Termin ist geändert."), "success")
        return redirect(url_for("cases.view", instance_id=instance.id) + "#termine-h")
    return render_template("appointments/form.html", form=form, instance=instance, appointment=appointment), \
        422 if form.errors else 200


@bp.route("/termine/<int:appointment_id>/absagen", methods=["POST"])
@login_required
def cancel(appointment_id: int):
    appointment = _changeable(appointment_id)
    if not PostForm().validate_on_submit():
        abort(400)
    services.cancel(appointment, current_user)
    flash(_("Der Termin ist abgesagt."), "success")
    return redirect(url_for("cases.view", instance_id=appointment.instance_id) + "#termine-h")


# --- Meine Termine --------------------------------------------------------------------------


def _week_page(new_secret: str | None = None):
    try:
        day = date.fromisoformat(request.args.get("woche", ""))
    except ValueError:
        day = services.office_today()
    monday, sunday = services.week_of(day)
    start, end = day_bounds(monday, sunday)
    items = services.appointments_of(current_user, start, end)
    days: list[tuple[date, list[Appointment]]] = [(monday + timedelta(days=i), []) for i in range(7)]
    by_day: dict[date, list[Appointment]] = {d: lst for d, lst in days}
    for appointment in items:
        by_day.setdefault(services.local_day(appointment.starts_at), []).append(appointment)
    feed = feeds.feed_of(current_user)
    settings = FeedSettingsForm(formdata=None, data={"show_names": bool(feed and feed.show_names)})
    new_url = url_for("appointments.feed", secret=new_secret, _external=True) if new_secret else None
    return render_template(
        "appointments/week.html", monday=monday, sunday=sunday, days=days, today=services.office_today(),
        previous=monday - timedelta(days=7), following=monday + timedelta(days=7), kind_label=services.kind_label,
        feed_active=bool(feed and feed.token_hash), feed_created=feed.created_at if feed else None,
        new_url=new_url, settings=settings, count=len(items))


@bp.route("/termine")
@login_required
def week():
    accesslog.list_read(current_user, APPOINTMENT)  # the week shows the cases' names
    return _week_page()


@bp.route("/termine/kalender-abo", methods=["POST"])
@login_required
def feed_renew():
    if not PostForm().validate_on_submit():
        abort(400)
    secret = feeds.renew(current_user)
    flash(_("Ihr Kalender-Abo ist eingerichtet. Die Adresse wird nur jetzt angezeigt."), "success")
    return _week_page(new_secret=secret)


@bp.route("/termine/kalender-abo/widerrufen", methods=["POST"])
@login_required
def feed_revoke():
    if not PostForm().validate_on_submit():
        abort(400)
    feeds.revoke(current_user)
    flash(_("Das Kalender-Abo ist widerrufen; die bisherige Adresse funktioniert nicht mehr."), "success")
    return redirect(url_for("appointments.week"))


@bp.route("/termine/kalender-abo/einstellungen", methods=["POST"])
@login_required
def feed_settings():
    form = FeedSettingsForm()
    if not form.validate_on_submit():
        abort(400)
    feeds.set_show_names(current_user, bool(form.show_names.data))
    flash(_("Die Einstellung ist gespeichert."), "success")
    return redirect(url_for("appointments.week"))


@bp.route("/kalender/<secret>.ics")
def feed(secret: str):
    """Public on purpose (tests/web/test_kernel.py PUBLIC_ENDPOINTS): calendar programs send no
    login; the long random secret in the URL is the authentication."""
    found = feeds.owner_of(secret)
    if found is None:
        abort(404)
    user, settings = found
    if settings.show_names:  # without names the feed holds no personal data of clients
        accesslog.list_read(user, APPOINTMENT)
    response = Response(feeds.calendar(user, settings), mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = 'inline; filename="termine.ics"'
    return response
