"""Login with OpenID Connect (Keycloak, Azure AD / Entra ID, any certified provider).

Authorization Code flow with PKCE (S256), ``state`` and ``nonce``, done by Authlib: discovery from
``OIDC_ISSUER/.well-known/openid-configuration``, the ID token's signature (the provider's JWKS),
issuer, audience, expiry and nonce checked by Authlib's OpenID client. The person the provider
confirmed becomes a Fallwerk user through ``provision`` (teams and roles from the group mapping),
then the login goes on exactly like a local one: the second factor if the user has one, a fresh
session, back to ``next``.

Why not ``authlib.integrations.flask_client.OAuth``: it imports ``requests``, which Fallwerk does
not install. Authlib's framework-neutral client (``BaseApp`` with the OAuth 2 and OpenID mixins,
the same classes the Flask client is made of) runs here on Authlib's httpx transport; the Flask
glue (state data in the session) is the few lines of ``start``/``callback`` below.

Logout (RP-initiated logout, OpenID Connect RP-Initiated Logout 1.0): when the provider's
discovery names an ``end_session_endpoint`` (and ``OIDC_LOGOUT_AT_PROVIDER`` is on), the login
keeps the ID token in ``OidcLogin`` (the session holds only its random key); logging out ends the
Fallwerk session and sends the browser to that endpoint with ``id_token_hint``, ``client_id`` and
``post_logout_redirect_uri`` (our login page), so the provider's session ends too. Without the
endpoint, or when the provider cannot be asked, the logout is local only.

Every failure (provider unreachable, state missing or replayed, a token that does not check out,
the provider's ``error`` parameter, provisioning refused) ends on the login page with a German
message and nobody logged in; the reason goes to the log for the operations team.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import httpx
from authlib.common.urls import add_params_to_uri
from authlib.integrations.base_client import BaseApp, FrameworkIntegration, OAuth2Mixin, OAuthError, OpenIDMixin
from authlib.integrations.httpx_client import OAuth2Client
from flask import Blueprint, Flask, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from joserfc.errors import JoseError
from sqlalchemy import delete, select

from app import timeutil
from app.auth import sessions, twofactor
from app.auth.models import User
from app.auth.routes import (
    LOGOUT_REDIRECT_KEY,
    _await_second_step,  # the local login's second step, reused as it is
)
from app.directory.models import SOURCE_OIDC, OidcLogin
from app.directory.provision import DirectoryRefused, provision
from app.extensions import db
from app.web.redirects import safe_redirect, safe_target

log = logging.getLogger(__name__)

bp = Blueprint("directory_oidc", __name__)

_EXTENSION = "fallwerk.oidc"
#: The session's key of the ID token kept for the provider logout (``OidcLogin.key``).
LOGOUT_KEY = "oidc_logout"
#: What can go wrong talking to the provider; each ends on the login page, never as a 500.
_PROTOCOL_ERRORS = (OAuthError, httpx.HTTPError, JoseError, ValueError, KeyError, TypeError, RuntimeError)


def login_methods(config: Any) -> set[str]:
    """LOGIN_METHODS as a set ("local,ldap,oidc"; a list is accepted too)."""
    value = config.get("LOGIN_METHODS", "local")
    parts = value.split(",") if isinstance(value, str) else list(value or [])
    return {str(part).strip().lower() for part in parts if str(part).strip()}


def enabled(config: Any) -> bool:
    return "oidc" in login_methods(config) and bool(config.get("OIDC_ISSUER")) and bool(config.get("OIDC_CLIENT_ID"))


class _Session(FrameworkIntegration):
    """State, nonce and PKCE verifier live in the (signed) session cookie until the callback."""

    def update_token(self, token, refresh_token=None, access_token=None):
        """Tokens are used once, at login, and never stored."""


class _Provider(OAuth2Mixin, OpenIDMixin, BaseApp):
    client_cls = OAuth2Client


def _provider() -> _Provider:
    """The app's OpenID client (one per app: tests run apps with different providers)."""
    client = current_app.extensions.get(_EXTENSION)
    if client is None:
        config = current_app.config
        secret = config.get("OIDC_CLIENT_SECRET") or None
        client = _Provider(
            _Session("oidc"), name="oidc", client_id=config["OIDC_CLIENT_ID"], client_secret=secret,
            server_metadata_url=config["OIDC_ISSUER"].rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": config.get("OIDC_SCOPES") or "openid profile email",
                           "code_challenge_method": "S256",
                           # a public client (no secret) authenticates with PKCE alone
                           "token_endpoint_auth_method": "client_secret_basic" if secret else "none",
                           "timeout": config.get("OIDC_TIMEOUT_SECONDS", 10.0),
                           # Authlib opens a new HTTP client per call; one TLS context for all of
                           # them (loading the CA bundle costs more than the call). httpx's own:
                           # certifi, or SSL_CERT_FILE / SSL_CERT_DIR for an internal CA.
                           "verify": httpx.create_ssl_context()})
        current_app.extensions[_EXTENSION] = client
    return client


