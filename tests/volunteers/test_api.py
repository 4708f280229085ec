"""API v1 for the question thread and the volunteer's expenses: same rules as the pages."""

from __future__ import annotations

from datetime import date

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from app.extensions import db
from app.volunteers.models import CaseMessage, ExpenseEntry
from tests.api.test_api_flow import api_login
from tests.volunteers.helpers import running_case


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def case_id(login_as):
    return running_case(login_as)


def _check(app, name: str, value) -> None:
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    schema = {"components": doc["components"], "$ref": f"#/components/schemas/{name}"}
    assert list(Draft202012Validator(schema).iter_errors(value)) == []


def test_thread_over_the_api(app, case_id):
    mira, k201, fb36 = api_login(app, "ehrenamt1"), api_login(app, "k201"), api_login(app, "fb36")
    response = mira.post(f"/process-instances/{case_id}/messages", json={"text": "Wann ist das Vorgespräch?"})
    assert response.status_code == 201
    _check(app, "CaseMessage", response.get_json())
    assert k201.post(f"/process-instances/{case_id}/messages", json={"text": "Am Montag."}).status_code == 201
    listing = fb36.get(f"/process-instances/{case_id}/messages").get_json()
    assert [m["text"] for m in listing["items"]] == ["Wann ist das Vorgespräch?", "Am Montag."]
    assert listing["may_write"] is False
    refused = fb36.post(f"/process-instances/{case_id}/messages", json={"text": "Ich auch"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    empty = mira.post(f"/process-instances/{case_id}/messages", json={"text": ""})
    assert empty.status_code == 422 and "nachricht" in empty.get_json()["error"]["fields"]
    for username in ("ehrenamt2", "fb31", "mbe1"):
        other = api_login(app, username)
        assert other.get(f"/process-instances/{case_id}/messages").status_code == 404
        assert other.post(f"/process-instances/{case_id}/messages", json={"text": "x"}).status_code == 404
    assert _count(app, CaseMessage) == 2


def test_expenses_over_the_api(app, case_id):
    mira = api_login(app, "ehrenamt1")
    response = mira.post(f"/process-instances/{case_id}/expenses",
                         json={"datum": date.today().isoformat(), "stunden": 1.5, "kilometer": "10"})
    assert response.status_code == 201, response.get_json()
    entry = response.get_json()
    _check(app, "ExpenseEntry", entry)
    assert entry["betrag"] == "15.00" and entry["status"] == "eingereicht"
    bad = mira.post(f"/process-instances/{case_id}/expenses", json={"datum": "morgen", "stunden": 30, "x": 1})
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {"x"}
    bad = mira.post(f"/process-instances/{case_id}/expenses", json={"datum": "morgen", "stunden": 30})
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {"datum", "stunden"}
    assert [e["id"] for e in mira.get(f"/process-instances/{case_id}/expenses").get_json()["items"]] == [entry["id"]]
    for username, status in (("ehrenamt2", 404), ("k201", 403), ("fb36", 403)):
        other = api_login(app, username)
        assert other.get(f"/process-instances/{case_id}/expenses").status_code == status
        assert other.post(f"/process-instances/{case_id}/expenses",
                          json={"datum": date.today().isoformat(), "stunden": 1}).status_code == status
    assert _count(app, ExpenseEntry) == 1
