"""One winner per claim: concurrent claims, unclaims, reassignments and completions of one task.

Every request runs through the real HTTP layer (Flask test clients in threads, the API with
bearer tokens or the web pages with a login). Exactly one request wins, all others get a
409 (API) or the German conflict message (web), never a 500 — on SQLite and PostgreSQL.
The group task is the Vermittlung of the small test process tests/engine/fixtures/engine_case.bpmn.
"""

from __future__ import annotations

import threading
import traceback
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.api.auth import issue_token
from app.auth.models import LEAD, MEMBER, Membership, Team, User
from app.engine import service
from app.engine.models import ACTIVE_TASK_STATES, CaseEvent, ProcessInstance, ProcessModel, Task
from app.extensions import db
from app.inbox import api as inbox_api
from app.inbox import routes as inbox_routes
from tests.api.test_api_flow import BASE
from tests.conftest import login
from tests.engine.conftest import ENGINE_CASE
from tests.flows import valid_data

pytestmark = pytest.mark.usefixtures("engine_case")  # every test here publishes engine_case

CONTENDERS = 20
BURSTS = 20


# --- helpers ---------------------------------------------------------------------------------

def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def add_members(app, count: int, team_key: str = "k201", kind: str = MEMBER, tag: str = "") -> list[str]:
    """``count`` extra members of ``team_key`` (cheap password hashing from tests/conftest.py)."""
    names = [f"{team_key}_{kind}_{tag}{i}" for i in range(count)]
    with app.app_context():
        team = db.session.scalar(select(Team).where(Team.key == team_key))
        for name in names:
            member = User(username=name, display_name=name, organisation_id=team.organisation_id)
            member.roles = ["leitung" if kind == LEAD else "koordination"]
            member.set_password("demo")
            member.memberships.append(Membership(team=team, kind=kind))
            db.session.add(member)
        db.session.commit()
    return names


def tokens_for(app, usernames: list[str]) -> dict[str, str]:
    with app.test_request_context():
        tokens = {name: issue_token(_user(name))[0] for name in usernames}
        db.session.commit()
    return tokens


def group_task(app) -> int:
    """A fresh case whose open group task is the Vermittlung of team 201 (nobody holds it)."""
    with app.test_request_context():
        model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == ENGINE_CASE))
        team = db.session.scalar(select(Team).where(Team.key == "asd"))
        instance = service.start_instance(model, _user("fb36"), team)
        db.session.commit()
        task = db.session.scalar(select(Task).where(Task.instance_id == instance.id,
                                                    Task.bpmn_id == "erfassung"))
        service.complete_task(task, _user("fb36"), valid_data("bedarfsermittlung"))
        db.session.commit()
        task = db.session.scalar(select(Task).where(
            Task.instance_id == instance.id, Task.bpmn_id == "vermittlung",
            Task.status.in_(ACTIVE_TASK_STATES)))
        assert task.assignee_id is None and task.candidate_team_id is not None
        return task.id