def _metadata(client: _Provider) -> dict:
    """The discovery document; its issuer must be the configured one (OpenID Connect Discovery
    §4.3: no provider may speak for another)."""
    metadata = client.load_server_metadata()
    if str(metadata.get("issuer", "")).rstrip("/") != current_app.config["OIDC_ISSUER"].rstrip("/"):
        raise ValueError(f"discovery names issuer {metadata.get('issuer')!r}, configured is "
                         f"{current_app.config['OIDC_ISSUER']!r}")
    return metadata


def _refused(message: str, reason: str) -> Any:
    """Back to the login page with ``message``; nobody is logged in by this request."""
    log.warning("OpenID Connect login refused: %s", reason)
    flash(message, "error")
    return redirect(url_for("auth.login"))


def _unreachable() -> str:
    return _("Die Anmeldung über den Anmeldedienst ist gerade nicht möglich. Bitte versuchen Sie es "
             "später noch einmal oder wenden Sie sich an die Administration.")


@bp.route("/login/oidc")
def start():
    """Off to the provider's authorization endpoint (state, nonce and PKCE verifier kept in the
    session for the callback)."""
    if not enabled(current_app.config):
        abort(404)
    client = _provider()
    redirect_uri = current_app.config.get("OIDC_REDIRECT_URI") or url_for("directory_oidc.callback", _external=True)
    try:
        _metadata(client)
        answer = client.create_authorization_url(redirect_uri)
    except _PROTOCOL_ERRORS as error:
        return _refused(_unreachable(), f"provider not usable: {error!r}")
    next_url = safe_target(request.args.get("next"))
    for key in [key for key in session if key.startswith("_state_oidc_")]:
        session.pop(key)  # one login under way per browser: the cookie does not grow with each click
    client.framework.set_state_data(session, answer["state"], {
        "redirect_uri": redirect_uri, "nonce": answer["nonce"], "code_verifier": answer["code_verifier"],
        "next": next_url})
    return redirect(answer["url"])


@bp.route("/login/oidc/callback")
def callback():
    """The provider sends the browser back: check everything, provision, log in."""
    if not enabled(current_app.config):
        abort(404)
    client = _provider()
    state = request.args.get("state") or ""
    pending = client.framework.get_state_data(session, state) if state else None
    if state:
        client.framework.clear_state_data(session, state)  # a state is good for one callback only
    if request.args.get("error"):
        return _refused(_("Die Anmeldung beim Anmeldedienst wurde abgebrochen oder abgelehnt."),
                        f"provider answered error={request.args.get('error')!r} "
                        f"({(request.args.get('error_description') or '')[:200]!r})")
    if not isinstance(pending, dict) or not request.args.get("code"):
        return _refused(_("Die Anmeldung ist abgelaufen oder wurde schon verwendet. Bitte melden Sie sich "
                          "erneut an."), "unknown, used or missing state, or no code")
    try:
        _metadata(client)
        token = client.fetch_access_token(redirect_uri=pending["redirect_uri"], code=request.args["code"],
                                          code_verifier=pending["code_verifier"])
        if "id_token" not in token:
            raise ValueError("the token answer holds no ID token")
        claims = dict(client.parse_id_token(token, nonce=pending["nonce"], claims_options=_id_token_rules(client)))
        claims = _with_userinfo(client, token, claims)
    except _PROTOCOL_ERRORS as error:
        return _refused(_("Die Anmeldung über den Anmeldedienst ist fehlgeschlagen. Bitte versuchen Sie es "
                          "erneut oder wenden Sie sich an die Administration."), f"token exchange: {error!r}")
    config = current_app.config
    username = _text(_claim(claims, config.get("OIDC_USERNAME_CLAIM") or "preferred_username"))
    if not username:
        return _refused(_("Der Anmeldedienst hat keinen Benutzernamen übermittelt. Bitte wenden Sie sich an "
                          "die Administration."), f"no {config.get('OIDC_USERNAME_CLAIM')!r} claim")
    display_name = _text(claims.get("name")) or " ".join(
        part for part in (_text(claims.get("given_name")), _text(claims.get("family_name"))) if part)
    try:
        user = provision(SOURCE_OIDC, str(claims["sub"]), username, display_name, _text(claims.get("email")) or None,
                         _groups(_claim(claims, config.get("OIDC_GROUPS_CLAIM") or "groups")))
    except DirectoryRefused as refused:  # a deactivation stays (the answer is a redirect: committed)
        return _refused(str(refused), f"provisioning refused sub={claims['sub']!r}: {refused}")
    next_url = pending.get("next") or None
    logout_key = _keep_for_logout(client, user, token["id_token"])
    carry = {LOGOUT_KEY: logout_key} if logout_key else None
    if user.has_second_factor:  # exactly the local login's second step
        _await_second_step(user, next_url, carry)
        return redirect(url_for("auth.second_factor"))
    sessions.start_session(user)
    session.update(carry or {})
    if twofactor.must_enrol(user):
        return redirect(url_for("auth.two_factor"))
    return safe_redirect(next_url)


