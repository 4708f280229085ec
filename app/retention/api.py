"""API v1: the legal hold of a case (set: POST, release: DELETE).

Who may: the case's supervisors (role leitung, leading its team) and the data protection officer
(role datenschutz). A case the caller may not see is 404; one they see but may not decide on, 403.
"""

from __future__ import annotations

from flask import g, jsonify
from flask_babel import gettext as _

from app.api import ApiError, api_blueprint, describe, json_object, validation_error
from app.api.auth import require_token
from app.api.openapi import NULLABLE_STR, TIMESTAMP, errors, json_body, json_response, path_id, ref
from app.engine.models import ProcessInstance
from app.retention import services
from app.retention.forms import REASON_MAX, HoldForm
from forms import form_errors, json_to_formdata

SCHEMAS = {
    "LegalHold": {
        "type": "object",
        "required": ["id", "process_instance_id", "reason", "held_by", "held_at", "released_by", "released_at"],
        "properties": {
            "id": {"type": "integer"},
            "process_instance_id": {"type": "integer"},
            "reason": {"type": "string"},
            "held_by": {**NULLABLE_STR, "description": "Benutzername"},
            "held_at": {"type": "string", "format": "date-time"},
            "released_by": {**NULLABLE_STR, "description": "Benutzername"},
            "released_at": TIMESTAMP,
        },
    },
    "LegalHoldRequest": {
        "type": "object", "required": ["reason"],
        "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": REASON_MAX,
                                  "description": "Grund der Löschsperre (ohne Gesundheits- oder Sozialdaten)"}},
        "additionalProperties": False,
    },
}
INSTANCE_ID = path_id("id", "ID des Falls")

bp = api_blueprint("retention_api", __name__, SCHEMAS)


def _case(instance_id: int) -> ProcessInstance:
    instance, status = services.hold_access(g.api_user, instance_id)
    if instance is None:
        if status == 403:
            raise ApiError(403, "forbidden", _("Über die Löschsperre entscheiden die Leitung des Teams und "
                                               "Datenschutzbeauftragte."))
        raise ApiError(404, "not_found", _("Fall nicht gefunden."))
    return instance


@bp.post("/process-instances/<int:instance_id>/legal-hold")
@describe("setLegalHold", "Löschsperre setzen: Der Fall wird nicht gelöscht, bis sie aufgehoben wird",
          tag="processes", parameters=[INSTANCE_ID], request_body=json_body(ref("LegalHoldRequest")),
          responses={"201": json_response(ref("LegalHold"), "Löschsperre gesetzt"),
                     **errors("400", "401", "403", "404", "409", "422")})
@require_token
def set_legal_hold(instance_id: int):
    instance = _case(instance_id)
    body = json_object()
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise validation_error({"reason": [_("Bitte den Grund als Text angeben.")]})
    form = HoldForm(formdata=json_to_formdata({"grund": reason or ""}), meta={"csrf": False})
    if not form.validate():
        raise validation_error({"reason": form_errors(form).get("grund", [])})
    try:
        hold = services.set_hold(instance, g.api_user, form.grund.data or "")
    except services.HoldError as exc:
        raise ApiError(exc.status, "conflict", exc.message) from None
    return jsonify(services.hold_json(hold)), 201


@bp.delete("/process-instances/<int:instance_id>/legal-hold")
@describe("releaseLegalHold", "Löschsperre aufheben (danach wird der Fall beim nächsten Löschlauf gelöscht, "
          "wenn seine Aufbewahrungsfrist abgelaufen ist)", tag="processes", parameters=[INSTANCE_ID],
          responses={"204": {"description": "Löschsperre aufgehoben"}, **errors("401", "403", "404")})
@require_token
def release_legal_hold(instance_id: int):
    instance = _case(instance_id)
    try:
        services.release_hold(instance, g.api_user)
    except services.HoldError as exc:
        raise ApiError(exc.status, "not_found", exc.message) from None
    return "", 204
