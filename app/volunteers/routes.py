"""The volunteer's own profile, and 201's list and edit page of every volunteer profile.

The question thread, expenses and trainings live in ``routes_work`` on the same blueprint.
"""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.volunteers import services
from app.volunteers.access import (
    coordinator_required,
    reader_required,
    require_coordinator,
    require_reader,
    volunteer_required,
)
from app.volunteers.blueprint import bp
from app.volunteers.forms import WEEKDAYS, CoordinationProfileForm, NewVolunteerForm, ProfileForm, join_languages
from app.volunteers.matching import STATUSES, status_label


def _context(**extra) -> dict:
    return {"status_label": status_label, "join_languages": join_languages,
            "weekday_labels": dict(WEEKDAYS), **extra}


@bp.route("/ehrenamt/profil", methods=["GET", "POST"])
@volunteer_required
def profile():
    data = services.profile_of(current_user)
    form = ProfileForm()
    if request.method == "GET":
        form.fill(data)
    if form.validate_on_submit():
        services.update_profile(current_user, form.changes())
        flash(_("Ihr Profil wurde gespeichert."), "success")
        return redirect(url_for("volunteers.profile"))
    return render_template("volunteers/profile.html", form=form, profile=data,
                           **_context()), 422 if form.errors else 200


@bp.route("/ehrenamtliche")
@reader_required
def coord_list():
    may_edit = require_reader(current_user)
    status = request.args.get("status") or None
    if status not in (None, *STATUSES):
        status = None
    volunteers = services.all_volunteers(status)
    counts = services.open_assignments([u.id for u in volunteers])
    profiles = services.profiles_of([u.id for u in volunteers])
    return render_template("volunteers/list.html", volunteers=volunteers, status=status, statuses=STATUSES,
                           counts=counts, profiles=profiles, may_edit=may_edit, **_context())


@bp.route("/ehrenamtliche/neu", methods=["GET", "POST"])
@coordinator_required
def coord_new():
    """201 creates a volunteer: account and profile. The random initial password is shown once,
    on this answer (never in a redirect's flash message, which would keep it in the cookie)."""
    require_coordinator(current_user)
    form = NewVolunteerForm()
    if form.validate_on_submit():
        volunteer, password = services.create_volunteer(current_user, username=form.username.data or "",
                                                        display_name=form.display_name.data or "",
                                                        email=form.email.data)
        response = make_response(render_template("volunteers/created.html", volunteer=volunteer,
                                                 password=password))
        response.headers["Cache-Control"] = "no-store"
        return response
    return render_template("volunteers/new.html", form=form), 422 if form.errors else 200


@bp.route("/ehrenamtliche/<int:user_id>", methods=["GET", "POST"])
@reader_required
def coord_edit(user_id: int):
    may_edit = require_reader(current_user)
    volunteer = services.get_volunteer_or_404(user_id)
    if not may_edit:
        if request.method != "GET":
            abort(403, _("Die Leitung sieht die Profile nur ein; ändern kann sie die Koordinierungsstelle 201."))
        return render_template("volunteers/profile_view.html", volunteer=volunteer,
                               profile=services.profile_of(volunteer), **_context())
    form = CoordinationProfileForm()
    if request.method == "GET":
        form.fill(services.profile_of(volunteer))
    if form.validate_on_submit():
        services.update_profile(volunteer, form.changes())
        flash(_("Das Profil von %(name)s wurde gespeichert.", name=volunteer.display_name), "success")
        return redirect(url_for("volunteers.coord_list"))
    return render_template("volunteers/edit.html", form=form, volunteer=volunteer,
                           **_context()), 422 if form.errors else 200


from app.volunteers import routes_work  # noqa: E402,F401  (routes on the same blueprint)
