"""Who may start a young adult's case (only the KIM team), who may see it (only that team and
its lead), in the browser and through the API."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, func, select

from app.auth.models import Membership, Team
from app.engine.models import ProcessInstance, Task
from app.extensions import db
from tests.factories import user
from tests.flows import complete_web
from tests.junge_erwachsene.je_steps import aufnahme, born, open_tasks, start

NOT_STARTING = ["fb36", "fb36fh", "fb31", "k201", "ehrenamt1", "mbe1", "mbeleitung", "leitung", "kimleitung",
                "prozess", "admin"]
NOT_SEEING = ["fb36", "fb31", "k201", "ehrenamt1", "mbe1", "mbeleitung", "leitung", "prozess", "admin", "dsb"]


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(ProcessInstance.id)))


def test_kim1_starts_a_case_in_the_browser_and_it_lands_in_the_teams_inbox(app, login_as):
    kim = login_as("kim1")
    page = kim.get("/faelle/neu")
    assert page.status_code == 200 and 'value="junge_erwachsene"' in page.get_data(as_text=True)
    response = kim.post("/faelle/neu", data={"verfahren": "junge_erwachsene", "team": "kim"})
    assert response.status_code == 302
    task_id = int(re.search(r"/aufgaben/(\d+)", response.headers["Location"]).group(1))
    with app.app_context():
        task = db.session.get(Task, task_id)
        assert (task.bpmn_id, task.candidate_team.key) == ("aufnahme", "kim")
        case_id = task.instance_id
    form = kim.get(f"/aufgaben/{task_id}")
    assert form.status_code == 200 and "Einwilligung" in form.get_data(as_text=True)
    refused = complete_web(kim, case_id, "aufnahme", aufnahme(geburtsdatum=born(29)))
    assert refused.status_code == 422
    assert "Die Person ist 29 Jahre alt" in refused.get_data(as_text=True)
    assert complete_web(kim, case_id, "aufnahme", aufnahme()).status_code == 302
    assert open_tasks(app, case_id) == ["situation"]
    inbox = kim.get("/aufgaben").get_data(as_text=True)
    assert "Situation klären" in inbox


def test_kim1_may_start_through_the_api(app, api_client):
    kim = api_client("kim1")
    assert "junge_erwachsene" in [p["key"] for p in kim.get("/api/v1/processes").get_json()]
    answer = kim.post("/api/v1/process-instances", json={"process": "junge_erwachsene", "team": "kim"})
    assert answer.status_code == 201, answer.get_json()


@pytest.mark.parametrize("username", NOT_STARTING)
def test_nobody_else_may_start(app, api_client, login_as, username):
    before = _count(app)
    client = api_client(username)
    assert "junge_erwachsene" not in [p["key"] for p in client.get("/api/v1/processes").get_json()]
    for team in ("kim", "fd311"):
        answer = client.post("/api/v1/process-instances", json={"process": "junge_erwachsene", "team": team})
        assert answer.status_code in (403, 422), answer.get_json()
    web = login_as(username)
    response = web.post("/faelle/neu", data={"verfahren": "junge_erwachsene", "team": "kim"})
    assert response.status_code in (403, 422)
    assert _count(app) == before


@pytest.mark.parametrize("username", ["kim1", "kimleitung"])
def test_the_team_and_its_lead_see_the_case(app, api_client, login_as, username):
    case_id = start(app)
    assert login_as(username).get(f"/faelle/{case_id}").status_code == 200
    assert api_client(username).get(f"/api/v1/process-instances/{case_id}").status_code == 200


@pytest.mark.parametrize("username", NOT_SEEING)
def test_other_teams_do_not_see_the_case(app, api_client, login_as, username):
    case_id = start(app)
    with app.app_context():
        task_id = db.session.scalar(select(Task.id).where(Task.instance_id == case_id))
    web = login_as(username)
    assert web.get(f"/faelle/{case_id}").status_code == 404
    assert web.get(f"/aufgaben/{task_id}").status_code in (403, 404)
    client = api_client(username)
    assert client.get(f"/api/v1/process-instances/{case_id}").status_code == 404
    assert client.get(f"/api/v1/tasks/{task_id}").status_code == 404
    listed = client.get("/api/v1/process-instances").get_json()
    assert case_id not in [i["id"] for i in listed["items"]]


def test_access_ends_with_the_team_membership(app, login_as):
    case_id = start(app)
    kim = login_as("kim1")
    assert kim.get(f"/faelle/{case_id}").status_code == 200
    with app.app_context():
        team = db.session.scalar(select(Team).where(Team.key == "kim"))
        db.session.execute(delete(Membership).where(Membership.user_id == user("kim1").id,
                                                    Membership.team_id == team.id))
        db.session.commit()
    assert kim.get(f"/faelle/{case_id}").status_code == 404


def test_the_lead_watches_the_cases_in_the_monitor_and_the_team_writes_the_journal(app, api_client, login_as):
    case_id = start(app)
    with app.app_context():
        reference = db.session.get(ProcessInstance, case_id).reference
    monitor = login_as("kimleitung").get("/monitor")
    assert monitor.status_code == 200 and reference in monitor.get_data(as_text=True)
    assert reference not in login_as("leitung").get("/monitor").get_data(as_text=True)
    kim = api_client("kim1")
    entry = kim.post(f"/api/v1/process-instances/{case_id}/journal", json={
        "kind": "gespraech", "date": born(0), "topics": ["aufenthalt", "ausbildung"],
        "text": "Termin bei der Ausländerbehörde vorbereitet"})
    assert entry.status_code == 201, entry.get_json()
    assert entry.get_json()["topics"] == ["aufenthalt", "ausbildung"]
    refused = kim.post(f"/api/v1/process-instances/{case_id}/journal", json={
        "kind": "gespraech", "date": born(0), "topics": ["kita"], "text": "x"})
    assert refused.status_code == 422
    assert api_client("fb31").get(f"/api/v1/process-instances/{case_id}/journal").status_code == 404
