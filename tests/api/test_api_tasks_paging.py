"""GET /api/v1/tasks: the default answer as it always was (every task, crisis first, then due
date); optional keyset paging with ``limit`` and ``after``, the next page in the ``Link`` header."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from app.auth.access import inbox_query
from app.auth.models import Team
from app.cases.serialize import task_json
from app.engine import service
from app.engine.models import ProcessInstance, Task
from app.extensions import db
from app.inbox.api import MAX_LIMIT
from app.timeutil import utcnow
from tests.factories import ApiClient, api_client, start_case, user

BASE = "/api/v1"


def _walk(api: ApiClient, first: str) -> list[list[dict]]:
    """Every page from ``first``, following ``Link: <…>; rel="next"``."""
    pages, url = [], first
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.get_json()
        pages.append(response.get_json())
        link = response.headers.get("Link")
        url = None
        if link:
            found = re.fullmatch(r'<http://localhost/api/v1(/tasks\?[^>]+)>; rel="next"', link)
            assert found, link
            url = found.group(1)
        assert len(pages) < 20
    return pages


@pytest.fixture
def tasks(app):
    """k201's team: 6 group to-dos on an Alltagsbegleitung case and 3 on an MBE case (crises,
    equal and missing due dates); one own to-do of k201; 2 to-dos of team ASD k201 never sees."""
    with app.app_context():
        ab = db.session.get(ProcessInstance, start_case("fb36"))
        mbe = db.session.get(ProcessInstance, start_case("mbe1", "mbe_beratung", "mbe"))
        k201, fb36 = user("k201"), user("fb36")
        team, asd = (db.session.get(Team, u.member_team_ids[0]) for u in (k201, fb36))
        soon = utcnow().replace(microsecond=500) + timedelta(days=2)
        plan = [(ab, soon, False), (ab, soon, False), (ab, None, False), (ab, soon + timedelta(days=4), True),
                (ab, None, True), (ab, soon - timedelta(days=1), False),
                (mbe, soon, False), (mbe, None, False), (mbe, soon + timedelta(days=1), True)]
        for i, (case, due, crisis) in enumerate(plan):
            service.create_todo(case, f"Gruppe {i}", created_by=fb36, team=team, due_at=due, crisis=crisis)
        service.create_todo(ab, "Eigene", created_by=fb36, assignee=k201, due_at=soon)
        other = [service.create_todo(ab, f"ASD {i}", created_by=fb36, team=asd, crisis=True).id for i in range(2)]
        db.session.commit()
        return {"ab": ab.id, "mbe": mbe.id, "other": other}


def _old_answer(app, username: str, **filters) -> list[dict]:
    """What GET /tasks answered before the keyset paging: inbox_query, sorted by it."""
    with app.app_context():
        query = inbox_query(user(username))
        if "process_instance" in filters:
            query = query.where(Task.instance_id == filters["process_instance"])
        return [task_json(t) for t in db.session.scalars(query)]


def test_the_default_answer_is_every_task_in_inbox_order_without_a_link(app, tasks):
    k201 = api_client(app, "k201", prefix=BASE)
    response = k201.get("/tasks")
    answer = response.get_json()
    assert response.status_code == 200 and "Link" not in response.headers
    assert answer == _old_answer(app, "k201") and len(answer) == 10
    crisis = [t["crisis"] for t in answer]
    assert crisis == sorted(crisis, reverse=True)  # crises first
    dated = [t["due_at"] is not None for t in answer if not t["crisis"]]
    assert dated == sorted(dated, reverse=True)  # without a due date last
    assert not {t["id"] for t in answer} & set(tasks["other"])
    assert k201.get("/tasks", query_string={"process_instance": tasks["ab"]}).get_json() == \
        _old_answer(app, "k201", process_instance=tasks["ab"])
    assert k201.get("/tasks", query_string={"after": ""}).get_json() == answer


@pytest.mark.parametrize("filters", [{}, {"process": "mbe_beratung"}, {"process_instance": "ab"}])
def test_limit_pages_through_every_task_once_with_the_filters(app, tasks, filters):
    k201 = api_client(app, "k201", prefix=BASE)
    query = {k: tasks[v] if k == "process_instance" else v for k, v in filters.items()}
    everything = k201.get("/tasks", query_string=query).get_json()
    assert everything
    pages = _walk(k201, "/tasks?" + "&".join([f"{k}={v}" for k, v in query.items()] + ["limit=2"]))
    assert all(len(p) == 2 for p in pages[:-1]) and 1 <= len(pages[-1]) <= 2
    assert sum(pages, []) == everything
    if "process" in filters:
        assert {t["process"] for t in everything} == {"mbe_beratung"} and len(everything) == 3


def test_a_task_done_between_two_pages_shifts_nothing(app, tasks):
    k201 = api_client(app, "k201", prefix=BASE)
    everything = k201.get("/tasks").get_json()
    first = k201.get("/tasks?limit=3")
    with app.app_context():  # the page's tasks are done, the last one (the cursor's) too
        for task in first.get_json():
            service.close_todo(db.session.get(Task, task["id"]), user("k201"), "done")
        db.session.commit()
    after = urlsplit(first.headers["Link"][1:].split(">")[0])
    assert parse_qs(after.query)["limit"] == ["3"]
    assert k201.get(f"{after.path.removeprefix(BASE)}?{after.query}").get_json() == everything[3:6]


def test_a_cursor_shows_only_the_callers_own_tasks(app, tasks):
    k201, fb36 = (api_client(app, name, prefix=BASE) for name in ("k201", "fb36"))
    link = k201.get("/tasks?limit=1").headers["Link"]
    cursor = parse_qs(urlsplit(link[1:].split(">")[0]).query)["after"][0]
    mine = {t["id"] for t in k201.get("/tasks").get_json()}
    theirs = fb36.get("/tasks", query_string={"after": cursor, "limit": 50}).get_json()
    assert not {t["id"] for t in theirs} & mine
    assert {t["id"] for t in theirs} <= {t["id"] for t in fb36.get("/tasks").get_json()}
    volunteer = api_client(app, "ehrenamt1", prefix=BASE)
    assert volunteer.get("/tasks", query_string={"after": cursor}).get_json() == []


@pytest.mark.parametrize("args", [{"limit": "0"}, {"limit": "-2"}, {"limit": "zwei"}, {"after": "kaputt"},
                                  {"after": "MS4wLi4w"}, {"after": "A" * 300}, {"limit": "2", "after": "%%"}])
def test_a_bad_limit_or_cursor_is_a_400_in_german(app, tasks, args):
    response = api_client(app, "k201", prefix=BASE).get("/tasks", query_string=args)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request" and ("limit" in error["message"] or "after" in error["message"])


def test_a_limit_above_the_maximum_is_the_maximum_and_both_parameters_are_documented(app, client, tasks):
    k201 = api_client(app, "k201", prefix=BASE)
    assert len(k201.get("/tasks", query_string={"limit": MAX_LIMIT * 100}).get_json()) == 10
    operation = client.get(f"{BASE}/openapi.json").get_json()["paths"][f"{BASE}/tasks"]["get"]
    assert {"limit", "after", "process", "process_instance"} <= {p["name"] for p in operation["parameters"]}
    assert "Link" in operation["responses"]["200"]["headers"]
