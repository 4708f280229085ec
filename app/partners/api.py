"""API v1: invite a partner user to a case with the consented data categories, end the invitation.

Who may: full participants of the owning team of a junge_erwachsene case. A case the caller may
not see is 404; one they see but may not manage, 403. A consent that does not cover the
invitation is 422 with the German reason.
"""

from __future__ import annotations

from flask import g, jsonify
from flask_babel import gettext as _
from sqlalchemy import select

from app.api import ApiError, api_blueprint, describe, json_object, validation_error
from app.api.auth import require_token
from app.api.openapi import errors, json_body, json_response, path_id, ref
from app.auth.access import access_level
from app.auth.models import User
from app.engine.models import ProcessInstance
from app.extensions import db
from app.partners import services
from forms.junge_erwachsene import DATENKATEGORIEN

SCHEMAS = {
    "PartnerInvitation": {
        "type": "object", "required": ["username", "partner_type", "categories", "invited_at", "invited_by"],
        "properties": {
            "username": {"type": "string"},
            "partner_type": {"type": "string"},
            "categories": {"type": "array", "items": {"type": "string", "enum": list(DATENKATEGORIEN)}},
            "invited_at": {"type": "string", "format": "date-time"},
            "invited_by": {"type": ["string", "null"], "description": "Benutzername"},
        },
    },
    "PartnerInvitationRequest": {
        "type": "object", "required": ["username", "categories"],
        "properties": {
            "username": {"type": "string", "description": "Benutzername der Person der Partnerorganisation"},
            "categories": {"type": "array", "items": {"type": "string", "enum": list(DATENKATEGORIEN)},
                           "description": "Datenkategorien; die Einwilligung muss jede umfassen, stammdaten immer"},
        },
    },
}
INSTANCE_ID = path_id("id", "ID des Falls")
USERNAME = {"name": "username", "in": "path", "required": True, "schema": {"type": "string"},
            "description": "Benutzername der eingeladenen Person"}

bp = api_blueprint("partners_api", __name__, SCHEMAS)


def _case(instance_id: int) -> ProcessInstance:
    instance = db.session.get(ProcessInstance, instance_id)
    level = access_level(g.api_user, instance) if instance is not None else None
    if instance is None or level is None or not services.is_je_case(instance):
        raise ApiError(404, "not_found", _("Fall nicht gefunden."))
    if not services.may_manage(g.api_user, instance, level):
        raise ApiError(403, "forbidden", _("Partner lädt das fallverantwortliche Team ein."))
    return instance


def invitation_json(invitation) -> dict:
    return {"username": invitation.user.username, "partner_type": invitation.partner_type,
            "categories": list(invitation.categories or []), "invited_at": invitation.invited_at.isoformat(),
            "invited_by": invitation.invited_by.username if invitation.invited_by else None}


@bp.post("/process-instances/<int:instance_id>/partners")
@describe("invitePartner", "Eine Person einer Partnerorganisation mit den eingewilligten Datenkategorien einladen",
          tag="processes", parameters=[INSTANCE_ID], request_body=json_body(ref("PartnerInvitationRequest")),
          responses={"201": json_response(ref("PartnerInvitation"), "Eingeladen"),
                     **errors("400", "401", "403", "404", "409", "422")})
@require_token
def invite(instance_id: int):
    instance = _case(instance_id)
    body = json_object()
    username = body.get("username")
    if not isinstance(username, str) or not username:
        raise validation_error({"username": [_("Bitte eine Person einer Partnerorganisation wählen.")]})
    partner = db.session.scalar(select(User).where(User.username == username))
    try:
        invitation = services.invite(instance, g.api_user, partner, body.get("categories"))
    except services.InvitationError as exc:
        if exc.status == 422:
            raise ApiError(422, "validation_failed", exc.message, {exc.field: [exc.message]}) from None
        raise ApiError(exc.status, "conflict", exc.message) from None
    return jsonify(invitation_json(invitation)), 201


@bp.delete("/process-instances/<int:instance_id>/partners/<username>")
@describe("endPartnerInvitation", "Die Einladung einer Partnerin / eines Partners beenden (Zugriff endet sofort)",
          tag="processes", parameters=[INSTANCE_ID, USERNAME],
          responses={"204": {"description": "Einladung beendet"}, **errors("401", "403", "404")})
@require_token
def end(instance_id: int, username: str):
    instance = _case(instance_id)
    partner = db.session.scalar(select(User).where(User.username == username))
    if partner is None or services.invitation_of(instance.id, partner.id) is None:
        raise ApiError(404, "not_found", _("Diese Person ist nicht eingeladen."))
    services.end(instance, g.api_user, partner)
    return "", 204
