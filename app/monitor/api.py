"""API v1: supervisors' interventions (``POST /api/v1/process-instances/{id}/interventions``).

The body names the intervention (``kind``) and carries the same fields as the browser form
(``grund`` always; ``aufgabe`` and ``person`` or ``team`` for reassign; ``schritt`` for reset),
validated by the same WTForms classes.
"""

from __future__ import annotations

from flask import g, jsonify
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app.api import bp
from app.api.auth import require_token
from app.api.routes import ApiError, instance_json, json_object, validation_error
from app.auth.access import access_level
from app.engine.models import FULL, ProcessInstance
from app.extensions import db
from app.monitor import actions, services
from app.monitor.forms import INTERVENTION_FORMS

FIELDS = ("grund", "aufgabe", "person", "team", "schritt")


@bp.post("/process-instances/<int:instance_id>/interventions")
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
