"""Who may see a case is derived from current tasks, data and responsibilities, never left behind
(issue 14, item 2): after every intervention, the MBE handover and the end of an absence cover,
each demo account sees the case (case view, API, search, "Meine Einsätze") exactly as the rules
say. And reassigning offers — and accepts — only people who may work in the task's lane."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.auth.models import MEMBER, Membership, Team, User
from app.engine import service
from app.engine.models import LIMITED, CaseParticipant, ProcessInstance, Task
from app.extensions import db
from tests.flows import complete_web, open_task, start_case_web, valid_data

ROLES = ["fb36", "fb36fh", "fb31", "k201", "ehrenamt1", "ehrenamt2", "mbe1", "mbe2", "mbeleitung",
         "leitung", "prozess", "admin"]
# An Alltagsbegleitung case of the ASD with ehrenamt1 as its volunteer.
ASD_CASE = {"fb36", "k201", "ehrenamt1", "leitung"}


def url(case_id: int, kind: str) -> str:
    return f"/monitor/faelle/{case_id}/eingriff/{kind}"


class Observer:
    """Every demo account, in the browser and with an API token, asked whether it sees a case."""

    def __init__(self, login_as, api_client, users=ROLES) -> None:
        self.users = list(users)
        self.web = {u: login_as(u) for u in self.users}
        self.api = {u: api_client(u) for u in self.users}

    def who_sees(self, case_id: int) -> set[str]:
        app = next(iter(self.web.values())).application
        with app.app_context():
            reference = db.session.get(ProcessInstance, case_id).reference
        seeing = set()
        for user in self.users:
            view = self.web[user].get(f"/faelle/{case_id}")
            api = self.api[user].get(f"/api/v1/process-instances/{case_id}")
            found = self.web[user].get("/suche", query_string={"q": reference})
            assert view.status_code in (200, 404) and api.status_code in (200, 404), user
            assert found.status_code == 200, user
            sees = view.status_code == 200
            assert (api.status_code == 200) is sees, f"{user}: API {api.status_code}, page {view.status_code}"
            assert (f'/faelle/{case_id}"' in found.get_data(as_text=True)) is sees, f"{user}: search"
            if not sees:
                assert reference not in view.get_data(as_text=True)
            if user.startswith("ehrenamt"):
                mine = self.web[user].get("/ehrenamt/einsaetze").get_data(as_text=True)
                assert (f'data-case="{case_id}"' in mine) is sees, f"{user}: Meine Einsätze"
            if sees:
                seeing.add(user)
        return seeing


@pytest.fixture
def observer(app, login_as, api_client):
    return Observer(login_as, api_client)


def asd_case_in_assignment(login_as) -> int:
    """An ASD case past the Vorgespräch: Zwischengespräch (201) and Rückmeldung (ehrenamt1) open."""
    fb36, k201 = login_as("fb36"), login_as("k201")
    case_id = start_case_web(fb36)
    assert complete_web(fb36, case_id, "bedarfsermittlung").status_code == 302
    assert complete_web(k201, case_id, "vermittlung").status_code == 302
    assert complete_web(fb36, case_id, "vorgespraech").status_code == 302
    return case_id


def reassign_select(page: str) -> tuple[set[str], set[str]]:
    """The values offered in the reassign form's person and team selects."""
    def values(name: str) -> set[str]:
        select_html = re.search(rf'<select[^>]*id="reassign-{name}".*?</select>', page, re.S).group(0)
        return {v for v in re.findall(r'<option value="([^"]*)"', select_html) if v}
    return values("person"), values("team")


# --- what the select offers and what the server accepts -------------------------------------

def test_the_reassign_select_offers_only_the_people_of_each_lane(app, login_as):
    case_id = asd_case_in_assignment(login_as)
    page = login_as("leitung").get(f"/monitor/faelle/{case_id}").get_data(as_text=True)
    people, teams = reassign_select(page)
    # Zwischengespräch: 201's members and lead; Rückmeldung: only this case's volunteer. Nobody else.
    assert people == {"k201", "leitung", "ehrenamt1"}
    assert teams == {"k201"}
    assert "Ole Begleiter" not in re.search(r'id="reassign-person".*?</select>', page, re.S).group(0)


