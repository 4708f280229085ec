"""The data protection officer searches the access log: the page /datenschutz/zugriffsprotokoll
and GET /api/v1/access-log, role ``datenschutz`` only; filters by user, case, client and period;
newest first; paged. Nobody can change the log through the app (405) or the database."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.accesslog.models import CASE, DOCUMENT, DOWNLOAD, LIST, VIEW
from app.accesslog.services import record
from app.engine.models import ProcessInstance
from app.extensions import db
from tests.accesslog.helpers import ROLES, count
from tests.factories import start_case, user

URL = "/datenschutz/zugriffsprotokoll"
API_URL = "/api/v1/access-log"
OTHERS = [r for r in ROLES if r != "dsb"]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def log(app, clock) -> dict:
    """Two cases and a log: fb36 read case A three times (one day apart, the last one as a
    substitute), k201 downloaded a document of case B, leitung listed cases; the client 77 is
    named on case B's row."""
    clock.set(START)
    with app.test_request_context():
        a, b = start_case("fb36"), start_case("fb36")
        fb36, k201, leitung = user("fb36"), user("k201"), user("leitung")
        for day in range(3):
            clock.set(START + timedelta(days=day))
            record(fb36, VIEW, CASE, a, case_id=a, substitution=day == 2, via="cases.view")
        clock.set(START + timedelta(days=3))
        record(k201, DOWNLOAD, DOCUMENT, 5, case_id=b, client_id=77, via="GET /api/v1/documents/<int:document_id>")
        clock.set(START + timedelta(days=4))
        record(leitung, LIST, CASE, None, via="cases.index")
        reference = db.session.get(ProcessInstance, a).reference
        db.session.commit()
    return {"a": a, "b": b, "reference": reference}


@pytest.mark.parametrize("username", OTHERS)
def test_nobody_else_sees_the_page(login_as, username):
    response = login_as(username).get(URL)
    assert response.status_code == 403
    assert "Zugriffsprotokoll" not in login_as(username).get("/aufgaben").get_data(as_text=True)


def test_without_login_the_page_asks_for_it(client):
    assert client.get(URL).status_code in (302, 401)


def test_dsb_finds_the_page_in_the_menu_and_sees_newest_first(login_as, log):
    dsb = login_as("dsb")
    assert f'href="{URL}"' in dsb.get("/datenschutz/verarbeitungsverzeichnis").get_data(as_text=True)
    response = dsb.get(URL)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("<h1") == 1 and "<caption>" in html and 'scope="col"' in html
    text = _text(html)
    assert "5 Einträge gefunden." in text
    order = [int(n) for n in re.findall(r'data-log="(\d+)"', html)]
    assert order == sorted(order, reverse=True) and len(order) == 5
    # readable labels, the case's reference, substitution said in words
    for words in ("Fallansicht", "angesehen", "heruntergeladen", "Liste/Suche", "Dokument 5", log["reference"],
                  "API: GET /api/v1/documents/{document_id}", "Vertretung", "02.03.26"):
        assert words in text or words in html, words
    assert html.count("data-substitution") == 1
    # the labelled filter form
    for name in ("benutzer", "fall", "klient", "von", "bis"):
        assert re.search(rf'<label[^>]*for="{name}"', html), name


