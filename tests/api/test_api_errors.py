"""API errors: authentication, bad input, conflicts, permissions, hidden cases, rate limit."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from app.auth.models import MEMBER, ApiToken, Membership, Team, User
from app.extensions import db
from app.timeutil import utcnow
from tests.api.test_api_flow import (
    BASE,
    Api,
    api_login,
    complete,
    inbox_task,
    rueckmeldung_data,
    start_case,
)
from tests.flows import valid_data


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    return error


def case_with_bedarf(app) -> tuple[Api, int]:
    """fb36 (team ASD) has started a case and completed the Bedarfsermittlung."""
    fb36 = api_login(app, "fb36")
    case_id = start_case(fb36)["id"]
    complete(fb36, case_id, "bedarfsermittlung",
             valid_data("bedarfsermittlung", interne_notiz="Nur für das Team"))
    return fb36, case_id


def case_with_volunteer(app) -> tuple[Api, Api, int]:
    """A case in the running assignment with ehrenamt1 chosen as volunteer."""
    fb36, case_id = case_with_bedarf(app)
    k201 = api_login(app, "k201")
    complete(k201, case_id, "vermittlung", valid_data("vermittlung"))
    complete(fb36, case_id, "vorgespraech", valid_data("vorgespraech"))
    return fb36, k201, case_id


def add_k201_member(app, username: str = "k201b") -> None:
    with app.app_context():
        team = db.session.scalar(select(Team).where(Team.key == "k201"))
        user = User(username=username, display_name="Zweite Koordination",
                    organisation_id=team.organisation_id)
        user.roles = ["koordination"]
        user.set_password("demo")
        user.memberships.append(Membership(team=team, kind=MEMBER))
        db.session.add(user)
        db.session.commit()


# --- 401 -------------------------------------------------------------------------------------

@pytest.mark.parametrize("header", [None, "Bearer ", "Bearer falsch", "Basic ZmIzNjpkZW1v"])
def test_missing_or_invalid_token_is_401(client, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get(f"{BASE}/me", headers=headers)
    error_of(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_wrong_password_gets_no_token(client):
    response = client.post(f"{BASE}/tokens", json={"username": "fb36", "password": "falsch"})
    error_of(response, 401, "unauthorized")
    assert "token" not in response.get_json()


def test_revoked_token_is_401(app):
    fb36 = api_login(app, "fb36")
    assert fb36.get("/me").status_code == 200
    response = fb36.delete("/tokens/current")
    assert response.status_code == 204 and response.data == b""
    error_of(fb36.get("/me"), 401, "unauthorized")
    # Another token of the same person stays valid.
    assert api_login(app, "fb36").get("/me").status_code == 200


def test_expired_token_is_401(app):
    fb36 = api_login(app, "fb36")
    with app.app_context():
        row = db.session.scalar(
            select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(fb36.token)))
        row.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    error_of(fb36.get("/tasks"), 401, "unauthorized")


def test_token_expires_after_configured_hours(make_app):
    app = make_app({"API_TOKEN_HOURS": 2})
    response = app.test_client().post(f"{BASE}/tokens",
                                      json={"username": "k201", "password": "demo"})
    assert response.status_code == 201
    expires = datetime.fromisoformat(response.get_json()["expires_at"])
    assert timedelta(minutes=119) < expires - utcnow() <= timedelta(hours=2)


def test_token_request_is_rate_limited(make_app):
    app = make_app({"RATELIMIT_ENABLED": True, "RATELIMIT_LOGIN": "3 per minute"})
    client = app.test_client()
    right, wrong = {"username": "fb36", "password": "demo"}, {"username": "fb36", "password": "x"}
    assert client.post(f"{BASE}/tokens", json=right).status_code == 201
    for _ in range(2):
        assert client.post(f"{BASE}/tokens", json=wrong).status_code == 401
    response = client.post(f"{BASE}/tokens", json=right)
    error_of(response, 429, "rate_limited")


# --- 400 and 422 -----------------------------------------------------------------------------

@pytest.mark.parametrize("body", [b'{"process": "alltagsbegleitung",', b"[1, 2]", b'"text"', b""])
def test_malformed_body_is_400(app, body):
    fb36 = api_login(app, "fb36")
    response = fb36.client.post(f"{BASE}/process-instances", data=body,
                                headers={**fb36.headers, "Content-Type": "application/json"})
    error_of(response, 400, "bad_request")
    assert fb36.get("/process-instances").get_json()["total"] == 0


def test_malformed_completion_is_400_and_task_stays_open(app):
    fb36 = api_login(app, "fb36")
    case_id = start_case(fb36)["id"]
    task = inbox_task(fb36, case_id, "bedarfsermittlung")
    response = fb36.client.post(f"{BASE}/tasks/{task['id']}/complete", data=b"{data: 1}",
                                headers={**fb36.headers, "Content-Type": "application/json"})
    error_of(response, 400, "bad_request")
    assert inbox_task(fb36, case_id, "bedarfsermittlung")["status"] == "open"


def _unchanged_after(fb36: Api, case_id: int, name: str, data: dict) -> dict:
    """Post invalid ``data``; check nothing was saved; return the field errors."""
    before = fb36.get(f"/process-instances/{case_id}").get_json()
    task = inbox_task(fb36, case_id, name)
    response = fb36.post(f"/tasks/{task['id']}/complete", json={"data": data})
    error = error_of(response, 422, "validation_failed")
    after = fb36.get(f"/process-instances/{case_id}").get_json()
    assert after == before
    assert inbox_task(fb36, case_id, name)["id"] == task["id"]
    return error["fields"]


def test_wrong_types_and_unknown_fields_are_422(app):
    fb36 = api_login(app, "fb36")
    case_id = start_case(fb36)["id"]
    data = valid_data("bedarfsermittlung", zielgruppe="alle", kinder_anzahl="drei", hobby="Schach")
    fields = _unchanged_after(fb36, case_id, "bedarfsermittlung", data)
    assert set(fields) == {"zielgruppe", "kinder_anzahl", "hobby"}
    assert fields["hobby"] == ["Unbekanntes Feld."]
    assert fields["zielgruppe"][0].startswith("Ungültiger Wert")


def test_form_rules_are_422_and_nothing_saved(app):
    fb36, case_id = case_with_bedarf(app)
    k201 = api_login(app, "k201")
    complete(k201, case_id, "vermittlung", valid_data("vermittlung"))
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    data = valid_data("vorgespraech", ende=yesterday, stunden_pro_woche=99)
    del data["datum"]
    fields = _unchanged_after(fb36, case_id, "vorgespraech", data)
    assert fields == {
        "datum": ["Bitte füllen Sie dieses Feld aus."],
        "stunden_pro_woche": ["Bitte eine Zahl zwischen 0,5 und 40 angeben."],
        "ende": ["Das Ende muss nach dem Beginn liegen."],
    }


def test_goal_errors_are_keyed_by_entry(app):
    fb36 = api_login(app, "fb36")
    case_id = start_case(fb36)["id"]
    goal = {"beschreibung": "Deutschkurs", "frist": date.today().isoformat(), "ueberpruefung": "x"}
    fields = _unchanged_after(fb36, case_id, "bedarfsermittlung",
                              valid_data("bedarfsermittlung", familienname="  ", ziele=[goal]))
    assert fields == {"familienname": ["Bitte füllen Sie dieses Feld aus."],
                      "ziele-0-frist": ["Die Frist muss in der Zukunft liegen."]}


def test_bad_prefill_starts_no_case(app):
    fb36 = api_login(app, "fb36")
    body = {"process": "alltagsbegleitung", "data": {"zielgruppe": "alle", "x": 1}}
    response = fb36.post("/process-instances", json=body)
    error = error_of(response, 422, "validation_failed")
    assert set(error["fields"]) == {"zielgruppe", "x"}
    assert fb36.get("/process-instances").get_json()["total"] == 0
    assert fb36.get("/tasks").get_json() == []


def test_start_for_a_team_one_does_not_belong_to_is_422(app):
    fb36 = api_login(app, "fb36")
    body = {"process": "alltagsbegleitung", "team": "fd311"}
    response = fb36.post("/process-instances", json=body)
    assert error_of(response, 422, "validation_failed")["fields"] == {
        "team": ["Dieses Team darf das Verfahren nicht starten."]}
    assert fb36.get("/process-instances").get_json()["total"] == 0


# --- 409 -------------------------------------------------------------------------------------

def test_double_completion_is_409(app):
    fb36 = api_login(app, "fb36")
    case_id = start_case(fb36)["id"]
    task = inbox_task(fb36, case_id, "bedarfsermittlung")
    data = {"data": valid_data("bedarfsermittlung")}
    assert fb36.post(f"/tasks/{task['id']}/complete", json=data).status_code == 200
    history = fb36.get(f"/process-instances/{case_id}").get_json()["history"]

    error = error_of(fb36.post(f"/tasks/{task['id']}/complete", json=data), 409, "conflict")
    assert "bereits erledigt" in error["message"]
    assert fb36.get(f"/process-instances/{case_id}").get_json()["history"] == history


def test_claim_of_a_task_someone_else_holds_is_409(app):
    add_k201_member(app)
    _fb36, case_id = case_with_bedarf(app)
    k201, other = api_login(app, "k201"), api_login(app, "k201b")
    task = inbox_task(other, case_id, "vermittlung")
    assert k201.post(f"/tasks/{task['id']}/claim").status_code == 200

    error_of(other.post(f"/tasks/{task['id']}/claim"), 409, "conflict")
    error_of(other.post(f"/tasks/{task['id']}/complete",
                        json={"data": valid_data("vermittlung")}), 409, "conflict")
    assert other.get("/tasks").get_json() == []
    # Given back, the task is the group's again and the colleague may take it.
    assert k201.post(f"/tasks/{task['id']}/unclaim").get_json()["assignee"] is None
    assert other.post(f"/tasks/{task['id']}/claim").get_json()["assignee"] == "k201b"


# --- 403 -------------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["k201", "ehrenamt1", "mbe1", "leitung", "admin", "prozess"])
def test_start_by_a_role_that_may_not_start_is_403(app, username):
    api = api_login(app, username)
    # (201 staff may start the counselling log, MBE staff their own procedure — not this one)
    assert "alltagsbegleitung" not in [p["key"] for p in api.get("/processes").get_json()]
    response = api.post("/process-instances", json={"process": "alltagsbegleitung"})
    error_of(response, 403, "forbidden")
    assert api_login(app, "fb36").get("/process-instances").get_json()["total"] == 0


def test_unknown_process_is_404(app):
    response = api_login(app, "fb36").post("/process-instances", json={"process": "gibt_es_nicht"})
    error_of(response, 404, "not_found")


@pytest.mark.parametrize("username", ["fb36", "leitung"])
def test_seeing_a_case_is_not_working_on_its_group_task(app, username):
    _fb36, case_id = case_with_bedarf(app)
    api = api_login(app, username)
    task = next(t for t in api.get(f"/process-instances/{case_id}").get_json()["open_tasks"]
                if t["name"] == "vermittlung")
    error_of(api.post(f"/tasks/{task['id']}/claim"), 403, "forbidden")
    error_of(api.post(f"/tasks/{task['id']}/complete",
                      json={"data": valid_data("vermittlung")}), 403, "forbidden")
    assert inbox_task(api_login(app, "k201"), case_id, "vermittlung")["status"] == "open"


# --- 404: hidden cases -----------------------------------------------------------------------

ACTIONS = {
    "get_instance": lambda api, case_id, task_id: api.get(f"/process-instances/{case_id}"),
    "get_task": lambda api, case_id, task_id: api.get(f"/tasks/{task_id}"),
    "claim": lambda api, case_id, task_id: api.post(f"/tasks/{task_id}/claim"),
    "complete": lambda api, case_id, task_id: api.post(
        f"/tasks/{task_id}/complete", json={"data": valid_data("bedarfsermittlung")}),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("username", ["fb36fh", "fb31", "mbe1"])
def test_case_of_another_team_does_not_exist_for_them(app, username, action):
    fb36 = api_login(app, "fb36")
    case_id = start_case(fb36)["id"]
    task_id = inbox_task(fb36, case_id, "bedarfsermittlung")["id"]
    stranger = api_login(app, username)

    response = ACTIONS[action](stranger, case_id, task_id)

    error = error_of(response, 404, "not_found")
    assert "Testfamilie" not in str(error)
    assert stranger.get("/process-instances").get_json() == {
        "items": [], "total": 0, "page": 1, "per_page": 50}
    assert inbox_task(fb36, case_id, "bedarfsermittlung")["status"] == "open"


def test_unknown_ids_are_404(app):
    fb36 = api_login(app, "fb36")
    error_of(fb36.get("/process-instances/999"), 404, "not_found")
    error_of(fb36.get("/tasks/999"), 404, "not_found")


def test_volunteer_sees_only_their_part(app):
    fb36, _k201, case_id = case_with_volunteer(app)
    chosen, other = api_login(app, "ehrenamt1"), api_login(app, "ehrenamt2")
    report = inbox_task(chosen, case_id, "rueckmeldung")

    case = chosen.get(f"/process-instances/{case_id}").get_json()
    assert case["data"]["familienname"] == "Testfamilie Ahorn"
    assert "bedarf" not in case["data"] and "interne_notiz" not in case["data"]
    assert [t["name"] for t in case["open_tasks"]] == ["rueckmeldung"]
    assert fb36.get(f"/process-instances/{case_id}").get_json()["data"]["interne_notiz"]
    # Tasks of the professionals stay hidden from the volunteer.
    zwischen = inbox_task(api_login(app, "k201"), case_id, "zwischengespraech")
    error_of(chosen.get(f"/tasks/{zwischen['id']}"), 404, "not_found")

    error_of(other.get(f"/process-instances/{case_id}"), 404, "not_found")
    error_of(other.get(f"/tasks/{report['id']}"), 404, "not_found")
    error_of(other.post(f"/tasks/{report['id']}/complete", json={"data": rueckmeldung_data()}),
             404, "not_found")
    assert other.get("/tasks").get_json() == []
    assert other.get("/process-instances").get_json()["total"] == 0
    assert chosen.get("/process-instances").get_json()["total"] == 1


# --- OpenAPI ---------------------------------------------------------------------------------

CONTRACT = [
    ("post", "/tokens"), ("delete", "/tokens/current"), ("get", "/me"), ("get", "/processes"),
    ("post", "/process-instances"), ("get", "/process-instances"),
    ("get", "/process-instances/{id}"), ("get", "/tasks"), ("get", "/tasks/{id}"),
    ("post", "/tasks/{id}/claim"), ("post", "/tasks/{id}/unclaim"),
    ("post", "/tasks/{id}/complete"),
]


def test_openapi_document_lists_every_endpoint(client):
    response = client.get(f"{BASE}/openapi.json")
    assert response.status_code == 200 and response.is_json
    doc = response.get_json()
    assert doc["openapi"] == "3.1.0"
    for method, path in CONTRACT:
        assert method in doc["paths"][BASE + path], (method, path)
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert doc["paths"][f"{BASE}/tokens"]["post"]["security"] == []


def test_openapi_schemas_describe_real_answers(app, client):
    doc = client.get(f"{BASE}/openapi.json").get_json()

    def check(name: str, value) -> None:
        schema = {"components": doc["components"], "$ref": f"#/components/schemas/{name}"}
        errors = list(Draft202012Validator(schema).iter_errors(value))
        assert errors == [], (name, [e.message for e in errors])

    fb36 = api_login(app, "fb36")
    case = start_case(fb36)
    check("Instance", case)
    check("Task", case["open_tasks"][0])
    check("TaskDetail", fb36.get(f"/tasks/{case['open_tasks'][0]['id']}").get_json())
    check("InstanceList", fb36.get("/process-instances").get_json())
    check("Me", fb36.get("/me").get_json())
    bad = fb36.post(f"/tasks/{case['open_tasks'][0]['id']}/complete", json={"data": {}})
    check("Error", bad.get_json())
    check("Error", client.get(f"{BASE}/me").get_json())


def test_openapi_document_covers_every_api_route(app, client):
    """Every route of the API blueprint is described, so the document cannot fall behind."""
    import re

    doc = client.get(f"{BASE}/openapi.json").get_json()
    # Path parameters are compared by position, whatever their names ({id}, {key}, {n}, ...).
    documented = {re.sub(r"\{\w+\}", "{id}", path): ops for path, ops in doc["paths"].items()}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(f"{BASE}/") or rule.rule == f"{BASE}/openapi.json":
            continue  # every blueprint under /api/v1 counts, not only the "api" one
        path = re.sub(r"<(?:\w+:)?\w+>", "{id}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in documented.get(path, {}), (method, path)
