"""Hostile and foreign BPMN files: refused with a clear message and nothing changes, or imported."""

from __future__ import annotations

import io

import pytest

from tests.conftest import login
from tests.modeler.conftest import FIXTURES, SHIPPED, counts, post_xml

SCRIPT_OS = SHIPPED.replace("ende = neues_ende", "ende = __import__('os').system('id')", 1)


@pytest.mark.parametrize(("name", "expected"), [
    ("billion_laughs.bpmn", "DTD oder Entitäten"),
    ("xxe_passwd.bpmn", "DTD oder Entitäten"),
])
def test_entity_attacks_are_refused_via_api(app, api, name, expected):
    before = counts(app)
    response = post_xml(api("prozess"), (FIXTURES / name).read_bytes())
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert expected in error["message"]
    assert "root:" not in response.get_data(as_text=True)  # nothing of /etc/passwd leaks
    assert counts(app) == before


def test_script_importing_os_is_refused_and_never_published(app, api):
    owner = api("prozess")
    before = counts(app)
    response = post_xml(owner, SCRIPT_OS)
    assert response.status_code == 201
    body = response.get_json()
    assert body["valid"] is False
    assert any(p["element_id"] == "neuer_zeitraum" and "Nicht erlaubt" in p["message"] for p in body["problems"])
    publish = owner.post(f"/process-models/alltagsbegleitung/drafts/{body['id']}/publish", json={"comment": "x"})
    assert publish.status_code == 422
    assert any(p["element_id"] == "neuer_zeitraum" for p in publish.get_json()["error"]["problems"])
    versions, _drafts = counts(app)
    assert versions == before[0]  # no new version


@pytest.mark.parametrize(("payload", "message"), [
    (b"not xml at all", "kein gültiges XML"),
    (b'<?xml version="1.0"?><html><body>Hallo</body></html>', "keine BPMN-2.0-Datei"),
    (b"<definitions/>", "keine BPMN-2.0-Datei"),
    (b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"/>', "keinen Prozess"),
    (b"", "leer"),
])
def test_non_bpmn_gets_a_clear_400(app, api, payload, message):
    before = counts(app)
    response = post_xml(api("prozess"), payload)
    assert response.status_code == 400
    assert message in response.get_json()["error"]["message"]
    assert counts(app) == before


def test_too_large_gets_413(make_app, api):
    app = make_app({"MODELER_MAX_BPMN_BYTES": 20_000})
    client = app.test_client()
    token = client.post("/api/v1/tokens", json={"username": "prozess", "password": "demo"}).get_json()["token"]
    before = counts(app)
    response = client.post("/api/v1/process-models/alltagsbegleitung/drafts", data=SHIPPED.encode(),
                           content_type="application/xml", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 413
    assert "zu groß" in response.get_json()["error"]["message"]
    assert counts(app) == before
    # the web upload as well
    web = login(app.test_client(), "prozess")
    page = web.post("/prozessmodelle/alltagsbegleitung/entwuerfe",
                    data={"bpmn_file": (io.BytesIO(SHIPPED.encode()), "gross.bpmn")},
                    content_type="multipart/form-data")
    assert page.status_code == 413
    assert counts(app) == before


def test_web_upload_of_xxe_shows_the_message_next_to_the_field(app):
    web = login(app.test_client(), "prozess")
    before = counts(app)
    page = web.post("/prozessmodelle/alltagsbegleitung/entwuerfe",
                    data={"bpmn_file": (io.BytesIO((FIXTURES / "xxe_passwd.bpmn").read_bytes()), "x.bpmn")},
                    content_type="multipart/form-data")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert 'id="bpmn_file-error"' in html and "DTD oder Entitäten" in html
    assert "root:x" not in html
    assert counts(app) == before


def test_camunda_export_without_di_imports_and_names_what_is_missing(app, api):
    response = post_xml(api("prozess"), (FIXTURES / "camunda_no_di.bpmn").read_bytes())
    assert response.status_code == 201
    body = response.get_json()
    assert body["valid"] is False
    assert [p["element_id"] for p in body["problems"]] == ["bedarfsermittlung", "bedarfsermittlung"]
    form, lane = body["problems"]
    assert "kein Formular gewählt" in form["message"]
    assert "embedded:app:forms/bedarf.html" in form["hint"] and "Formular" in form["hint"]
    assert "Zuständigkeit „fb36“" in lane["message"] and "Bahn" in lane["hint"]


def test_camunda_export_completed_with_spiff_properties_is_valid_and_publishes(app, api):
    owner = api("prozess")
    response = post_xml(owner, (FIXTURES / "camunda_with_spiff_props.bpmn").read_bytes())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body == {"id": body["id"], "valid": True, "status": "draft", "problems": [], "rejection": None}
    publish = owner.post(f"/process-models/alltagsbegleitung/drafts/{body['id']}/publish", json={"comment": "kurz"})
    assert publish.status_code == 201 and publish.get_json() == {"version": 2}


def test_signavio_style_file_fails_with_clear_reasons(app, api):
    response = post_xml(api("prozess"), (FIXTURES / "signavio_style_no_namespace_prefix.bpmn").read_bytes())
    assert response.status_code == 201
    problems = response.get_json()["problems"]
    flagged = {p["element_id"] for p in problems}
    assert {"ja", "nein"} <= flagged  # labelled flows without conditions
    assert all("0x" not in p["message"] and "<" not in p["message"] for p in problems)
