"""API v1: GET/POST /api/v1/appointments as in api-v1.md."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.appointments.models import Appointment
from app.extensions import db
from tests.appointments.test_appointments import NOT_VISIBLE
from tests.flows import valid_data

API = "/api/v1/appointments"


@pytest.fixture
def case_id(start_case, complete):
    case_id = start_case("fb36")
    complete(case_id, "bedarfsermittlung", "fb36", valid_data("bedarfsermittlung"))
    complete(case_id, "vermittlung", "k201", valid_data("vermittlung"))
    return case_id


def body(case_id, **extra):
    return {"process_instance_id": case_id, "starts_at": "2030-03-04T10:00:00+01:00",
            "ends_at": "2030-03-04T11:00:00+01:00", "place": "Stadtteilbüro Nord",
            "participants": ["fb36", "ehrenamt1"], **extra}


def count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Appointment))


def test_book_and_list(app, api_client, case_id):
    fb36 = api_client("fb36")
    response = fb36.post(API, json=body(case_id, kind="vorgespraech"))
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["process_instance_id"] == case_id and created["kind"] == "vorgespraech"
    assert created["starts_at"] == "2030-03-04T09:00:00+00:00" and created["ends_at"] == "2030-03-04T10:00:00+00:00"
    assert sorted(created["participants"]) == ["ehrenamt1", "fb36"]
    assert created["language"] == "Arabisch"  # from the case file
    assert created["status"] == "scheduled" and created["created_by"] == "fb36"

    for username in ("fb36", "ehrenamt1"):
        listed = api_client(username).get(API).get_json()
        assert [a["id"] for a in listed] == [created["id"]]
    assert api_client("k201").get(API).get_json() == []  # sees the case, takes no part
    assert fb36.get(API + "?from=2030-03-04&to=2030-03-04").get_json()[0]["id"] == created["id"]
    assert fb36.get(API + "?from=2030-03-05").get_json() == []
    assert fb36.get(API + "?to=2030-03-03").get_json() == []
    assert fb36.get(API + "?from=2030-03-04T08:59:00%2B00:00").get_json() != []
    assert fb36.get(API + "?from=gestern").status_code == 400


@pytest.mark.parametrize("payload, field", [
    ({"place": ""}, "place"),
    ({"participants": []}, "participants"),
    ({"participants": ["fb31"]}, "participants"),
    ({"ends_at": "2030-03-04T09:00:00+01:00"}, "ends_at"),
    ({"starts_at": "morgen"}, "starts_at"),
    ({"kind": "party"}, "kind"),
    ({"process_instance_id": "abc"}, "process_instance_id"),
])
def test_bad_input_is_422_with_field_errors(app, api_client, case_id, payload, field):
    response = api_client("fb36").post(API, json={**body(case_id), **payload})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and field in error["fields"]
    assert count(app) == 0


def test_missing_fields_are_named(api_client, case_id):
    response = api_client("fb36").post(API, json={"process_instance_id": case_id})
    fields = response.get_json()["error"]["fields"]
    assert response.status_code == 422 and {"starts_at", "ends_at", "place", "participants"} <= set(fields)


@pytest.mark.parametrize("username, status", [("ehrenamt1", 403), *[(u, 404) for u in NOT_VISIBLE]])
def test_who_may_not_book(app, api_client, case_id, username, status):
    response = api_client(username).post(API, json=body(case_id))
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == ("forbidden" if status == 403 else "not_found")
    assert count(app) == 0


def test_unknown_case_and_no_token(app, api_client, client):
    assert api_client("fb36").post(API, json=body(999999)).status_code == 404
    assert api_client("fb36").post(API, json=body(10**30)).status_code == 404
    assert client.get(API).status_code == 401
    assert client.post(API, json={}).status_code == 401


def test_the_api_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/appointments"])
