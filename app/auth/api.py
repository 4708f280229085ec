"""API v1: tokens (sign in, sign out) and the caller (``/tokens``, ``/tokens/current``, ``/me``)."""

from __future__ import annotations

from flask import g, jsonify
from flask_babel import gettext as _

from app import transaction
from app.api import api_blueprint, describe, json_object, validation_error
from app.api.auth import (
    issue_token,
    password_change_required_message,
    require_token,
    revoke,
    second_factor_required_message,
    unauthorized,
)
from app.api.openapi import NULLABLE_STR, errors, json_body, json_response, ref
from app.auth import sessions, twofactor
from app.auth.models import ROLES
from app.auth.routes import authenticate, login_limits
from app.timeutil import iso
from app.web.errors import json_error

SCHEMAS = {
    "TokenRequest": {
        "type": "object", "required": ["username", "password"],
        "properties": {"username": {"type": "string"}, "password": {"type": "string"},
                       "code": {"type": "string", "description":
                                "Nur für Konten mit zweitem Faktor: der aktuelle Code der "
                                "Authenticator-App oder ein unbenutzter Wiederherstellungscode"}},
    },
    "Token": {
        "type": "object", "required": ["token", "expires_at"],
        "properties": {"token": {"type": "string"},
                       "expires_at": {"type": "string", "format": "date-time"}},
    },
    "Me": {
        "type": "object",
        "required": ["username", "display_name", "roles", "teams", "organisation"],
        "properties": {
            "username": {"type": "string"},
            "display_name": {"type": "string"},
            "roles": {"type": "array", "items": {"type": "string", "enum": ROLES}},
            "teams": {"type": "array", "items": {"type": "string"},
                      "description": "Schlüssel der Teams (Mitglied oder Leitung)"},
            "organisation": {**NULLABLE_STR, "description": "Schlüssel der Organisation"},
            "organisation_name": NULLABLE_STR,
            "memberships": {"type": "array", "items": {
                "type": "object",
                "properties": {"team": {"type": "string"}, "name": {"type": "string"},
                               "kind": {"type": "string", "enum": ["member", "lead"]}},
            }},
        },
    },
}

bp = api_blueprint("auth_api", __name__, SCHEMAS)


@bp.post("/tokens")
@describe("createToken", "Token anfordern (Anmeldung)", tag="auth", security=[],
          responses={"201": json_response(ref("Token"), "Token erstellt"), **errors("400", "401", "403", "422", "429"),
                     "503": {"description": "Das Verzeichnis (LDAP) ist nicht erreichbar"}},
          request_body=json_body(ref("TokenRequest")))
@login_limits  # per IP and per user name, like the web login
def create_token():
    body = json_object()
    username, password = body.get("username"), body.get("password")
    fields = {}
    if not isinstance(username, str) or not username.strip():
        fields["username"] = [_("Bitte Benutzernamen eingeben.")]
    if not isinstance(password, str) or not password:
        fields["password"] = [_("Bitte Passwort eingeben.")]
    if fields or not isinstance(username, str) or not isinstance(password, str):
        raise validation_error(fields)
    attempt = authenticate(username, password)  # throttled per account (app/auth/throttle.py)
    transaction.keep()  # the failure count (or its reset), also when the answer is 401/429
    if attempt.retry_after:
        response = json_error(429, "rate_limited", attempt.message or "")  # no rollback: keep() above
        response.headers["Retry-After"] = str(attempt.retry_after)
        return response
    if attempt.unavailable:  # directory login (app/directory/ldap.py): the directory is down
        return json_error(503, "directory_unavailable", attempt.message or "")
    user = attempt.user
    if user is None:
        return unauthorized(attempt.message)
    if user.has_second_factor:
        code = body.get("code")
        if not isinstance(code, str) or not code.strip():
            return unauthorized(_("Für dieses Konto ist ein zweiter Faktor eingerichtet: Bitte im Feld "
                                  "„code“ den aktuellen Code der Authenticator-App oder einen "
                                  "Wiederherstellungscode mitsenden."))
        second = twofactor.attempt(user, code)  # counted like the password
        if second.retry_after:
            response = json_error(429, "rate_limited", second.message or "")
            response.headers["Retry-After"] = str(second.retry_after)
            return response
        if second.user is None:
            return unauthorized(second.message)
    elif twofactor.must_enrol(user):
        return json_error(403, "second_factor_required", second_factor_required_message())
    if sessions.must_change_password(user):  # no token until the admin-set password is replaced
        return json_error(403, "password_change_required", password_change_required_message())
    token, row = issue_token(user)
    return jsonify({"token": token, "expires_at": iso(row.expires_at)}), 201


@bp.delete("/tokens/current")
@describe("revokeToken", "Das verwendete Token widerrufen", tag="auth",
          responses={"204": {"description": "widerrufen"}, **errors("401")})
@require_token
def delete_token():
    revoke(g.api_token)
    return "", 204


@bp.get("/me")
@describe("getMe", "Angemeldete Person", tag="auth", responses={"200": json_response(ref("Me"), "OK"), **errors("401")})
@require_token
def me():
    user = g.api_user
    return jsonify({
        "username": user.username,
        "display_name": user.display_name,
        "roles": user.roles,
        "teams": [m.team.key for m in user.memberships],
        "organisation": user.organisation.key if user.organisation else None,
        "memberships": [{"team": m.team.key, "name": m.team.name, "kind": m.kind}
                        for m in user.memberships],
        "organisation_name": user.organisation.name if user.organisation else None,
    })
