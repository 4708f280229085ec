"""Interventions of the owning team's lead: permission, required reason, history entry, and a
consistent engine afterwards (the case still runs to its end)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.auth.models import LEAD, ROLE_LEITUNG, Membership, Team, User
from app.engine.models import CaseEvent, ProcessInstance, Task
from app.extensions import db
from app.timers.services import fire_due
from tests.flows import complete_web, instance, open_task, start_case_web, valid_data

KINDS = ["reassign", "suspend", "terminate", "reset"]


def url(case_id: int, kind: str) -> str:
    return f"/monitor/faelle/{case_id}/eingriff/{kind}"


def events(app, case_id: int, kind: str) -> list[CaseEvent]:
    with app.app_context():
        rows = db.session.scalars(select(CaseEvent).where(CaseEvent.instance_id == case_id, CaseEvent.kind == kind)
                                  .order_by(CaseEvent.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def task_rows(app, case_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        return [(t.bpmn_id, t.status) for t in db.session.scalars(
            select(Task).where(Task.instance_id == case_id).order_by(Task.id))]


def until_vorgespraech_done(login_as) -> int:
    fb36, k201 = login_as("fb36"), login_as("k201")
    case_id = start_case_web(fb36)
    assert complete_web(fb36, case_id, "bedarfsermittlung").status_code == 302
    assert complete_web(k201, case_id, "vermittlung").status_code == 302
    assert complete_web(fb36, case_id, "vorgespraech").status_code == 302
    return case_id


def finish(app, login_as, case_id: int) -> None:
    """Walk the case from wherever it is to the closing meeting and end it."""
    fb36, k201, volunteer = login_as("fb36"), login_as("k201"), login_as("ehrenamt1")
    for step, who in (("bedarfsermittlung", fb36), ("vermittlung", k201), ("vorgespraech", fb36)):
        if open_task(app, case_id, step) is not None:
            assert complete_web(who, case_id, step).status_code == 302, step
    if open_task(app, case_id, "rueckmeldung") is not None:
        assert complete_web(volunteer, case_id, "rueckmeldung").status_code == 302
    done = valid_data("zwischengespraech", abschluss_einleiten=True)
    assert complete_web(k201, case_id, "zwischengespraech", done).status_code == 302
    assert complete_web(fb36, case_id, "abschluss").status_code == 302
    case = instance(app, case_id)
    assert case.status == "completed" and case.outcome == "beenden"
    assert [s for _b, s in task_rows(app, case_id) if s in ("open", "claimed", "paused")] == []


@pytest.fixture
def other_lead(app):
    """A supervisor leading only Frühe Hilfen: not the lead of an ASD case."""
    with app.app_context():
        user = User(username="fhleitung", display_name="Uta Andere (Leitung FH)", email="fh@example.org")
        user.roles = [ROLE_LEITUNG]
        user.set_password("demo")
        team = db.session.scalar(select(Team).where(Team.key == "fruehehilfen"))
        user.memberships.append(Membership(team=team, kind=LEAD))
        db.session.add(user)
        db.session.commit()
    return "fhleitung"


@pytest.mark.parametrize("username, status", [
    ("fb36", 403), ("k201", 403), ("ehrenamt1", 403), ("prozess", 403), ("admin", 403),
    ("mbeleitung", 404), ("fhleitung", 404),
])
def test_only_the_lead_of_the_owning_team_may_intervene(app, login_as, other_lead, username, status):
    fb36 = login_as("fb36")
    case_id = start_case_web(fb36)
    client = login_as(username)
    assert client.get(f"/monitor/faelle/{case_id}").status_code == status
    for kind in [*KINDS, "resume"]:
        assert client.post(url(case_id, kind), data={f"{kind}-grund": "Test"}).status_code == status
    assert instance(app, case_id).status == "running"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CaseEvent).where(
            CaseEvent.instance_id == case_id, CaseEvent.kind.in_([*KINDS, "reassigned", "suspended"]))) == 0


@pytest.mark.parametrize("kind", KINDS)
def test_a_reason_is_required_and_nothing_changes_without_it(app, login_as, kind):
    case_id = until_vorgespraech_done(login_as)
    leitung = login_as("leitung")
    page = leitung.get(f"/monitor/faelle/{case_id}").data.decode()
    before = task_rows(app, case_id)
    data = {f"{kind}-grund": "   "}
    if kind == "reassign":
        data.update({"reassign-aufgabe": re.search(r'id="reassign-aufgabe".*?<option value="(\d+)"', page, re.S)
                     .group(1), "reassign-person": "fb36"})
    if kind == "reset":
        data["reset-schritt"] = re.search(r'id="reset-schritt".*?<option value="(\d+)"', page, re.S).group(1)
    response = leitung.post(url(case_id, kind), data=data)
    assert response.status_code == 422
    html = response.data.decode()
    assert re.search(rf'id="{kind}-grund".*?<ul class="field-errors" id="{kind}-grund-error">\s*'
                     r"<li>Bitte geben Sie einen Grund an.</li>", html, re.S)
    assert 'aria-invalid="true"' in html
    assert task_rows(app, case_id) == before
    assert instance(app, case_id).status == "running"


def test_reassign_to_a_person_and_to_a_team(app, login_as):
    fb36 = login_as("fb36")
    case_id = start_case_web(fb36)
    assert complete_web(fb36, case_id, "bedarfsermittlung").status_code == 302
    task = open_task(app, case_id, "vermittlung")
    leitung = login_as("leitung")
    none = leitung.post(url(case_id, "reassign"), data={"reassign-aufgabe": task.id, "reassign-grund": "x"})
    assert none.status_code == 422 and "Bitte entweder eine Person oder ein Team wählen." in none.data.decode()
    outsider = leitung.post(url(case_id, "reassign"), data={"reassign-aufgabe": task.id, "reassign-person": "mbe1",
                                                            "reassign-grund": "x"})
    assert outsider.status_code == 422 and "Diese Auswahl ist nicht möglich." in outsider.data.decode()

    # The Vermittlung is 201's step: a colleague of FB 31 is not offered and is refused (issue 14).
    wrong_lane = leitung.post(url(case_id, "reassign"), data={
        "reassign-aufgabe": task.id, "reassign-person": "fb31", "reassign-grund": "201 ist im Urlaub"})
    assert wrong_lane.status_code == 422 and "Diese Auswahl ist nicht möglich." in wrong_lane.data.decode()
    assert open_task(app, case_id, "vermittlung").assignee_id is None

    response = leitung.post(url(case_id, "reassign"), data={
        "reassign-aufgabe": task.id, "reassign-person": "k201", "reassign-grund": "Sam übernimmt"})
    assert response.status_code == 302
    moved = open_task(app, case_id, "vermittlung")
    with app.app_context():
        assert db.session.get(User, moved.assignee_id).username == "k201" and moved.status == "claimed"
    assert f"/aufgaben/{task.id}" in login_as("k201").get("/aufgaben").data.decode()
    [event] = events(app, case_id, "reassigned")
    assert event.data["grund"] == "Sam übernimmt" and event.data["nachher"]["person"] == "k201"
    timeline = leitung.get(f"/monitor/faelle/{case_id}").data.decode()
    assert "Aufgabe neu zugewiesen: Vermittlung" in timeline and "Sam übernimmt" in timeline

    response = leitung.post(url(case_id, "reassign"), data={
        "reassign-aufgabe": task.id, "reassign-team": "k201", "reassign-grund": "zurück an 201"})
    assert response.status_code == 302
    back = open_task(app, case_id, "vermittlung")
    assert back.assignee_id is None and back.status == "open"
    finish(app, login_as, case_id)


def test_suspend_pauses_tasks_and_timers_and_resume_restores_them(app, login_as):
    case_id = until_vorgespraech_done(login_as)
    due = instance(app, case_id).next_timer_due
    assert due is not None  # the end of the assignment ("Einsatzende erreicht")
    k201, leitung = login_as("k201"), login_as("leitung")
    task = open_task(app, case_id, "zwischengespraech")
    assert f"/aufgaben/{task.id}" in k201.get("/aufgaben").data.decode()

    response = leitung.post(url(case_id, "suspend"), data={"suspend-grund": "Familie für 6 Wochen verreist"})
    assert response.status_code == 302
    case = instance(app, case_id)
    assert case.status == "suspended" and case.next_timer_due is None
    assert {s for b, s in task_rows(app, case_id) if b in ("zwischengespraech", "rueckmeldung")} == {"paused"}
    assert f"/aufgaben/{task.id}" not in k201.get("/aufgaben").data.decode()
    blocked = k201.post(f"/aufgaben/{task.id}", data={"datum": "2026-01-01", "notizen": "x"})
    assert blocked.status_code in (302, 403, 409)
    opened = k201.get(f"/aufgaben/{task.id}", follow_redirects=True).data.decode()
    assert "Dieser Fall ist angehalten" in opened and "bereits erledigt" not in opened
    assert open_task(app, case_id, "zwischengespraech") is None  # still paused, not completed
    with app.app_context():
        assert fire_due(datetime.now(UTC) + timedelta(days=400)) == 0  # timers do not fire
    assert instance(app, case_id).status == "suspended"
    [event] = events(app, case_id, "suspended")
    assert event.data["grund"] == "Familie für 6 Wochen verreist"
    page = leitung.get(f"/monitor/faelle/{case_id}").data.decode()
    assert "Fall fortsetzen" in page and "pausiert" in page

    assert leitung.post(url(case_id, "resume"), data={"resume-grund": ""}).status_code == 422
    assert leitung.post(url(case_id, "resume"), data={"resume-grund": "Familie zurück"}).status_code == 302
    case = instance(app, case_id)
    assert case.status == "running" and case.next_timer_due == due
    assert open_task(app, case_id, "zwischengespraech").status == "open"
    assert f"/aufgaben/{task.id}" in k201.get("/aufgaben").data.decode()
    assert events(app, case_id, "resumed")[0].data["grund"] == "Familie zurück"
    # The case view labels the supervisor's entries (issue 12: an empty bold label before).
    case_page = login_as("fb36").get(f"/faelle/{case_id}").data.decode()
    assert "<strong>Fall angehalten</strong>" in case_page and "<strong>Fall fortgesetzt</strong>" in case_page
    assert "<strong></strong>" not in case_page
    finish(app, login_as, case_id)


def test_terminate_cancels_open_tasks_and_stops_the_case(app, login_as):
    case_id = until_vorgespraech_done(login_as)
    leitung = login_as("leitung")
    assert leitung.post(url(case_id, "terminate"), data={"terminate-grund": "Familie verzogen"}).status_code == 302
    case = instance(app, case_id)
    assert case.status == "terminated" and case.ended_at is not None and case.next_timer_due is None
    assert {s for _b, s in task_rows(app, case_id) if s not in ("completed",)} == {"cancelled"}
    assert events(app, case_id, "terminated")[0].data["grund"] == "Familie verzogen"
    with app.app_context():
        assert fire_due(datetime.now(UTC) + timedelta(days=400)) == 0
    again = leitung.post(url(case_id, "suspend"), data={"suspend-grund": "x"})
    assert again.status_code == 302 and instance(app, case_id).status == "terminated"
    assert "beendet" in login_as("fb36").get(f"/faelle/{case_id}").data.decode()


def test_reset_to_an_earlier_step_reopens_it_and_the_case_runs_to_the_end(app, login_as):
    case_id = until_vorgespraech_done(login_as)
    leitung = login_as("leitung")
    page = leitung.get(f"/monitor/faelle/{case_id}").data.decode()
    with app.app_context():
        vermittlung = db.session.scalar(select(Task).where(Task.instance_id == case_id, Task.bpmn_id == "vermittlung"))
        vermittlung_id = vermittlung.id
    assert f'<option value="{vermittlung_id}" >Vermittlung' in page
    response = leitung.post(url(case_id, "reset"), data={"reset-schritt": vermittlung_id,
                                                          "reset-grund": "Falsche Ehrenamtliche gewählt"})
    assert response.status_code == 302
    rows = task_rows(app, case_id)
    assert [s for b, s in rows if b in ("zwischengespraech", "rueckmeldung")] == ["cancelled", "cancelled"]
    reopened = open_task(app, case_id, "vermittlung")
    assert reopened is not None and reopened.id != vermittlung_id
    assert reopened.draft["ehrenamtliche"] == "ehrenamt1"  # what was entered, to correct it
    assert instance(app, case_id).next_timer_due is None  # the assignment's timer went with it
    [event] = events(app, case_id, "reset")
    assert event.data == {"grund": "Falsche Ehrenamtliche gewählt", "schritt": "vermittlung"}
    assert "Zurückgesetzt auf Schritt: Vermittlung" in leitung.get(f"/monitor/faelle/{case_id}").data.decode()
    finish(app, login_as, case_id)


def test_api_interventions(app, login_as):
    from tests.api.test_api_flow import api_login  # noqa: PLC0415 - the API test helper

    case_id = until_vorgespraech_done(login_as)
    leitung, fb36, mbe = api_login(app, "leitung"), api_login(app, "fb36"), api_login(app, "mbeleitung")
    path = f"/process-instances/{case_id}/interventions"
    assert fb36.post(path, json={"kind": "suspend", "grund": "x"}).status_code == 403
    assert mbe.post(path, json={"kind": "suspend", "grund": "x"}).status_code == 404
    missing = leitung.post(path, json={"kind": "suspend"})
    assert missing.status_code == 422 and missing.get_json()["error"]["fields"]["grund"] == [
        "Bitte geben Sie einen Grund an."]
    assert leitung.post(path, json={"kind": "fly", "grund": "x"}).status_code == 422
    ok = leitung.post(path, json={"kind": "suspend", "grund": "Pause"})
    assert ok.status_code == 200 and ok.get_json()["instance"]["status"] == "suspended"
    assert leitung.post(path, json={"kind": "suspend", "grund": "Pause"}).status_code == 409
    assert leitung.post(path, json={"kind": "resume", "grund": "weiter"}).status_code == 200
    task = open_task(app, case_id, "zwischengespraech")
    wrong = leitung.post(path, json={"kind": "reassign", "grund": "Vertretung", "aufgabe": task.id, "team": "asd"})
    assert wrong.status_code == 422 and wrong.get_json()["error"]["fields"]["team"] == [
        "Diese Auswahl ist nicht möglich."]  # the Zwischengespräch is 201's step
    moved = leitung.post(path, json={"kind": "reassign", "grund": "Vertretung", "aufgabe": task.id, "person": "k201"})
    assert moved.status_code == 200, moved.get_json()
    with app.app_context():
        vermittlung = db.session.scalar(select(Task.id).where(Task.instance_id == case_id,
                                                              Task.bpmn_id == "vermittlung"))
    reset = leitung.post(path, json={"kind": "reset", "grund": "neu", "schritt": vermittlung})
    assert reset.status_code == 200
    assert [t["name"] for t in reset.get_json()["instance"]["open_tasks"]] == ["vermittlung"]
    finish(app, login_as, case_id)
    with app.app_context():
        kinds = db.session.scalars(select(CaseEvent.kind).where(CaseEvent.instance_id == case_id)).all()
        assert {"suspended", "resumed", "reassigned", "reset"} <= set(kinds)
        assert db.session.get(ProcessInstance, case_id).status == "completed"