def burst(calls: list) -> list:
    """Run the callables at the same moment, one thread each; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = calls[i]()
        except Exception:  # noqa: BLE001 - reported (with its traceback) by the assertions
            results[i] = RuntimeError(traceback.format_exc())

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request hung"
    return results


def api_post(app, token: str, path: str, json=None):
    """A POST through the API as its own "browser" (test client); returns (status, body)."""
    def call():
        response = app.test_client().post(BASE + path, json=json,
                                          headers={"Authorization": f"Bearer {token}"})
        return response.status_code, response.get_json()
    return call


def history(app, task_id: int, kind: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(
            select(User.username).join(CaseEvent, CaseEvent.actor_id == User.id)
            .where(CaseEvent.task_id == task_id, CaseEvent.kind == kind).order_by(CaseEvent.id)))


def assignee(app, task_id: int) -> tuple[str | None, str]:
    with app.app_context():
        task = db.session.get(Task, task_id)
        return (task.assignee.username if task.assignee else None), task.status


def one_winner(results: list, names: list[str]) -> str:
    """Exactly one 200, every other answer a 409 with the JSON error of api-v1.md."""
    statuses = Counter(r[0] if isinstance(r, tuple) else repr(r) for r in results)
    assert statuses == Counter({200: 1, 409: len(results) - 1}), statuses
    for status, body in results:
        if status == 409:
            assert body["error"]["code"] == "conflict" and body["error"]["message"], body
    return next(name for name, (status, _body) in zip(names, results, strict=True) if status == 200)


# --- the API ---------------------------------------------------------------------------------

def test_twenty_concurrent_claims_have_one_winner(app):
    names = add_members(app, CONTENDERS)
    tokens = tokens_for(app, names)
    for _round in range(BURSTS):
        task_id = group_task(app)
        results = burst([api_post(app, tokens[n], f"/tasks/{task_id}/claim") for n in names])

        winner = one_winner(results, names)
        assert next(r[1] for r in results if r[0] == 200)["assignee"] == winner
        assert assignee(app, task_id) == (winner, "claimed")
        assert history(app, task_id, "claimed") == [winner]


def test_concurrent_unclaims_and_claims_have_one_winner(app):
    """The holder gives the task back while colleagues grab it: one outcome, told to all."""
    names = add_members(app, 8)
    tokens = tokens_for(app, names)
    for _round in range(5):
        task_id = group_task(app)
        holder, others = names[0], names[1:]
        assert api_post(app, tokens[holder], f"/tasks/{task_id}/claim")()[0] == 200
        calls = [api_post(app, tokens[holder], f"/tasks/{task_id}/unclaim")] * 3
        calls += [api_post(app, tokens[n], f"/tasks/{task_id}/claim") for n in others]
        results = burst(calls)
        codes = [r[0] if isinstance(r, tuple) else repr(r) for r in results]
        unclaims, claims = codes[:3], codes[3:]
        # a late "give back" may find the task already taken by a colleague: not theirs, 403
        assert set(unclaims) <= {200, 409, 403} and set(claims) <= {200, 409}, codes
        assert unclaims.count(200) == 1, codes  # given back exactly once
        assert claims.count(200) <= 1, codes  # and taken by at most one colleague
        assert len(history(app, task_id, "unclaimed")) == 1
        winners = [n for n, c in zip(others, claims, strict=True) if c == 200]
        assert assignee(app, task_id) == ((winners[0], "claimed") if winners else (None, "open"))
        assert history(app, task_id, "claimed") == [holder, *winners]


def test_concurrent_completions_have_one_winner(app):
    """Group members complete the unclaimed group task at once: one 200, the rest 409."""
    names = add_members(app, 10)
    tokens = tokens_for(app, names)
    for _round in range(3):
        task_id = group_task(app)
        results = burst([api_post(app, tokens[n], f"/tasks/{task_id}/complete",
                                  json={"data": valid_data("vermittlung")}) for n in names])
        statuses = Counter(r[0] if isinstance(r, tuple) else repr(r) for r in results)
        assert statuses == Counter({200: 1, 409: len(names) - 1}), statuses
        with app.app_context():
            instance_id = db.session.get(Task, task_id).instance_id
            assert db.session.scalar(select(func.count(CaseEvent.id)).where(
                CaseEvent.task_id == task_id, CaseEvent.kind == "task_completed")) == 1
            assert db.session.scalar(select(func.count(Task.id)).where(
                Task.instance_id == instance_id, Task.bpmn_id == "vorbereitung")) == 1


def test_claims_racing_a_completion_never_overwrite_it(app):
    """One member completes the group task while others claim it: never a claim of a done task,
    never a completion of a task someone else took first."""
    names = add_members(app, 8)
    tokens = tokens_for(app, names)
    for _round in range(5):
        task_id = group_task(app)
        finisher, claimers = names[0], names[1:]
        calls = [api_post(app, tokens[finisher], f"/tasks/{task_id}/complete",
                          json={"data": valid_data("vermittlung")})]
        calls += [api_post(app, tokens[n], f"/tasks/{task_id}/claim") for n in claimers]
        results = burst(calls)
        codes = [r[0] if isinstance(r, tuple) else repr(r) for r in results]
        assert set(codes) <= {200, 409}, codes
        person, status = assignee(app, task_id)
        claimed = history(app, task_id, "claimed")
        if codes[0] == 200:  # completed: nobody could have claimed it before
            assert (person, status) == (finisher, "completed") and claimed == [], (codes, claimed)
        else:  # someone claimed it first: that claim stands
            assert codes[1:].count(200) == 1 and status == "claimed" and claimed == [person]


def test_concurrent_reassignments_never_lose_an_update(app):
    """Supervisors hand the same task to different people (the monitor's intervention through
    the API) while members claim it. A reassignment of a task that someone holds is allowed, so
    several may succeed one after the other, but each success builds on the one before: the
    history is one unbroken chain (each "vorher" is the previous holder), one event per 200."""
    leads = add_members(app, 4, team_key="asd", kind=LEAD)
    members = add_members(app, 4)
    targets = add_members(app, 4, tag="t")  # not among the claimers (whose claim of a task
    tokens = tokens_for(app, leads + members)  # already theirs would rightly be a 200)
    for _round in range(4):
        task_id = group_task(app)
        with app.app_context():
            instance_id = db.session.get(Task, task_id).instance_id
        calls = [api_post(app, tokens[lead], f"/process-instances/{instance_id}/interventions",
                          json={"kind": "reassign", "aufgabe": str(task_id), "person": targets[i],
                                "grund": "Urlaub"}) for i, lead in enumerate(leads)]
        calls += [api_post(app, tokens[m], f"/tasks/{task_id}/claim") for m in members]
        results = burst(calls)
        codes = [r[0] if isinstance(r, tuple) else repr(r) for r in results]
        assert set(codes) <= {200, 409}, (codes, results)
        assert codes[len(leads):].count(200) <= 1, codes  # a claim needs a task nobody holds
        with app.app_context():
            events = db.session.execute(
                select(CaseEvent.kind, CaseEvent.data, User.username)
                .join(User, User.id == CaseEvent.actor_id)
                .where(CaseEvent.task_id == task_id, CaseEvent.kind.in_(["claimed", "reassigned"]))
                .order_by(CaseEvent.id)).all()
        assert len(events) == codes.count(200) >= 1, (codes, events)
        holder = None
        for kind, data, actor in events:
            if kind == "claimed":
                assert holder is None, events
                holder = actor
            else:
                assert data["vorher"]["person"] == holder, events
                holder = data["nachher"]["person"]
        assert assignee(app, task_id) == (holder, "claimed")


@pytest.mark.parametrize("kind", ["suspend", "terminate"])
def test_concurrent_interventions_on_one_case_have_one_winner(app, kind):
    leads = add_members(app, 6, team_key="asd", kind=LEAD)
    tokens = tokens_for(app, leads)
    task_id = group_task(app)
    with app.app_context():
        instance_id = db.session.get(Task, task_id).instance_id
    results = burst([api_post(app, tokens[lead], f"/process-instances/{instance_id}/interventions",
                              json={"kind": kind, "grund": "Test"}) for lead in leads])
    codes = Counter(r[0] if isinstance(r, tuple) else repr(r) for r in results)
    assert codes == Counter({200: 1, 409: len(leads) - 1}), (codes, results)
    with app.app_context():
        event = {"suspend": "suspended", "terminate": "terminated"}[kind]
        assert db.session.scalar(select(func.count(CaseEvent.id)).where(
            CaseEvent.instance_id == instance_id, CaseEvent.kind == event)) == 1
        assert db.session.get(ProcessInstance, instance_id).status == event


# --- the web pages ---------------------------------------------------------------------------

def test_concurrent_claims_in_the_browser_have_one_winner(app):
    """Ten 201 colleagues press "Übernehmen" at once: one takes the task, the others read the
    German conflict message on the page they come back to; nobody sees an error page."""
    names = add_members(app, 10)
    clients = {name: login(app.test_client(), name) for name in names}
    for _round in range(3):
        task_id = group_task(app)

        def press(client, task_id=task_id):
            def call():
                response = client.post(f"/aufgaben/{task_id}/uebernehmen", data={"next": "/aufgaben"},
                                       follow_redirects=True)
                return response.status_code, response.get_data(as_text=True)
            return call

        results = burst([press(clients[n]) for n in names])
        assert [r[0] if isinstance(r, tuple) else repr(r) for r in results] == [200] * len(names)
        won = [n for n, (_s, page) in zip(names, results, strict=True) if "Aufgabe übernommen." in page]
        assert len(won) == 1, won
        told = [page for _s, page in results if "Aufgabe übernommen." not in page]
        assert all("von einer anderen Person übernommen" in page or "gleichzeitig" in page
                   for page in told), [p[:300] for p in told]
        assert assignee(app, task_id) == (won[0], "claimed")
        assert history(app, task_id, "claimed") == won


def _changed_meanwhile(monkeypatch, module) -> None:
    """Right after the request loaded the task, another request changes the case (its row
    version): the claim's write then really fails in the database session."""
    original = module.get_task_or_404

    def load_then_race(user, task_id, **options):
        task = original(user, task_id, **options)
        with db.engine.begin() as other:
            other.execute(ProcessInstance.__table__.update().where(ProcessInstance.id == task.instance_id)
                          .values(row_version=ProcessInstance.row_version + 1))
        return task

    monkeypatch.setattr(module, "get_task_or_404", load_then_race)


