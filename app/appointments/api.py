"""API v1: the caller's appointments, and booking one (same form and rules as the page)."""

from __future__ import annotations

from datetime import date, datetime

from flask import g, jsonify, request
from flask_babel import gettext as _

from app.accesslog import services as accesslog
from app.accesslog.models import APPOINTMENT
from app.api import ApiError, api_blueprint, describe, json_object, validation_error
from app.api.auth import require_token
from app.api.openapi import errors, json_body, json_response, query, ref
from app.appointments import services
from app.appointments.forms import AppointmentForm
from app.appointments.models import Appointment
from app.auth.access import get_visible_instance_or_404
from app.engine.models import RUNNING
from app.timeutil import day_bounds, iso
from app.web.bounds import bounded_int
from forms import form_errors, form_schema, json_to_formdata, validate_json

SCHEMAS = {
    "Appointment": {
        "type": "object",
        "required": ["id", "process_instance_id", "reference", "kind", "title", "starts_at", "ends_at", "place",
                     "language", "participants", "status", "created_by", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "process_instance_id": {"type": "integer"},
            "reference": {"type": "string", "description": "Aktenzeichen des Falls"},
            "kind": {"type": "string", "enum": list(services.KINDS)},
            "title": {"type": "string"},
            "starts_at": {"type": "string", "format": "date-time"},
            "ends_at": {"type": "string", "format": "date-time"},
            "place": {"type": "string"},
            "language": {"type": "string", "description": "Sprache der Familie/Klient:in"},
            "participants": {"type": "array", "items": {"type": "string"}, "description": "Benutzernamen"},
            "status": {"type": "string", "enum": ["scheduled", "cancelled"]},
            "created_by": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "AppointmentRequest": {
        "type": "object", "required": ["process_instance_id", "starts_at", "ends_at", "place", "participants"],
        "properties": {
            "process_instance_id": {"type": "integer"},
            "starts_at": {"type": "string", "format": "date-time", "examples": ["2026-12-10T10:00:00+01:00"]},
            "ends_at": {"type": "string", "format": "date-time"},
            "place": {"type": "string", "maxLength": 200},
            "participants": {"type": "array", "items": {"type": "string"},
                             "description": "Benutzernamen von Beteiligten des Falls"},
            "kind": {"type": "string", "enum": list(services.KINDS), "default": services.DEFAULT_KIND},
            "title": {"type": "string", "maxLength": 200},
            "language": {"type": "string", "maxLength": 200,
                         "description": "Vorgabe: die Sprache aus den Falldaten"},
        },
    },
}

bp = api_blueprint("appointments_api", __name__, SCHEMAS)


def appointment_json(appointment: Appointment) -> dict:
    return {
        "id": appointment.id, "process_instance_id": appointment.instance_id,
        "reference": appointment.instance.reference, "kind": appointment.kind, "title": appointment.title,
        "starts_at": iso(appointment.starts_at), "ends_at": iso(appointment.ends_at), "place": appointment.place,
        "language": appointment.language, "participants": [u.username for u in appointment.people],
        "status": appointment.status, "created_by": appointment.created_by.username,
        "created_at": iso(appointment.created_at),
    }


def _moment_arg(name: str, *, end: bool = False) -> datetime | None:
    """``from``/``to``: a day (the whole office day counts) or an instant with offset."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        if len(raw) == 10:
            first, after = day_bounds(date.fromisoformat(raw), date.fromisoformat(raw))
            return after if end else first
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ApiError(400, "bad_request", _("Der Parameter „%(name)s“ muss ein Datum (JJJJ-MM-TT) oder ein "
                                              "Zeitpunkt mit Zeitzone sein.", name=name))
    return moment


@bp.get("/appointments")
@describe("listAppointments", "Ihre Termine (an denen Sie teilnehmen oder die Sie vereinbart haben)",
          tag="appointments",
          parameters=[query("from", "ab (Datum JJJJ-MM-TT oder Zeitpunkt mit Zeitzone)", {"type": "string"}),
                      query("to", "bis (Datum einschließlich, oder Zeitpunkt ausschließlich)", {"type": "string"})],
          responses={"200": json_response({"type": "array", "items": ref("Appointment")}, "OK"),
                     **errors("400", "401")})
@require_token
def list_appointments():
    start, end = _moment_arg("from"), _moment_arg("to", end=True)
    accesslog.list_read(g.api_user, APPOINTMENT)
    return jsonify([appointment_json(a) for a in services.appointments_of(g.api_user, start, end)])


@bp.post("/appointments")
@describe("createAppointment", "Termin zu einem Fall vereinbaren (Fachkräfte des Falls)", tag="appointments",
          request_body=json_body(ref("AppointmentRequest")),
          responses={"201": json_response(ref("Appointment"), "Termin vereinbart"),
                     **errors("400", "401", "403", "404", "409", "422")})
@require_token
def create_appointment():
    user = g.api_user
    body = dict(json_object())
    raw_id = body.pop("process_instance_id", None)
    if isinstance(raw_id, bool) or not isinstance(raw_id, int | str):
        raise validation_error({"process_instance_id": [_("Bitte die ID des Falls angeben.")]})
    try:
        instance_id = bounded_int(str(raw_id))  # beyond every id: 404 (no such case)
    except ValueError:
        raise validation_error({"process_instance_id": [_("Bitte die ID des Falls angeben.")]}) from None
    instance, level = get_visible_instance_or_404(user, instance_id)
    if not services.may_book(user, instance, level):
        raise ApiError(403, "forbidden", _("Termine dieses Falls vereinbaren nur die Fachkräfte, die den Fall "
                                           "bearbeiten."))
    if instance.status != RUNNING:
        raise ApiError(409, "conflict", _("Der Fall ist nicht aktiv."))
    people = services.case_people(instance)
    form = AppointmentForm(formdata=json_to_formdata(body), people=people, meta={"csrf": False})
    problems = validate_json(form_schema(form), body)
    if problems:
        raise validation_error(problems)
    if not form.validate():
        raise validation_error(form_errors(form))
    assert form.starts_at.data is not None and form.ends_at.data is not None  # InputRequired
    wanted = set(form.participants.data or [])
    appointment = services.book(
        instance, user, kind=form.kind.data or services.DEFAULT_KIND, title=form.title.data or "",
        starts_at=form.starts_at.data, ends_at=form.ends_at.data, place=form.place.data or "",
        participants=[u for u in people if u.username in wanted],
        language=form.language.data if body.get("language") is not None else None)
    return jsonify(appointment_json(appointment)), 201
