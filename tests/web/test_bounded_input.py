"""Bounded input (issue 11): oversized, deeply nested, out-of-range and unstorable input gets a
clear German answer (413, 400, 404, 422) and nothing is saved — never a 500, on SQLite and on
PostgreSQL (DATABASE_URL). Small limits are configured so that the bodies stay small."""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder, encode_multipart
from werkzeug.wrappers import Request

from app.engine.models import ProcessInstance, Task
from app.extensions import db
from app.volunteers.models import ExpenseEntry
from tests.api.test_api_errors import case_with_volunteer, error_of
from tests.api.test_api_flow import api_login, inbox_task
from tests.conftest import login
from tests.factories import today
from tests.flows import valid_data
from tests.modeler.conftest import SHIPPED, counts
from tests.volunteers.helpers import running_case

LIMITS = {"MAX_CONTENT_LENGTH": 64 * 1024, "MAX_JSON_BYTES": 4096, "MODELER_MAX_BPMN_BYTES": 20_000}
UNSAFE = "Die Eingabe enthält unzulässige Zeichen (z. B. ein Nullzeichen)."
NOT_A_NUMBER = "Bitte eine gültige Zahl angeben."
BIG = [2**31, 2**63, 10**30]


class EndlessBody(io.RawIOBase):
    """A request body that never ends (a chunked upload has no length); counts what was read."""

    def __init__(self, head: bytes = b"") -> None:
        self.head, self.read_bytes = head, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = len(buffer)
        chunk = (self.head + b"x" * n)[:n]
        self.head = self.head[n:]
        buffer[:n] = chunk
        self.read_bytes += n
        return n


def post_chunked(client, path: str, stream: EndlessBody, content_type: str, headers: dict | None = None):
    """POST a chunked body: no Content-Length, the server ends the stream (as gunicorn does)."""
    environ = EnvironBuilder(path=path, method="POST", content_type=content_type, headers=headers).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"wsgi.input": stream, "wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"})
    return client.open(Request(environ))


@pytest.fixture
def small(make_app):
    return make_app(LIMITS)


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# --- request size ------------------------------------------------------------------------------

def test_json_body_over_the_json_limit_gets_413(small):
    body = json.dumps({"username": "fb36", "password": "x" * 5000})
    error = error_of(small.test_client().post("/api/v1/tokens", data=body, content_type="application/json"),
                     413, "too_large")
    assert "zu groß (höchstens 4 KB)" in error["message"]


def test_chunked_json_body_is_cut_off_at_the_limit(small):
    stream = EndlessBody(b'{"username": "fb36", "password": "')
    response = post_chunked(small.test_client(), "/api/v1/tokens", stream, "application/json")
    error_of(response, 413, "too_large")
    assert stream.read_bytes < 4096 + 64 * 1024  # stopped near the limit, not read to the end


def test_any_api_body_counts_as_json_even_without_its_content_type(small):
    stream = EndlessBody()
    response = post_chunked(small.test_client(), "/api/v1/tokens", stream, "text/plain")
    error_of(response, 413, "too_large")
    assert stream.read_bytes < 4096 + 64 * 1024


def test_html_form_over_the_limit_gets_a_german_413_page(small):
    response = small.test_client().post("/login", data={"username": "fb36", "password": "x" * 100_000})
    assert response.status_code == 413
    assert "Die Anfrage ist zu groß (höchstens 64 KB). Es wurde nichts gespeichert." in response.get_data(as_text=True)


def test_chunked_bpmn_upload_via_api_stops_at_the_limit(small):
    token = small.test_client().post("/api/v1/tokens", json={"username": "prozess", "password": "demo"}).get_json()
    before = counts(small)
    stream = EndlessBody(SHIPPED.encode())
    response = post_chunked(small.test_client(), "/api/v1/process-models/alltagsbegleitung/drafts", stream,
                            "application/xml", {"Authorization": f"Bearer {token['token']}"})
    error = error_of(response, 413, "too_large")
    assert "Die Datei ist zu groß (höchstens 19 KB)" in error["message"]
    assert stream.read_bytes < 20_000 + 64 * 1024
    assert counts(small) == before