# --- logout at the provider (RP-initiated logout) ----------------------------------------------

def _logout_at_provider() -> bool:
    return bool(current_app.config.get("OIDC_LOGOUT_AT_PROVIDER", True))


def _keep_for_logout(client: _Provider, user: User, id_token: str) -> str | None:
    """Keep the ID token of this login for the provider logout when the provider offers one;
    returns the key the session holds. Rows older than a session's lifetime go (their sessions
    have ended without a logout)."""
    cutoff = timeutil.utcnow() - current_app.permanent_session_lifetime
    db.session.execute(delete(OidcLogin).where(OidcLogin.created_at < cutoff))
    if not _logout_at_provider():
        return None
    try:
        if not _metadata(client).get("end_session_endpoint"):
            return None
    except _PROTOCOL_ERRORS:  # read moments ago for the login; just no provider logout then
        return None
    key = secrets.token_urlsafe(32)
    db.session.add(OidcLogin(key=key, user_id=user.id, id_token=id_token))
    db.session.flush()
    return key


def end_session_url(user: User) -> str | None:
    """The logout hook (``auth.logout``, before the session is cleared): where the browser goes to
    end the provider's session too; None: the login page (not an OpenID Connect login, no
    end-session endpoint, the provider cannot be asked)."""
    key = session.get(LOGOUT_KEY)
    if not isinstance(key, str) or not key:
        return None
    login = db.session.scalar(select(OidcLogin).where(OidcLogin.key == key, OidcLogin.user_id == user.id))
    if login is None:
        return None
    id_token = login.id_token
    db.session.delete(login)  # used once
    config = current_app.config
    if not enabled(config) or not _logout_at_provider():
        return None
    try:
        endpoint = _metadata(_provider()).get("end_session_endpoint")
    except _PROTOCOL_ERRORS as error:
        log.warning("OpenID Connect logout at the provider skipped (local logout only): %r", error)
        return None
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
        return None
    back = config.get("OIDC_POST_LOGOUT_REDIRECT_URI") or url_for("auth.login", _external=True)
    return add_params_to_uri(endpoint, [("id_token_hint", id_token), ("client_id", config["OIDC_CLIENT_ID"]),
                                        ("post_logout_redirect_uri", back)])


def _id_token_rules(client: _Provider) -> dict:
    """What the ID token must say (OpenID Connect Core §3.1.3.7) beyond its signature, nonce and
    ``azp``, which Authlib checks anyway: our issuer, our client id among its audiences, an expiry
    (and issue time; Authlib allows two minutes of clock skew)."""
    return {"iss": {"essential": True, "values": [_metadata(client)["issuer"]]},
            "aud": {"essential": True, "values": [current_app.config["OIDC_CLIENT_ID"]]},
            "exp": {"essential": True}, "iat": {"essential": True}, "sub": {"essential": True}}


def _with_userinfo(client: _Provider, token: dict, claims: dict) -> dict:
    """Claims of the ID token, completed from the userinfo endpoint when the groups (or the user
    name) are not in it (providers keep large claims out of the token)."""
    config = current_app.config
    wanted = (config.get("OIDC_GROUPS_CLAIM") or "groups", config.get("OIDC_USERNAME_CLAIM") or "preferred_username")
    if all(_claim(claims, name) is not None for name in wanted):
        return claims
    if not _metadata(client).get("userinfo_endpoint"):
        return claims
    info = dict(client.userinfo(token=token))
    if info.get("sub") != claims.get("sub"):  # OpenID Connect Core §5.3.2
        raise ValueError("userinfo names another subject than the ID token")
    return {**info, **{name: value for name, value in claims.items() if value is not None}}


def _claim(claims: dict, name: str) -> Any:
    """A claim by name, or by a dotted path into nested claims (Keycloak's ``realm_access.roles``);
    a name that itself holds dots (``https://example.org/groups``) wins."""
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _groups(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []


def login_button() -> dict[str, str] | None:
    """For the login page (``oidc_login()`` in templates): the provider's button, when OpenID
    Connect is a login method."""
    config = current_app.config
    if not enabled(config):
        return None
    label = config.get("OIDC_BUTTON_LABEL") or _("Mit dem Dienstkonto anmelden")
    return {"label": label, "url": url_for("directory_oidc.start", next=request.args.get("next"))}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["oidc_login"] = login_button
    app.extensions[LOGOUT_REDIRECT_KEY] = end_session_url