@pytest.mark.parametrize("step, person", [
    ("zwischengespraech", "ehrenamt1"),  # a volunteer in 201's step
    ("zwischengespraech", "ehrenamt2"),  # another family's volunteer
    ("zwischengespraech", "fb31"),  # staff of another team
    ("zwischengespraech", "mbe1"),  # another organisation
    ("rueckmeldung", "ehrenamt2"),  # the volunteer lane: only the case's own volunteer
    ("rueckmeldung", "k201"),
])
def test_a_crafted_reassignment_to_someone_outside_the_lane_is_refused(app, login_as, api_client, observer,
                                                                       step, person):
    case_id = asd_case_in_assignment(login_as)
    task = open_task(app, case_id, step)
    before = observer.who_sees(case_id)
    assert before == ASD_CASE
    leitung = login_as("leitung")
    page = leitung.post(url(case_id, "reassign"), data={
        "reassign-aufgabe": task.id, "reassign-person": person, "reassign-grund": "Versuch"})
    assert page.status_code == 422
    assert ("Diese Auswahl ist nicht möglich." in page.get_data(as_text=True)
            or "Diese Person darf in dem Schritt dieser Aufgabe nicht arbeiten." in page.get_data(as_text=True))
    api = api_client("leitung").post(f"/api/v1/process-instances/{case_id}/interventions", json={
        "kind": "reassign", "grund": "Versuch", "aufgabe": task.id, "person": person})
    assert api.status_code == 422 and "person" in api.get_json()["error"]["fields"]
    after = open_task(app, case_id, step)
    assert (after.assignee_id, after.candidate_team_id, after.status) == (
        task.assignee_id, task.candidate_team_id, task.status)
    assert observer.who_sees(case_id) == before


def test_the_engine_refuses_an_ineligible_assignee_too(app, login_as):
    case_id = asd_case_in_assignment(login_as)
    with app.test_request_context():
        task = db.session.scalar(select(Task).where(Task.instance_id == case_id, Task.bpmn_id == "zwischengespraech"))
        outsider = db.session.scalar(select(User).where(User.username == "ehrenamt2"))
        lead = db.session.scalar(select(User).where(User.username == "leitung"))
        with pytest.raises(service.ForbiddenError, match="Ole Begleiter kann die Aufgabe"):
            from app.engine import interventions  # noqa: PLC0415 - the engine function itself
            interventions.reassign(task, lead, "x", user=outsider)


# --- interventions leave no access behind ---------------------------------------------------

def test_reassign_between_staff_and_back_leaves_access_as_it_was(app, login_as, observer):
    case_id = asd_case_in_assignment(login_as)
    assert observer.who_sees(case_id) == ASD_CASE
    leitung = login_as("leitung")
    task = open_task(app, case_id, "zwischengespraech")
    for data in ({"reassign-person": "k201"}, {"reassign-team": "k201"}):
        response = leitung.post(url(case_id, "reassign"), data={"reassign-aufgabe": task.id,
                                                                "reassign-grund": "Umverteilung", **data})
        assert response.status_code == 302
        assert observer.who_sees(case_id) == ASD_CASE
    volunteer = open_task(app, case_id, "rueckmeldung")
    response = leitung.post(url(case_id, "reassign"), data={
        "reassign-aufgabe": volunteer.id, "reassign-person": "ehrenamt1", "reassign-grund": "bleibt"})
    assert response.status_code == 302
    assert observer.who_sees(case_id) == ASD_CASE


def test_suspend_resume_and_terminate(app, login_as, observer):
    case_id = asd_case_in_assignment(login_as)
    leitung = login_as("leitung")
    assert leitung.post(url(case_id, "suspend"), data={"suspend-grund": "Pause"}).status_code == 302
    assert observer.who_sees(case_id) == ASD_CASE
    assert leitung.post(url(case_id, "resume"), data={"resume-grund": "weiter"}).status_code == 302
    assert observer.who_sees(case_id) == ASD_CASE
    assert leitung.post(url(case_id, "terminate"), data={"terminate-grund": "verzogen"}).status_code == 302
    # the volunteer named in the case keeps reading their past assignment; nobody else comes or stays
    assert observer.who_sees(case_id) == ASD_CASE


def test_a_volunteer_taken_off_the_case_loses_it_at_once(app, login_as, observer):
    """Reset to the Vermittlung and another volunteer chosen: the first one's access,
    "Meine Einsätze" entry and tasks go; the new one's come."""
    case_id = asd_case_in_assignment(login_as)
    leitung = login_as("leitung")
    with app.app_context():
        vermittlung = db.session.scalar(select(Task.id).where(Task.instance_id == case_id,
                                                              Task.bpmn_id == "vermittlung"))
    assert leitung.post(url(case_id, "reset"), data={"reset-schritt": vermittlung,
                                                     "reset-grund": "andere Person"}).status_code == 302
    assert observer.who_sees(case_id) == ASD_CASE  # still named in the case until someone else is
    assert complete_web(login_as("k201"), case_id, "vermittlung",
                        valid_data("vermittlung", ehrenamtliche="ehrenamt2")).status_code == 302
    assert observer.who_sees(case_id) == ASD_CASE - {"ehrenamt1"} | {"ehrenamt2"}
    with app.app_context():
        rows = db.session.scalars(select(CaseParticipant).where(CaseParticipant.instance_id == case_id,
                                                                CaseParticipant.level == LIMITED)).all()
        assert [r.user_id for r in rows] == [db.session.scalar(select(User.id).where(User.username == "ehrenamt2"))]


