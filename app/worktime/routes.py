"""Zeiterfassung: staff record, list and delete their own time outside cases; supervisors read
the records of the teams they lead."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice  # type: ignore[attr-defined]  # stubs lag WTForms 3.3

from app.auth.routes import PostForm
from app.extensions import db
from app.web.access import roles_required
from app.worktime import services
from app.worktime.activities import activity_label
from app.worktime.forms import TimeRecordForm
from app.worktime.menu import STAFF_ROLES
from app.worktime.models import TimeRecord

bp = Blueprint("worktime", __name__, template_folder="../templates")

staff_required = roles_required(*STAFF_ROLES, message=_l("Die Zeiterfassung ist für Mitarbeitende der Teams."))


def _year() -> int:
    raw = request.args.get("jahr") or ""
    year = int(raw) if raw.isdigit() and len(raw) == 4 else date.today().year
    return year if 2000 <= year <= date.today().year + 1 else date.today().year


@bp.route("/zeiterfassung", methods=["GET", "POST"])
@staff_required
def index():
    teams = services.record_teams(current_user)
    if not teams:
        abort(403, _("Zeit erfassen kann nur, wer in einem Team arbeitet oder eines leitet."))
    form = TimeRecordForm()
    form.team.choices = [SelectChoice(str(t.id), t.name) for t in teams]
    if request.method == "GET" and len(teams) == 1:
        form.team.data = str(teams[0].id)
    if form.validate_on_submit():
        team = next(t for t in teams if str(t.id) == form.team.data)
        assert form.datum.data is not None and form.minutes.data is not None  # InputRequired
        services.add_record(current_user, team, datum=form.datum.data, activity=form.activity.data,
                            minutes=form.minutes.data, note=form.note.data)
        flash(_("Die Zeit wurde erfasst."), "success")
        return redirect(url_for("worktime.index", jahr=form.datum.data.year))
    year = _year()
    records = services.own_records(current_user, year)
    return render_template("worktime/index.html", form=form, records=records, year=year,
                           total=sum(r.minutes for r in records), activity_label=activity_label,
                           supervises=bool(services.supervised_teams(current_user))), 422 if form.errors else 200


@bp.route("/zeiterfassung/<int:record_id>/loeschen", methods=["POST"])
@staff_required
def delete(record_id: int):
    record = db.session.get(TimeRecord, record_id)
    if record is None or record.user_id != current_user.id:
        abort(404)
    if not PostForm().validate_on_submit():
        abort(400)
    year = record.datum.year
    services.delete_record(record)
    flash(_("Der Eintrag wurde gelöscht."), "success")
    return redirect(url_for("worktime.index", jahr=year))


@bp.route("/zeiterfassung/teams")
@roles_required(*STAFF_ROLES, message=_l("Die Zeiterfassung der Teams sehen nur ihre Leitungen."))
def teams():
    supervised = services.supervised_teams(current_user)
    if not supervised:
        abort(403, _("Die Zeiterfassung der Teams sehen nur ihre Leitungen."))
    year = _year()
    records = services.team_records([t.id for t in supervised], year)
    return render_template("worktime/teams.html", records=records, year=year, teams=supervised,
                           total=sum(r.minutes for r in records), activity_label=activity_label)