@pytest.mark.parametrize("query, expected", [
    ("benutzer=fb36", 3),
    ("benutzer=k201", 1),
    ("benutzer=niemand", 0),
    ("fall={a}", 3),
    ("fall={reference}", 3),
    ("fall={b}", 1),
    ("fall=XX-0000-00000", 0),
    ("fall=²", 0),
    ("klient=77", 1),
    ("von=2026-03-03&bis=2026-03-04", 2),
    ("von=2026-03-05", 2),
    ("bis=2026-03-02", 1),
    ("benutzer=fb36&von=2026-03-03", 2),
])
def test_filters(login_as, log, query, expected):
    response = login_as("dsb").get(f"{URL}?{query.format(**log)}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert len(re.findall(r'data-log="\d+"', html)) == expected
    assert f'data-total="{expected}"' in html


@pytest.mark.parametrize("query, message", [
    ("klient=abc", "Klient/in"),
    ("klient=0", "positive ganze Zahl"),
    ("von=2026-03-05&bis=2026-03-01", "Das Ende darf nicht vor dem Beginn liegen."),
    ("von=gestern", "Zeitraum von"),
])
def test_bad_filters_are_answered_in_german(login_as, log, query, message):
    response = login_as("dsb").get(f"{URL}?{query}")
    assert response.status_code == 422
    assert message in _text(response.get_data(as_text=True))


def test_pages_of_fifty(app, login_as, clock):
    clock.set(START)
    with app.test_request_context():
        reader = user("fb36")
        for n in range(55):
            clock.advance(minutes=1)
            record(reader, VIEW, CASE, n + 1, case_id=n + 1, via="cases.view")
        db.session.commit()
    dsb = login_as("dsb")
    first = dsb.get(f"{URL}?benutzer=fb36").get_data(as_text=True)
    assert len(re.findall(r'data-log="\d+"', first)) == 50 and "Seite 1 von 2" in _text(first)
    second = dsb.get(f"{URL}?benutzer=fb36&seite=2").get_data(as_text=True)
    assert len(re.findall(r'data-log="\d+"', second)) == 5
    assert "55 Einträge gefunden." in _text(second)


# --- the API -----------------------------------------------------------------------------------


@pytest.mark.parametrize("username", OTHERS)
def test_api_refuses_everyone_else(api_client, log, username):
    response = api_client(username).get(API_URL)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_api_without_token_is_401(client):
    assert client.get(API_URL).status_code == 401


def test_api_answers_as_documented(api_client, log):
    body = api_client("dsb").get(API_URL).get_json()
    assert body["total"] == 5 and len(body["items"]) == 5
    newest, oldest = body["items"][0], body["items"][-1]
    assert set(newest) == {"at", "user", "role", "action", "object_type", "object_id", "via"}
    assert (newest["user"], newest["action"], newest["object_type"], newest["object_id"]) == \
        ("leitung", "list", "case", None)
    assert (oldest["user"], oldest["role"], oldest["via"], oldest["object_id"]) == \
        ("fb36", "fachkraft", "cases.view", log["a"])
    assert oldest["at"].startswith("2026-03-02T09:00")


@pytest.mark.parametrize("query, total", [
    ("case={a}", 3), ("case={reference}", 3), ("case={b}", 1), ("user=fb36", 3), ("user=k201", 1),
    ("client=77", 1), ("case={a}&user=k201", 0), ("user=niemand", 0),
])
def test_api_filters(api_client, log, query, total):
    body = api_client("dsb").get(f"{API_URL}?{query.format(**log)}").get_json()
    assert body["total"] == total and len(body["items"]) == total


def test_api_pages_with_limit_and_offset(api_client, log):
    api = api_client("dsb")
    page = api.get(f"{API_URL}?limit=2&offset=1").get_json()
    assert page["total"] == 5 and [i["user"] for i in page["items"]] == ["k201", "fb36"]
    assert api.get(f"{API_URL}?limit=2&offset=4").get_json()["items"][0]["user"] == "fb36"
    assert api.get(f"{API_URL}?offset=9").get_json() == {"items": [], "total": 5}


@pytest.mark.parametrize("query", ["client=abc", "client=0", "client=²", "limit=0", "limit=501", "offset=-1", "limit=x",
                                   "case=" + "x" * 41])
def test_api_bad_parameters_are_422(api_client, log, query):
    response = api_client("dsb").get(f"{API_URL}?{query}")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"]


@pytest.mark.parametrize("username", ["dsb", "admin", "fb36"])
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_no_route_changes_the_log(app, api_client, log, username, method):
    before = count(app)
    response = api_client(username).open(method, API_URL, json={})
    assert response.status_code == 405
    assert count(app) == before


def test_the_log_is_in_the_api_description(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/access-log"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"case", "user", "client", "limit", "offset"}
    assert set(operation["responses"]) >= {"200", "401", "403", "422"}


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_the_page_changes_nothing_either(app, login_as, log, method):
    before = count(app)
    assert login_as("dsb").open(URL, method=method).status_code == 405
    assert count(app) == before