def test_chunked_bpmn_upload_in_the_browser_stops_at_the_limit(small):
    web = login(small.test_client(), "prozess")
    before = counts(small)
    boundary, head = encode_multipart({"bpmn_file": (io.BytesIO(b""), "gross.bpmn")})
    head = head[: head.rindex(b"\r\n--")]  # the file part opened, never closed: endless content
    stream = EndlessBody(head)
    response = post_chunked(web, "/prozessmodelle/alltagsbegleitung/entwuerfe", stream,
                            f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "zu groß" in response.get_data(as_text=True)
    assert stream.read_bytes < 20_000 + 65536 + 64 * 1024
    assert counts(small) == before


# --- JSON nesting ------------------------------------------------------------------------------

def test_deeply_nested_json_gets_a_clear_400(app):
    client = app.test_client()
    response = client.post("/api/v1/tokens", data="[" * 100_000, content_type="application/json")
    error = error_of(response, 400, "bad_request")
    assert "zu tief verschachtelt (höchstens 32 Ebenen)" in error["message"]


def test_nested_case_data_is_refused_and_no_case_starts(app):
    fb36 = api_login(app, "fb36")
    nested: dict = {"ende": True}
    for _ in range(40):
        nested = {"x": nested}
    before = _count(app, ProcessInstance)
    error = error_of(fb36.post("/process-instances", json={"process": "alltagsbegleitung", "data": nested}),
                     400, "bad_request")
    assert "verschachtelt" in error["message"]
    assert _count(app, ProcessInstance) == before


# --- integers beyond the database's range ------------------------------------------------------

@pytest.mark.parametrize("big", BIG)
@pytest.mark.parametrize(("user", "url"), [
    ("fb36", "/faelle/{big}"),
    ("fb36", "/aufgaben/{big}"),
    ("fb36", "/faelle?seite={big}"),
    ("fb36", "/benachrichtigungen?seite={big}"),
    ("k201", "/aufwand/abrechnung?ehrenamtliche={big}"),
    ("prozess", "/prozessmodelle/alltagsbegleitung/vergleich?bis={big}"),
])
def test_web_ids_out_of_range_are_404(app, login_as, user, url, big):
    response = login_as(user).get(url.format(big=big))
    assert response.status_code == 404
    assert "Nicht gefunden" in response.get_data(as_text=True)


@pytest.mark.parametrize("big", BIG)
def test_posts_to_ids_out_of_range_are_404(app, login_as, big):
    client = login_as("fb36")
    assert client.post(f"/aufgaben/{big}", data={"notizen": "x"}).status_code == 404
    assert client.post("/mbe/faelle/neu", data={"client_id": str(big)}).status_code in (403, 404)
    assert login_as("mbe1").post("/mbe/faelle/neu", data={"client_id": str(big), "team": "mbe"}).status_code == 404


@pytest.mark.parametrize("big", BIG)
@pytest.mark.parametrize(("method", "url"), [
    ("GET", "/process-instances/{big}"),
    ("GET", "/tasks/{big}"),
    ("POST", "/tasks/{big}/claim"),
    ("GET", "/process-instances?page={big}"),
    ("GET", "/tasks?process_instance={big}"),
    ("GET", "/process-instances/{big}/expenses"),
])
def test_api_ids_out_of_range_are_404(app, method, url, big):
    fb36 = api_login(app, "fb36")
    path = url.format(big=big)
    response = fb36.get(path) if method == "GET" else fb36.post(path, json={})
    error_of(response, 404, "not_found")


def test_a_number_field_beyond_the_range_is_refused_next_to_the_field(app, login_as):
    response = login_as("leitung").get(f"/monitor?version={2**40}")
    assert response.status_code in (200, 422)
    page = response.get_data(as_text=True)
    assert re.search(r'id="version-error">.*?Die Zahl ist zu groß\.', page, re.S)


# --- NUL and lone surrogates -------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["Läuft\x00gut", "Läuft \ud800 gut", "\udfff"])
def test_api_task_data_with_nul_or_lone_surrogate_is_422_and_nothing_saved(app, bad):
    _fb36, k201, case_id = case_with_volunteer(app)
    task = inbox_task(k201, case_id, "zwischengespraech")
    before = _case_state(app, case_id)
    response = k201.post(f"/tasks/{task['id']}/complete",
                         json={"data": valid_data("zwischengespraech", notizen=bad)})
    error = error_of(response, 422, "validation_failed")
    assert error["fields"] == {"data.notizen": [UNSAFE + " Bitte entfernen Sie sie."]}
    assert _case_state(app, case_id) == before
    assert inbox_task(k201, case_id, "zwischengespraech")["status"] == task["status"]


def _case_state(app, case_id: int) -> tuple:
    with app.app_context():
        case = db.session.get(ProcessInstance, case_id)
        tasks = db.session.scalars(select(Task.id, Task.status).where(Task.instance_id == case_id)).all()
        return case.row_version, json.dumps(case.data, sort_keys=True), case.state, tuple(tasks)


def test_api_start_with_nul_in_a_key_is_422_and_no_case_starts(app):
    fb36 = api_login(app, "fb36")
    before = _count(app, ProcessInstance)
    response = fb36.post("/process-instances", json={"process": "alltagsbegleitung",
                                                      "data": {"familienname": "A", "x\x00": 1}})
    error = error_of(response, 422, "validation_failed")
    assert list(error["fields"]) == ["data.x\\u0000"]
    assert _count(app, ProcessInstance) == before


def test_nul_in_the_query_string_is_422_not_500(app, login_as):
    page = login_as("fb36").get("/faelle?status=%00")
    assert page.status_code == 422
    assert UNSAFE in page.get_data(as_text=True)
    error = error_of(api_login(app, "fb36").get("/process-instances?status=%00"), 422, "validation_failed")
    assert list(error["fields"]) == ["status"]


def test_nul_in_a_path_segment_is_404(app, login_as):
    assert login_as("prozess").get("/prozessmodelle/%00").status_code == 404
    error_of(api_login(app, "prozess").get("/process-models/a%00b/versions"), 404, "not_found")


def test_nul_in_a_login_name_is_refused_not_500(app):
    response = app.test_client().post("/login", data={"username": "fb36\x00", "password": "demo"})
    assert response.status_code in (200, 401, 422)
    page = response.get_data(as_text=True)
    assert "Abmelden" not in page
    assert 'id="username-error"' in page or "field-errors" in page  # the message sits at the field
    response = app.test_client().post("/api/v1/tokens", json={"username": "fb36\x00", "password": "demo"})
    error_of(response, 422, "validation_failed")


def test_nul_in_headers_and_cookies_is_not_500(app, login_as):
    client = login_as("fb36")
    assert client.get("/faelle", headers={"X-Test": "a\x00b"}).status_code == 400
    client.set_cookie("session", "abc\x00def")
    assert client.get("/faelle").status_code in (200, 302)
    client.set_cookie("lang", "\x00")
    assert client.get("/login").status_code == 200


# --- non-finite numbers --------------------------------------------------------------------------

@pytest.mark.parametrize(("field", "value", "message"), [
    ("stunden", "Infinity", NOT_A_NUMBER),
    ("stunden", "-Infinity", NOT_A_NUMBER),
    ("stunden", "NaN", NOT_A_NUMBER),
    ("stunden", "sNaN", NOT_A_NUMBER),
    ("kilometer", "Infinity", NOT_A_NUMBER),
    ("kilometer", "sNaN", NOT_A_NUMBER),
    ("stunden", "1e999999", "Die Zahl ist zu groß."),
    ("notiz", "Bus\x00fahrt", UNSAFE),
])
def test_expense_form_refuses_unusable_numbers_next_to_the_field(app, login_as, field, value, message):
    case_id = running_case(login_as)
    form = {"datum": today().isoformat(), "stunden": "2", "kilometer": "", "auslagen": "", "notiz": "", field: value}
    response = login_as("ehrenamt1").post(f"/ehrenamt/einsaetze/{case_id}/aufwand", data=form)
    assert response.status_code == 422
    errors = re.search(rf'<ul class="field-errors" id="{field}-error">(.*?)</ul>', response.get_data(as_text=True),
                       re.S)
    assert errors and message in errors.group(1)
    assert _count(app, ExpenseEntry) == 0


@pytest.mark.parametrize("rest", [
    '"stunden": "Infinity"', '"stunden": "sNaN"', '"stunden": NaN', '"stunden": Infinity', '"stunden": 1e999',
    '"stunden": 2, "kilometer": -Infinity',
])
def test_expense_api_refuses_unusable_numbers_with_422(app, login_as, rest):
    body = '{"datum": "' + today().isoformat() + '", ' + rest + "}"
    case_id = running_case(login_as)
    volunteer = api_login(app, "ehrenamt1")
    response = volunteer.client.post(f"/api/v1/process-instances/{case_id}/expenses", data=body,
                                     content_type="application/json", headers=volunteer.headers)
    error = error_of(response, 422, "validation_failed")
    assert set(error["fields"]) <= {"stunden", "kilometer", "_"} and error["fields"]
    assert _count(app, ExpenseEntry) == 0
