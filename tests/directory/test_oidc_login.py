"""Login with OpenID Connect against a real provider on loopback (oidc-provider-mock, a complete
Authlib-based provider: discovery, JWKS, authorization and token endpoints, userinfo).

The Flask test client cannot follow a redirect to another server: each login walks the way a
browser does — the app's /login/oidc (test client), the provider's authorization page and its
form (httpx against the real provider), the provider's redirect back into the app's callback
(test client again).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import socket
import threading
from urllib.parse import parse_qs, urlsplit

import httpx
import oidc_provider_mock
import pyotp
import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app.auth import twofactor
from app.auth.models import Team, User
from app.directory.models import LEAD, MEMBER, GroupMapping, OidcLogin
from app.extensions import db

CLIENT_ID, CLIENT_SECRET = "fallwerk", "client-secret-for-tests"


class Provider:
    """The provider's WSGI app behind a small hook the tests use to play a misbehaving network
    (``tamper``: a function changing the WSGI environ of the next token request) and to see what
    the app sent to the token endpoint."""

    def __init__(self) -> None:
        self.app = oidc_provider_mock.app(require_nonce=True)
        self.tamper = None
        self.before_userinfo = None  # called before the provider answers a userinfo request
        self.hide_end_session = False  # discovery without end_session_endpoint (a provider without logout)
        self.token_requests: list[dict[str, list[str]]] = []
        self.url = ""
        self.browser = httpx.Client()  # the person's browser at the provider (its form, no cookies needed)

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/oauth2/token":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            self.token_requests.append(parse_qs(body.decode()))
            environ["wsgi.input"] = io.BytesIO(body)
            if self.tamper is not None:
                self.tamper(environ)
        if environ.get("PATH_INFO") == "/userinfo" and self.before_userinfo is not None:
            self.before_userinfo()
        if environ.get("PATH_INFO") == "/.well-known/openid-configuration" and self.hide_end_session:
            return self._without_end_session(environ, start_response)
        return self.app(environ, start_response)

    def _without_end_session(self, environ, start_response):
        seen = {}
        body = b"".join(self.app(environ, lambda status, headers, exc=None: seen.update(status=status)))
        document = json.loads(body)
        document.pop("end_session_endpoint", None)
        body = json.dumps(document).encode()
        start_response(seen["status"], [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def set_user(self, sub: str, claims: dict) -> None:
        response = self.browser.put(f"{self.url}/users/{sub}", json=claims)
        assert response.status_code == 204, response.text


@pytest.fixture(scope="module")
def provider():
    """One provider for the module, on a free loopback port, served from a thread."""
    wrapped = Provider()
    server = make_server("127.0.0.1", 0, wrapped, threaded=True)
    wrapped.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield wrapped
    wrapped.browser.close()
    server.shutdown()
    thread.join(5)
    server.server_close()


@pytest.fixture
def oidc_app(make_app, provider):
    provider.tamper = provider.before_userinfo = None
    provider.hide_end_session = False
    provider.token_requests.clear()
    app = make_app(_settings(provider.url))
    with app.app_context():
        teams = {t.key: t.id for t in db.session.scalars(select(Team))}
        db.session.add_all([
            GroupMapping(source="oidc", group_name="fallwerk-asd", team_id=teams["asd"], kind=MEMBER),
            GroupMapping(source="oidc", group_name="fallwerk-asd-leitung", team_id=teams["asd"], kind=LEAD),
            GroupMapping(source="oidc", group_name="fallwerk-asd-leitung", role="leitung"),
            GroupMapping(source="oidc", group_name="fallwerk-fachkraefte", role="fachkraft"),
        ])
        db.session.commit()
    return app


def _settings(issuer: str, **extra) -> dict:
    return {"LOGIN_METHODS": "local,oidc", "OIDC_ISSUER": issuer, "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET, "OIDC_BUTTON_LABEL": "Mit dem Dienstkonto anmelden", **extra}


def _claims(username: str, groups: list[str], **extra) -> dict:
    return {"preferred_username": username, "name": f"{username.title()} Beispiel",
            "email": f"{username}@example.org", "groups": groups, **extra}


def authorize(client, provider, sub: str, path: str = "/login/oidc", *, deny: bool = False) -> str:
    """Start at the app, log in at the provider (its real form); the URL it sends the browser back
    to (the app's callback with code and state)."""
    start = client.get(path)
    assert start.status_code == 302, start.get_data(as_text=True)
    authorization_url = start.headers["Location"]
    assert authorization_url.startswith(f"{provider.url}/oauth2/authorize?")
    page = provider.browser.get(authorization_url)
    assert page.status_code == 200 and 'name="sub"' in page.text  # the provider's login form
    answer = provider.browser.post(authorization_url, data={"action": "deny"} if deny else {"sub": sub})
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def back_to_app(client, callback_url: str):
    parts = urlsplit(callback_url)
    assert parts.path == "/login/oidc/callback"
    return client.get(f"{parts.path}?{parts.query}")


def oidc_login(client, provider, sub: str, claims: dict | None = None, path: str = "/login/oidc"):
    if claims is not None:
        provider.set_user(sub, claims)
    return back_to_app(client, authorize(client, provider, sub, path))


def _user(app, username: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None:
            db.session.expunge(user)
        return user


def _grants(app, username: str) -> tuple[list[str], set[tuple[str, str]]]:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        assert user is not None
        return sorted(user.roles), {(m.team.key, m.kind) for m in user.memberships}


def _login_page_message(client, response) -> str:
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    return client.get("/login").get_data(as_text=True)


def _logged_out(client) -> bool:
    inbox = client.get("/aufgaben")
    return inbox.status_code == 302 and "/login" in inbox.headers["Location"]


def test_login_page_shows_the_button_only_when_oidc_is_a_login_method(oidc_app, make_app, provider):
    page = oidc_app.test_client().get("/login?next=/statistik").get_data(as_text=True)
    assert "Mit dem Dienstkonto anmelden" in page and "/login/oidc?next=/statistik" in page
    local_only = make_app(_settings(provider.url, LOGIN_METHODS="local"))
    assert "Mit dem Dienstkonto anmelden" not in local_only.test_client().get("/login").get_data(as_text=True)
    assert local_only.test_client().get("/login/oidc").status_code == 404


def test_first_login_creates_the_user_with_mapped_team_and_role_and_shows_the_inbox(oidc_app, provider):
    client = oidc_app.test_client()
    answer = oidc_login(client, provider, "sub-anna", _claims("anna.oidc", ["fallwerk-asd", "Fallwerk-Fachkraefte",
                                                                           "unmapped-group"]))
    assert answer.status_code == 302 and answer.headers["Location"] == "/aufgaben"
    user = _user(oidc_app, "anna.oidc")
    assert user is not None and user.auth_source == "oidc" and user.external_id == "sub-anna"
    assert user.display_name == "Anna.Oidc Beispiel" and user.email == "anna.oidc@example.org"
    assert user.last_login_at is not None and user.active
    assert _grants(oidc_app, "anna.oidc") == (["fachkraft"], {("asd", MEMBER)})
    inbox = client.get("/aufgaben")
    assert inbox.status_code == 200 and "Anna.Oidc Beispiel" in inbox.get_data(as_text=True)
    # PKCE: the token request carried the verifier of the S256 challenge sent to the provider
    (sent,) = provider.token_requests
    assert "code_verifier" in sent and "client_secret" not in sent  # the secret goes in the Basic header


def test_authorization_request_carries_state_nonce_and_an_s256_challenge(oidc_app, provider):
    client = oidc_app.test_client()
    provider.set_user("sub-pkce", _claims("pkce.oidc", ["fallwerk-asd"]))
    start = client.get("/login/oidc")
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    assert query["scope"] == ["openid profile email"] and query["code_challenge_method"] == ["S256"]
    assert query["state"][0] and query["nonce"][0]
    callback = provider.browser.post(start.headers["Location"], data={"sub": "sub-pkce"}).headers["location"]
    assert back_to_app(client, callback).headers["Location"] == "/aufgaben"
    verifier = provider.token_requests[-1]["code_verifier"][0]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert query["code_challenge"] == [challenge]


def test_group_mapping_lead_versus_member_and_role_and_the_next_page(oidc_app, provider):
    lead = oidc_app.test_client()
    answer = oidc_login(lead, provider, "sub-lena", _claims("lena.oidc", ["fallwerk-asd-leitung"]),
                        path="/login/oidc?next=/statistik")
    assert answer.headers["Location"] == "/statistik"
    assert _grants(oidc_app, "lena.oidc") == (["leitung"], {("asd", LEAD)})
    member = oidc_app.test_client()
    oidc_login(member, provider, "sub-max", _claims("max.oidc", ["fallwerk-asd", "fallwerk-fachkraefte"]))
    assert _grants(oidc_app, "max.oidc") == (["fachkraft"], {("asd", MEMBER)})
    both = oidc_app.test_client()  # member and lead of one team: lead wins
    oidc_login(both, provider, "sub-bea", _claims("bea.oidc", ["fallwerk-asd", "fallwerk-asd-leitung"]))
    assert _grants(oidc_app, "bea.oidc") == (["leitung"], {("asd", LEAD)})


def test_a_second_login_brings_name_email_and_groups_up_to_date(oidc_app, provider):
    client = oidc_app.test_client()
    oidc_login(client, provider, "sub-tom", _claims("tom.oidc", ["fallwerk-asd", "fallwerk-fachkraefte"]))
    again = oidc_app.test_client()
    answer = oidc_login(again, provider, "sub-tom", _claims("tom.oidc", ["fallwerk-asd-leitung"],
                                                           name="Tom Neuname", email="tom.neu@example.org"))
    assert answer.headers["Location"] == "/aufgaben"
    user = _user(oidc_app, "tom.oidc")
    assert user is not None and user.display_name == "Tom Neuname" and user.email == "tom.neu@example.org"
    assert _grants(oidc_app, "tom.oidc") == (["leitung"], {("asd", LEAD)})
    assert _logged_out(client)  # rights were lost (member, fachkraft): the older session ended
    with oidc_app.app_context():
        assert db.session.scalar(select(db.func.count(User.id)).where(User.external_id == "sub-tom")) == 1


def test_groups_removed_refuses_in_german_and_deactivates_the_account(oidc_app, provider):
    first = oidc_app.test_client()
    oidc_login(first, provider, "sub-uwe", _claims("uwe.oidc", ["fallwerk-asd"]))
    client = oidc_app.test_client()
    answer = oidc_login(client, provider, "sub-uwe", _claims("uwe.oidc", ["some-other-group"]))
    page = _login_page_message(client, answer)
    assert "keiner Gruppe von Fallwerk mehr zugeordnet" in page and "deaktiviert" in page
    user = _user(oidc_app, "uwe.oidc")
    assert user is not None and not user.active and user.deactivated_by == "directory"
    assert _logged_out(client) and _logged_out(first)
    # a person without any mapped group is not created at all
    stranger = oidc_app.test_client()
    page = _login_page_message(stranger, oidc_login(stranger, provider, "sub-zoe", _claims("zoe.oidc", [])))
    assert "keiner Gruppe von Fallwerk zugeordnet" in page and _user(oidc_app, "zoe.oidc") is None


def test_groups_missing_from_the_id_token_are_read_from_userinfo(oidc_app, provider):
    """Providers keep large claims out of the ID token: the user has no groups when the token is
    issued, and has them when the app asks the userinfo endpoint."""
    without_groups = {k: v for k, v in _claims("ute.oidc", []).items() if k != "groups"}
    provider.set_user("sub-ute", without_groups)
    asked = []

    def groups_now_known():
        asked.append(True)
        provider.set_user("sub-ute", _claims("ute.oidc", ["fallwerk-asd"]))

    provider.before_userinfo = groups_now_known
    client = oidc_app.test_client()
    callback = authorize(client, provider, "sub-ute")
    assert back_to_app(client, callback).headers["Location"] == "/aufgaben" and asked
    assert _grants(oidc_app, "ute.oidc") == ([], {("asd", MEMBER)})


def test_a_state_mismatch_and_a_replayed_callback_are_refused(oidc_app, provider):
    provider.set_user("sub-ida", _claims("ida.oidc", ["fallwerk-asd"]))
    client = oidc_app.test_client()
    callback = authorize(client, provider, "sub-ida")
    parts = urlsplit(callback)
    forged = parts.query.replace("state=", "state=x")
    page = _login_page_message(client, client.get(f"{parts.path}?{forged}"))
    assert "abgelaufen oder wurde schon verwendet" in page and _logged_out(client)
    # the same callback in another browser (no state in its session): refused
    other = oidc_app.test_client()
    assert "abgelaufen oder wurde schon verwendet" in _login_page_message(other, back_to_app(other, callback))
    assert _logged_out(other) and _user(oidc_app, "ida.oidc") is None
    # a real login, then its callback once more: the state is used up
    good = oidc_app.test_client()
    callback = authorize(good, provider, "sub-ida")
    assert back_to_app(good, callback).headers["Location"] == "/aufgaben"
    good.post("/logout")
    assert "abgelaufen oder wurde schon verwendet" in _login_page_message(good, back_to_app(good, callback))
    assert _logged_out(good)


def test_the_provider_refusing_the_login_is_a_german_message(oidc_app, provider):
    client = oidc_app.test_client()
    denied = back_to_app(client, authorize(client, provider, "sub-any", deny=True))
    assert "abgebrochen oder abgelehnt" in _login_page_message(client, denied) and _logged_out(client)


def _token_for_other_client(environ):
    """The token request authenticates as another client of the same provider: the ID token it
    gets is meant for that client (audience)."""
    other = base64.b64encode(b"another-client:whatever").decode()
    environ["HTTP_AUTHORIZATION"] = f"Basic {other}"


@pytest.mark.parametrize("tamper", ["audience", "issuer"])
def test_an_id_token_for_another_audience_or_from_another_issuer_is_refused(oidc_app, provider, tamper):
    provider.set_user("sub-eve", _claims("eve.oidc", ["fallwerk-asd"]))
    client = oidc_app.test_client()
    start = client.get("/login/oidc")
    url = start.headers["Location"]
    if tamper == "audience":  # the code is issued to another client id, and redeemed as it
        url = url.replace(f"client_id={CLIENT_ID}", "client_id=another-client")
        provider.tamper = _token_for_other_client
    else:  # the provider's token endpoint answers under another name: the ID token's iss differs
        port = urlsplit(provider.url).port
        provider.tamper = lambda environ: environ.update(HTTP_HOST=f"localhost:{port}")
    callback = provider.browser.post(url, data={"sub": "sub-eve"}).headers["location"]
    page = _login_page_message(client, back_to_app(client, callback))
    assert "Die Anmeldung über den Anmeldedienst ist fehlgeschlagen" in page
    assert _logged_out(client) and _user(oidc_app, "eve.oidc") is None


def test_provider_down_is_a_german_message_not_an_error(make_app):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = make_app(_settings(f"http://127.0.0.1:{port}", OIDC_TIMEOUT_SECONDS=2))
    client = app.test_client()
    page = _login_page_message(client, client.get("/login/oidc"))
    assert "gerade nicht möglich" in page and _logged_out(client)


def test_an_existing_local_account_of_the_same_name_is_not_taken_over(oidc_app, provider):
    client = oidc_app.test_client()
    answer = oidc_login(client, provider, "sub-intruder", _claims("fb36", ["fallwerk-asd-leitung"]))
    assert "gehört schon zu einem anderen Konto" in _login_page_message(client, answer)
    assert _logged_out(client)
    local = _user(oidc_app, "fb36")
    assert local is not None and local.auth_source == "local" and local.external_id is None
    assert _grants(oidc_app, "fb36")[0] == ["fachkraft"]


def test_a_user_with_a_second_factor_must_still_enter_the_code(oidc_app, provider, clock):
    client = oidc_app.test_client()
    oidc_login(client, provider, "sub-kai", _claims("kai.oidc", ["fallwerk-asd"]))
    with oidc_app.test_request_context():
        user = db.session.scalar(select(User).where(User.username == "kai.oidc"))
        totp = pyotp.TOTP(twofactor.begin_enrolment(user))
        assert twofactor.confirm_enrolment(user, totp.at(clock.now)) is not None
        db.session.commit()
    clock.advance(seconds=90)  # a fresh code
    fresh = oidc_app.test_client()
    answer = oidc_login(fresh, provider, "sub-kai", path="/login/oidc?next=/statistik")
    assert answer.headers["Location"].endswith("/login/zweiter-faktor")
    assert _logged_out(fresh)
    assert fresh.post("/login/zweiter-faktor", data={"code": "000000"}).status_code == 422
    step = fresh.post("/login/zweiter-faktor", data={"code": totp.at(clock.now)})
    assert step.status_code == 302 and step.headers["Location"] == "/statistik"
    assert fresh.get("/aufgaben").status_code == 200
    # the ID token kept at the callback survives the second step: logout ends the provider's session too
    out = fresh.post("/logout")
    assert out.headers["Location"].startswith(f"{provider.url}/oauth2/end_session?")
    assert "id_token_hint=" in out.headers["Location"]


# --- logout at the provider (RP-initiated logout) ---------------------------------------------------

def _claims_of(id_token: str) -> dict:
    payload = id_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _kept_tokens(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(OidcLogin.id_token)))


def test_logout_ends_the_session_at_the_provider_with_the_id_token_hint(oidc_app, provider):
    client = oidc_app.test_client()
    oidc_login(client, provider, "sub-lou", _claims("lou.oidc", ["fallwerk-asd"]))
    assert client.get("/aufgaben").status_code == 200
    [id_token] = _kept_tokens(oidc_app)
    assert _claims_of(id_token)["sub"] == "sub-lou" and _claims_of(id_token)["aud"] in (CLIENT_ID, [CLIENT_ID])
    out = client.post("/logout")
    assert out.status_code == 302
    target = out.headers["Location"]
    assert target.startswith(f"{provider.url}/oauth2/end_session?")  # from the discovery document
    query = parse_qs(urlsplit(target).query)
    assert query == {"id_token_hint": [id_token], "client_id": [CLIENT_ID],
                     "post_logout_redirect_uri": ["http://localhost/login"]}
    assert _logged_out(client) and _kept_tokens(oidc_app) == []  # the local session ended; the token is gone
    # the provider's end-session page (the mock asks for a confirmation) sends the browser back
    page = provider.browser.get(target)
    assert page.status_code == 200 and 'value="http://localhost/login"' in page.text
    assert "id_token_hint</code> not set" not in page.text
    confirmed = provider.browser.post(f"{provider.url}/oauth2/end_session/confirm",
                                      data={"redirect_uri": "http://localhost/login"})
    assert confirmed.status_code == 302 and confirmed.headers["location"] == "http://localhost/login"
    assert "Sie wurden abgemeldet." in client.get("/login").get_data(as_text=True)


def test_local_accounts_and_a_provider_without_logout_log_out_locally(oidc_app, make_app, provider):
    local = oidc_app.test_client()
    local.post("/login", data={"username": "fb36", "password": "demo"})
    assert local.post("/logout").headers["Location"] == "/login"
    provider.hide_end_session = True
    try:
        client = oidc_app.test_client()
        oidc_login(client, provider, "sub-nolo", _claims("nolo.oidc", ["fallwerk-asd"]))
        assert client.get("/aufgaben").status_code == 200 and _kept_tokens(oidc_app) == []
        assert client.post("/logout").headers["Location"] == "/login" and _logged_out(client)
    finally:
        provider.hide_end_session = False


def test_logout_at_the_provider_can_be_switched_off_and_the_return_address_set(oidc_app, make_app, provider):
    off = make_app({**oidc_app.config, "OIDC_LOGOUT_AT_PROVIDER": False})
    client = off.test_client()
    oidc_login(client, provider, "sub-off", _claims("off.oidc", ["fallwerk-asd"]))
    assert _kept_tokens(off) == []
    assert client.post("/logout").headers["Location"] == "/login" and _logged_out(client)
    back = make_app({**oidc_app.config, "OIDC_POST_LOGOUT_REDIRECT_URI": "https://fallwerk.example/login"})
    client = back.test_client()
    oidc_login(client, provider, "sub-off", _claims("off.oidc", ["fallwerk-asd"]))
    target = client.post("/logout").headers["Location"]
    assert parse_qs(urlsplit(target).query)["post_logout_redirect_uri"] == ["https://fallwerk.example/login"]
