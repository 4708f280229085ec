"""The whole Alltagsbegleitung through the JSON API only, as fb36, k201 and ehrenamt1."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import ApiClient, api_client
from tests.flows import future, valid_data

BASE = "/api/v1"


Api = ApiClient


def api_login(app, username: str, password: str = "demo") -> ApiClient:
    """A client with the person's bearer token; paths are given without ``/api/v1``."""
    return api_client(app, username, password, prefix=BASE)


def rueckmeldung_data() -> dict:
    return valid_data("rueckmeldung", datum=date.today().isoformat(), stunden=2.5)


def start_case(api: Api, **body) -> dict:
    response = api.post("/process-instances", json={"process": "alltagsbegleitung", **body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def inbox_task(api: Api, case_id: int, name: str) -> dict:
    """The open task ``name`` of the case as it appears in this person's inbox."""
    tasks = api.get("/tasks", query_string={"process_instance": case_id}).get_json()
    found = [t for t in tasks if t["name"] == name]
    assert len(found) == 1, f"{name} not in the inbox of {api.username}: {tasks}"
    return found[0]


def complete(api: Api, case_id: int, name: str, data: dict) -> dict:
    task = inbox_task(api, case_id, name)
    response = api.post(f"/tasks/{task['id']}/complete", json={"data": data})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def people(app):
    return {name: api_login(app, name) for name in ("fb36", "k201", "ehrenamt1")}


def run_until_abschluss(people) -> int:
    fb36, k201, volunteer = people["fb36"], people["k201"], people["ehrenamt1"]
    case = start_case(fb36)
    assert case["status"] == "running" and case["process"] == "alltagsbegleitung"
    assert case["owner_team"] == "asd" and case["started_by"] == "fb36"
    assert [t["name"] for t in case["open_tasks"]] == ["bedarfsermittlung"]
    case_id = case["id"]

    complete(fb36, case_id, "bedarfsermittlung", valid_data("bedarfsermittlung"))

    task = inbox_task(k201, case_id, "vermittlung")
    assert task["candidate_group"] == "k201" and task["assignee"] is None
    assert task["team"] == "asd" and task["status"] == "open"
    detail = k201.get(f"/tasks/{task['id']}").get_json()
    volunteers = detail["form_schema"]["properties"]["ehrenamtliche"]["enum"]
    assert {"ehrenamt1", "ehrenamt2"} <= set(volunteers)
    claimed = k201.post(f"/tasks/{task['id']}/claim").get_json()
    assert claimed["assignee"] == "k201" and claimed["status"] == "claimed"
    complete(k201, case_id, "vermittlung", valid_data("vermittlung"))

    complete(fb36, case_id, "vorgespraech", valid_data("vorgespraech"))

    # The volunteer reports as often as needed; each report opens the next one.
    first = inbox_task(volunteer, case_id, "rueckmeldung")
    assert first["assignee"] == "ehrenamt1" and first["lane"] == "Alltagsbegleitung"
    after = complete(volunteer, case_id, "rueckmeldung", rueckmeldung_data())
    assert [t["name"] for t in after["open_tasks"]] == ["rueckmeldung"]
    assert after["open_tasks"][0]["id"] != first["id"]

    complete(k201, case_id, "zwischengespraech", valid_data("zwischengespraech"))
    complete(k201, case_id, "zwischengespraech",
             valid_data("zwischengespraech", abschluss_einleiten=True))
    return case_id


def finish(people, case_id: int, outcome: str, **extra) -> dict:
    fb36 = people["fb36"]
    task = inbox_task(fb36, case_id, "abschluss")
    schema = fb36.get(f"/tasks/{task['id']}").get_json()["form_schema"]
    assert schema["properties"]["ergebnis"]["enum"] == ["beenden", "fortfuehren", "ueberleiten"]
    return complete(fb36, case_id, "abschluss", valid_data("abschluss", ergebnis=outcome, **extra))


def history(api: Api, case_id: int) -> list[tuple[str, str]]:
    case = api.get(f"/process-instances/{case_id}").get_json()
    return [(h["task"], h["completed_by"]) for h in case["history"]]


STEPS_TO_ABSCHLUSS = [
    ("bedarfsermittlung", "fb36"), ("vermittlung", "k201"), ("vorgespraech", "fb36"),
    ("rueckmeldung", "ehrenamt1"), ("zwischengespraech", "k201"), ("zwischengespraech", "k201"),
]


@pytest.mark.parametrize(("outcome", "extra"), [
    ("beenden", {}),
    ("ueberleiten", {"folgemassnahme": "Sozialpädagogische Familienhilfe"}),
])
def test_case_ends_with_outcome(people, outcome, extra):
    case_id = run_until_abschluss(people)
    volunteer_task = inbox_task(people["ehrenamt1"], case_id, "rueckmeldung")

    case = finish(people, case_id, outcome, **extra)

    assert case["status"] == "completed" and case["outcome"] == outcome
    assert case["ended_at"] is not None and case["open_tasks"] == []
    assert history(people["fb36"], case_id) == [*STEPS_TO_ABSCHLUSS, ("abschluss", "fb36")]
    entry = case["history"][-1]
    assert entry["title"] == "Abschluss" and entry["completed_at"]
    # The volunteer's open report is cancelled with the case and leaves their inbox.
    assert people["ehrenamt1"].get("/tasks").get_json() == []
    gone = people["ehrenamt1"].get(f"/tasks/{volunteer_task['id']}").get_json()
    assert gone["status"] == "cancelled"
    listed = people["fb36"].get("/process-instances", query_string={"status": "completed"})
    assert [i["id"] for i in listed.get_json()["items"]] == [case_id]


def test_fortfuehren_then_beenden(people):
    case_id = run_until_abschluss(people)
    new_end = future(200)

    case = finish(people, case_id, "fortfuehren", neues_ende=new_end)

    assert case["status"] == "running" and case["outcome"] is None
    assert case["data"]["ende"] == new_end
    assert {t["name"] for t in case["open_tasks"]} == {"zwischengespraech", "rueckmeldung"}
    complete(people["k201"], case_id, "zwischengespraech",
             valid_data("zwischengespraech", abschluss_einleiten=True))
    case = finish(people, case_id, "beenden")
    assert case["status"] == "completed" and case["outcome"] == "beenden"
    assert history(people["k201"], case_id) == [
        *STEPS_TO_ABSCHLUSS, ("abschluss", "fb36"), ("zwischengespraech", "k201"),
        ("abschluss", "fb36"),
    ]


def test_start_with_prefill_and_team_choice(app, people):
    fb36 = people["fb36"]
    processes = fb36.get("/processes").get_json()
    assert [(p["key"], p["version"]) for p in processes] == [("alltagsbegleitung", 1)]

    case = start_case(fb36, team="asd", data={"familienname": "Birke", "kinder_anzahl": 2})

    task_id = case["open_tasks"][0]["id"]
    detail = fb36.get(f"/tasks/{task_id}").get_json()
    assert detail["form_data"]["familienname"] == "Birke"
    assert detail["form_data"]["kinder_anzahl"] == 2
    assert detail["form_schema"]["title"] == "Bedarfsermittlung"
    assert "familienname" in detail["form_schema"]["required"]
    # The prefill is a draft only: the case file stays empty until the task is completed.
    assert fb36.get(f"/process-instances/{case['id']}").get_json()["data"] == {}


def test_me_describes_the_caller(people):
    me = people["k201"].get("/me").get_json()
    assert me["username"] == "k201" and me["roles"] == ["koordination"]
    assert me["teams"] == ["k201"] and me["organisation"] == "kommune"
    assert me["display_name"] == "Sam Koordinata (201)"


TASK_KEYS = {"id", "process_instance_id", "process", "name", "title", "lane", "assignee",
             "candidate_group", "team", "due_at", "priority", "crisis", "created_at", "status"}
INSTANCE_KEYS = {"id", "process", "version", "status", "started_at", "ended_at", "started_by",
                 "owner_team", "data", "open_tasks", "history"}


def test_lists_are_filtered_and_paginated(people):
    fb36 = people["fb36"]
    first, second = start_case(fb36)["id"], start_case(fb36)["id"]

    page = fb36.get("/process-instances", query_string={"per_page": 1, "page": 2}).get_json()
    assert page["total"] == 2 and [i["id"] for i in page["items"]] == [first]
    assert fb36.get("/process-instances", query_string={"process": "mbe_beratung"}).get_json()[
        "total"] == 0
    assert fb36.get("/process-instances", query_string={"status": "running"}).get_json()[
        "total"] == 2
    tasks = fb36.get("/tasks", query_string={"process_instance": second}).get_json()
    assert [t["process_instance_id"] for t in tasks] == [second]
    assert len(fb36.get("/tasks", query_string={"process": "alltagsbegleitung"}).get_json()) == 2
    assert fb36.get("/tasks", query_string={"process": "mbe_beratung"}).get_json() == []
    assert set(tasks[0]) == TASK_KEYS
    case = fb36.get(f"/process-instances/{second}").get_json()
    assert INSTANCE_KEYS <= set(case) and set(case["open_tasks"][0]) == TASK_KEYS
    # Timestamps carry their offset.
    assert tasks[0]["created_at"].endswith("+00:00") and tasks[0]["due_at"].endswith("+00:00")
