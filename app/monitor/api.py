"""API v1: supervisors' interventions (``POST /api/v1/process-instances/{id}/interventions``).

The body names the intervention (``kind``) and carries the same fields as the browser form
(``grund`` always; ``aufgabe`` and ``person`` or ``team`` for reassign; ``schritt`` for reset),
validated by the same WTForms classes.
"""

from __future__ import annotations

from flask import g, jsonify
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app.api import ApiError, api_blueprint, describe, json_object, validation_error
from app.api.auth import require_token
from app.api.openapi import errors, json_body, json_response, path_id, ref
from app.auth.access import access_level
from app.cases.serialize import instance_json
from app.engine.models import FULL, ProcessInstance
from app.extensions import db
from app.monitor import actions, services
from app.monitor.forms import INTERVENTION_FORMS

FIELDS = ("grund", "aufgabe", "person", "team", "schritt")
BODY = {
    "type": "object", "additionalProperties": False, "required": ["kind", "grund"],
    "properties": {
        "kind": {"type": "string", "enum": ["reassign", "suspend", "resume", "terminate", "reset"],
                 "description": "neu zuweisen, anhalten, fortsetzen, beenden, zurücksetzen"},
        "grund": {"type": "string", "title": "Grund", "maxLength": 2000},
        "aufgabe": {"type": "integer", "description": "reassign: ID der offenen Aufgabe"},
        "person": {"type": "string", "description": "reassign: Benutzername (oder team)"},
        "team": {"type": "string", "description": "reassign: Team-Schlüssel (oder person)"},
        "schritt": {"type": "integer",
                    "description": "reset: ID der erledigten Aufgabe, die erneut zu bearbeiten ist"},
    },
}

bp = api_blueprint("monitor_api", __name__)


@bp.post("/process-instances/<int:instance_id>/interventions")
@describe("intervene", "Eingriff der Leitung des fallverantwortlichen Teams (mit Grund, in der Fallhistorie)",
          tag="monitoring", parameters=[path_id("id", "ID des Falls")], request_body=json_body(BODY),
          responses={"200": json_response({"type": "object", "required": ["message", "instance"], "properties": {
              "message": {"type": "string"}, "instance": ref("Instance")}}, "ausgeführt; der Fall danach"),
              **errors("400", "401", "403", "404", "409", "422")})
@require_token
def intervene(instance_id: int):
    user = g.api_user
    if not services.led_team_ids(user):
        raise ApiError(403, "forbidden", _("Nur die Leitung des fallverantwortlichen Teams darf eingreifen."))
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None or not services.can_intervene(user, instance):
        raise ApiError(404, "not_found", _("Diesen Fall gibt es nicht oder Sie sehen ihn nicht."))
    body = json_object()
    kind = body.get("kind")
    if kind not in INTERVENTION_FORMS:
        raise validation_error({"kind": [_("Bitte eine Art des Eingriffs angeben: %(kinds)s.",
                                           kinds=", ".join(INTERVENTION_FORMS))]})
    if kind not in actions.available(instance):
        raise ApiError(409, "conflict", _("Dieser Eingriff ist im aktuellen Status des Falls nicht möglich."))
    unknown = sorted(set(body) - {"kind", *FIELDS})
    if unknown:
        raise validation_error({name: [_("Unbekanntes Feld.")] for name in unknown})
    wrong = [n for n in FIELDS if body.get(n) is not None and not isinstance(body[n], (str, int))
             or isinstance(body.get(n), bool)]
    if wrong:
        raise validation_error({name: [_("Erwartet wird ein Text oder eine Zahl.")] for name in wrong})
    formdata = MultiDict({f"{kind}-{name}": str(body[name]) for name in FIELDS if body.get(name) is not None})
    form = actions.build_form(kind, instance, formdata=formdata, csrf=False)
    if not form.validate():
        raise validation_error({name.removeprefix(f"{kind}-"): [str(e) for e in errors]
                                for name, errors in form.errors.items()})
    message = actions.apply(kind, instance, form, user)
    return jsonify({"message": message, "instance": instance_json(instance, access_level(user, instance) or FULL)})