def test_api_claim_after_a_failed_flush_is_409_not_500(app, monkeypatch):
    """The failed flush is rolled back before the message is translated (the API caller's
    locale is read from the user row: on the failed session that was a PendingRollbackError)."""
    names = add_members(app, 1)
    token = tokens_for(app, names)[names[0]]
    task_id = group_task(app)
    _changed_meanwhile(monkeypatch, inbox_api)
    status, body = api_post(app, token, f"/tasks/{task_id}/claim")()
    assert (status, body["error"]["code"]) == (409, "conflict"), body
    assert "gleichzeitig" in body["error"]["message"]
    assert assignee(app, task_id) == (None, "open") and history(app, task_id, "claimed") == []


@pytest.mark.parametrize("action", ["claim", "complete"])
def test_task_taken_after_it_was_loaded_is_409_not_a_second_winner(app, monkeypatch, action):
    """The race of the two winners, step by step: this request read the task unclaimed, then a
    colleague's claim committed, then this request read the case (already at the new row
    version). The case's version check cannot see it; the conditional UPDATE of the task (a
    claim) or the fresh read of the task row after the case (a completion) does."""
    names = add_members(app, 2)
    token = tokens_for(app, names)[names[0]]
    task_id = group_task(app)
    with app.app_context():
        colleague = _user(names[1]).id
    original = inbox_api.get_task_or_404

    def colleague_first(user, task_id, **options):
        task = original(user, task_id, **options)
        with db.engine.begin() as other:
            other.execute(Task.__table__.update().where(Task.id == task_id)
                          .values(assignee_id=colleague, status="claimed"))
            other.execute(ProcessInstance.__table__.update().where(ProcessInstance.id == task.instance_id)
                          .values(row_version=ProcessInstance.row_version + 1))
        db.session.refresh(task.instance)  # the case is read after the colleague's commit
        return task

    monkeypatch.setattr(inbox_api, "get_task_or_404", colleague_first)
    body = {"data": valid_data("vermittlung")} if action == "complete" else None
    status, body = api_post(app, token, f"/tasks/{task_id}/{action}", json=body)()
    assert (status, body["error"]["message"]) == (
        409, "Diese Aufgabe wurde bereits von einer anderen Person übernommen."), body
    assert assignee(app, task_id) == (names[1], "claimed")


@pytest.mark.parametrize("failure", ["stale", "locked"])
def test_web_claim_after_a_failed_write_is_the_german_message(app, monkeypatch, failure):
    """A claim whose write fails (a concurrent change; SQLite still locked after its busy
    timeout) shows the German conflict message, never an error page, and saves nothing."""
    names = add_members(app, 1)
    client = login(app.test_client(), names[0])
    task_id = group_task(app)
    if failure == "stale":
        _changed_meanwhile(monkeypatch, inbox_routes)
    else:
        def locked(*_args, **_kwargs):
            raise OperationalError("UPDATE process_instance", {}, Exception("database is locked"))

        monkeypatch.setattr(db.session, "flush", locked)
    response = client.post(f"/aufgaben/{task_id}/uebernehmen", data={"next": "/aufgaben"})
    monkeypatch.undo()
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Der Fall wurde gleichzeitig von einer anderen Person geändert." in page
    assert assignee(app, task_id) == (None, "open") and history(app, task_id, "claimed") == []