def test_a_left_behind_row_goes_with_the_next_change_of_the_case(app, login_as, observer):
    """A row the old reassignment left (a volunteer of another family) is dropped by the next
    change of the case: nothing keeps it."""
    case_id = asd_case_in_assignment(login_as)
    with app.app_context():
        stranger = db.session.scalar(select(User.id).where(User.username == "ehrenamt2"))
        db.session.add(CaseParticipant(instance_id=case_id, user_id=stranger, level=LIMITED, reason="reassigned"))
        db.session.commit()
    assert observer.who_sees(case_id) == ASD_CASE | {"ehrenamt2"}  # what the bug left
    assert complete_web(login_as("ehrenamt1"), case_id, "rueckmeldung").status_code == 302
    assert observer.who_sees(case_id) == ASD_CASE


# --- the ASD case with a second team member: the owner lane ---------------------------------

@pytest.fixture
def colleague(app):
    """fb36b, a second member of the ASD."""
    with app.app_context():
        user = User(username="fb36b", display_name="Bea Kollegin (ASD)", email="fb36b@example.org")
        user.roles = ["fachkraft"]
        user.set_password("demo")
        user.memberships.append(Membership(team=db.session.scalar(select(Team).where(Team.key == "asd")),
                                           kind=MEMBER))
        db.session.add(user)
        db.session.commit()
    return "fb36b"


def test_the_owner_lane_offers_the_owning_team(app, login_as, api_client, colleague):
    fb36 = login_as("fb36")
    case_id = start_case_web(fb36)
    page = login_as("leitung").get(f"/monitor/faelle/{case_id}").get_data(as_text=True)
    assert reassign_select(page) == ({"fb36", "fb36b", "leitung"}, {"asd"})
    observer = Observer(login_as, api_client, [*ROLES, "fb36b"])
    task = open_task(app, case_id, "bedarfsermittlung")
    leitung = login_as("leitung")
    assert leitung.post(url(case_id, "reassign"), data={"reassign-aufgabe": task.id, "reassign-person": "fb36b",
                                                        "reassign-grund": "x"}).status_code == 302
    assert observer.who_sees(case_id) == {"fb36", "fb36b", "k201", "leitung"}
    refused = leitung.post(url(case_id, "reassign"), data={"reassign-aufgabe": task.id, "reassign-team": "fd311",
                                                           "reassign-grund": "x"})
    assert refused.status_code == 422
    assert observer.who_sees(case_id) == {"fb36", "fb36b", "k201", "leitung"}


def test_to_dos_go_to_their_team_or_to_people_taking_part_fully(app, login_as, observer):
    case_id = asd_case_in_assignment(login_as)
    with app.test_request_context():
        case = db.session.get(ProcessInstance, case_id)
        asd = db.session.scalar(select(Team).where(Team.key == "asd"))
        fb36 = db.session.scalar(select(User).where(User.username == "fb36"))
        team_todo = service.create_todo(case, "Jugendamt anrufen", created_by=fb36, team=asd)
        own_todo = service.create_todo(case, "Bericht lesen", created_by=fb36, assignee=fb36)
        db.session.commit()
        team_todo_id, own_todo_id = team_todo.id, own_todo.id
    leitung = login_as("leitung")
    page = leitung.get(f"/monitor/faelle/{case_id}").get_data(as_text=True)
    people, teams = reassign_select(page)
    # the team's to-do: ASD members; the personal one: who takes part fully (never a volunteer)
    assert people == {"fb36", "k201", "leitung", "ehrenamt1"} and teams == {"asd", "k201"}

    def give(task_id: int, **target) -> int:
        data = {"reassign-aufgabe": task_id, "reassign-grund": "x", **{f"reassign-{k}": v for k, v in target.items()}}
        return leitung.post(url(case_id, "reassign"), data=data).status_code

    assert give(team_todo_id, person="k201") == 422  # not an ASD member
    assert give(own_todo_id, person="ehrenamt1") == 422  # a volunteer never gets a to-do of the file
    assert give(own_todo_id, person="ehrenamt2") == 422
    assert give(own_todo_id, person="k201") == 302
    assert give(team_todo_id, person="fb36") == 302
    assert observer.who_sees(case_id) == ASD_CASE
