"""Bearer tokens of the JSON API: issue, check (``require_token``), revoke.

Only the SHA-256 hash of a token is stored; the token itself is shown once, on creation.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import wraps

from flask import current_app, g, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.auth.models import ApiToken, User
from app.extensions import db
from app.timeutil import aware, utcnow
from app.web.errors import json_error


def issue_token(user: User) -> tuple[str, ApiToken]:
    """Create a token for ``user``; returns the plain token (shown once) and its row."""
    token = secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        token_hash=ApiToken.hash(token),
        created_at=utcnow(),
        expires_at=utcnow() + timedelta(hours=current_app.config["API_TOKEN_HOURS"]),
    )
    db.session.add(row)
    db.session.flush()
    return token, row


def revoke(row: ApiToken) -> None:
    row.revoked = True
    db.session.flush()


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def token_user(token: str) -> tuple[User, ApiToken] | None:
    """The active user and token row for a valid, unexpired, unrevoked ``token``."""
    # One statement for the token, its user and the user's roles and memberships (every request
    # checks them): a few joined rows instead of three round trips.
    owner = joinedload(ApiToken.user)
    row = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(token))
        .options(owner.joinedload(User.role_rows), owner.joinedload(User.memberships))
    ).unique().scalar_one_or_none()
    if row is None or row.revoked or aware(row.expires_at) <= utcnow():
        return None
    user = row.user
    if user is None or not user.active:
        return None
    return user, row


def unauthorized(message: str | None = None):
    """The 401 answer, with the challenge RFC 6750 asks for. Nothing is saved (the edge rolls a
    4xx back) unless the view said ``transaction.keep()``: a failed sign-in counts."""
    response = json_error(401, "unauthorized", message or _("Anmeldung erforderlich: gültiges Token fehlt."))
    response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def second_factor_required_message() -> str:
    return _("Für Ihr Konto ist ein zweiter Faktor vorgeschrieben. Bitte richten Sie ihn zuerst im "
             "Browser unter „Zweiter Faktor“ ein.")


def password_change_required_message() -> str:
    return _("Ihr Passwort wurde von der Administration festgelegt. Bitte melden Sie sich im Browser an "
             "und wählen Sie unter „Passwort ändern“ ein eigenes Passwort; erst danach funktioniert die API.")


def require_token(view):
    """Decorator: the request must carry a valid bearer token; sets ``g.api_user``."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        token = _bearer_token()
        found = token_user(token) if token else None
        if found is None:
            if token:
                return unauthorized(_("Das Token ist ungültig, abgelaufen oder widerrufen."))
            return unauthorized()
        g.api_user, g.api_token = found
        g.api_locale = found[0].locale  # read now: translating an error must not need the database
        if (current_app.config.get("REQUIRE_2FA") and found[0].second_factor_by_role
                and not found[0].has_second_factor):  # a token from before REQUIRE_2FA
            return json_error(403, "second_factor_required", second_factor_required_message())
        if found[0].must_change_password and found[0].auth_source == "local":  # a token from before a reset
            return json_error(403, "password_change_required", password_change_required_message())
        return view(*args, **kwargs)

    wrapper.requires_token = True  # type: ignore[attr-defined]  # the OpenAPI security is checked against it
    return wrapper
