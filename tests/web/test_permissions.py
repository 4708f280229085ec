"""Who may start, see, open, claim and complete what — through the web pages.

Requirements: only FB 36 / FB 31 staff start the process; FB-lane tasks go to the requesting
team, 201-lane tasks to the 201 group, volunteer-lane tasks only to the chosen volunteer; staff
of other teams never see the case (404); the volunteer sees only a limited case file.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from app.auth.models import MEMBER, Membership, Team, User
from app.engine.models import CaseEvent, ProcessInstance, Task
from app.extensions import db
from tests.flows import complete_web, open_task, start_case_web, to_form, valid_data

# A text only the professionals may read (Bedarf and internal note of the FB team).
SECRET_BEDARF = "Vertraulich: Schulden und Streit mit dem Vermieter"
SECRET_NOTE = "Interne Einschätzung: Kinderschutz prüfen"

STAGES = ["bedarfsermittlung", "vermittlung", "vorgespraech", "einsatz"]


def _rueckmeldung() -> dict:
    return valid_data("rueckmeldung", datum=date.today().isoformat())


def _case_at(login_as, stage: str) -> int:
    """A case of team asd (started by fb36) whose open step is ``stage``."""
    fb36 = login_as("fb36")
    case_id = start_case_web(fb36)
    if stage == "bedarfsermittlung":
        return case_id
    bedarf = valid_data("bedarfsermittlung", bedarf=SECRET_BEDARF, interne_notiz=SECRET_NOTE)
    assert complete_web(fb36, case_id, "bedarfsermittlung", bedarf).status_code == 302
    if stage == "vermittlung":
        return case_id
    assert complete_web(login_as("k201"), case_id, "vermittlung").status_code == 302
    if stage == "vorgespraech":
        return case_id
    assert complete_web(fb36, case_id, "vorgespraech").status_code == 302
    return case_id


def _counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(ProcessInstance.id))),
            db.session.scalar(select(func.count(Task.id))),
            db.session.scalar(select(func.count(CaseEvent.id))),
        )


def _task_row(app, task_id: int) -> tuple:
    with app.app_context():
        t = db.session.get(Task, task_id)
        return t.status, t.assignee_id, t.completed_at, t.instance.row_version


def _section(page: str, heading_id: str) -> str:
    """The HTML of the <section> labelled by ``heading_id``."""
    match = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', page, re.S)
    assert match, f"section {heading_id} missing"
    return match.group(1)


def _add_asd_member(app, username: str = "fb36b") -> None:
    """A second member of team asd (the demo data has only one)."""
    with app.app_context():
        team = db.session.scalar(select(Team).where(Team.key == "asd"))
        user = User(username=username, display_name="Uwe Zweit (ASD)", roles=["fachkraft"])
        user.set_password("demo")
        user.memberships.append(Membership(team=team, kind=MEMBER))
        db.session.add(user)
        db.session.commit()


# --- who may start ---------------------------------------------------------------------------

STARTERS = {"fb36": "asd", "fb36fh": "fruehehilfen", "fb31": "fd311"}
NON_STARTERS = ["k201", "ehrenamt1", "mbe1", "mbe2", "mbeleitung", "leitung", "prozess", "admin"]
# 201 staff start the counselling log, MBE counsellors their own procedure: they see the start page,
# but never with the Alltagsbegleitung in it.
STARTS_SOMETHING_ELSE = {"k201", "mbe1", "mbe2"}


@pytest.mark.parametrize("username", sorted(STARTERS))
def test_fb_staff_may_start(app, login_as, username):
    client = login_as(username)
    page = client.get("/faelle/neu")
    assert page.status_code == 200
    assert f'value="{STARTERS[username]}"' in page.data.decode()
    case_id = start_case_web(client, team=STARTERS[username])
    with app.app_context():
        case = db.session.get(ProcessInstance, case_id)
        assert case.owner_team.key == STARTERS[username]
        assert case.started_by.username == username
    # the first task is the starter's team's Bedarfsermittlung, and they may open it
    task = open_task(app, case_id, "bedarfsermittlung")
    assert client.get(f"/aufgaben/{task.id}").status_code == 200


@pytest.mark.parametrize("username", NON_STARTERS)
def test_others_may_not_start(app, login_as, username):
    client = login_as(username)
    before = _counts(app)
    page = client.get("/faelle/neu")
    if username.startswith("mbe") and username in STARTS_SOMETHING_ELSE:
        # MBE counsellors are sent to the client search first (no duplicate records)
        assert page.status_code == 302 and page.headers["Location"].endswith("/mbe/klienten")
    elif username in STARTS_SOMETHING_ELSE:
        assert page.status_code == 200
        assert 'value="alltagsbegleitung"' not in page.data.decode()
    else:
        assert page.status_code == 403
    for team in ("asd", "k201", "mbe"):
        response = client.post("/faelle/neu", data={"verfahren": "alltagsbegleitung", "team": team})
        # a choice that is not offered is a form error for those who may start something else
        assert response.status_code == (422 if username in STARTS_SOMETHING_ELSE else 403)
    assert _counts(app) == before
    if username not in STARTS_SOMETHING_ELSE:
        assert "Neuen Fall anlegen" not in client.get("/faelle").data.decode()


def test_starter_cannot_start_for_another_team(app, login_as):
    fb36 = login_as("fb36")
    before = _counts(app)
    response = fb36.post("/faelle/neu", data={"verfahren": "alltagsbegleitung", "team": "fd311"})
    assert response.status_code == 422
    assert _counts(app) == before


# --- who may see a case of team asd ----------------------------------------------------------

FULL_VIEWERS = ["fb36", "k201", "leitung"]
NO_VIEWERS = ["fb36fh", "fb31", "ehrenamt2", "mbe1", "mbeleitung", "prozess", "admin"]


@pytest.mark.parametrize("username", FULL_VIEWERS)
def test_case_visible_in_full(app, login_as, username):
    case_id = _case_at(login_as, "einsatz")
    client = login_as(username)
    response = client.get(f"/faelle/{case_id}")
    assert response.status_code == 200
    page = response.data.decode()
    assert SECRET_BEDARF in page and SECRET_NOTE in page
    with app.app_context():
        reference = db.session.get(ProcessInstance, case_id).reference
    assert reference in client.get("/faelle").data.decode()


@pytest.mark.parametrize("username", NO_VIEWERS)
def test_case_hidden_from_outsiders(app, login_as, username):
    case_id = _case_at(login_as, "einsatz")
    client = login_as(username)
    response = client.get(f"/faelle/{case_id}")
    assert response.status_code == 404
    page = response.data.decode()
    assert SECRET_BEDARF not in page and "Testfamilie" not in page
    with app.app_context():
        reference = db.session.get(ProcessInstance, case_id).reference
    assert reference not in client.get("/faelle").data.decode()
    for task in _all_tasks(app, case_id):
        assert client.get(f"/aufgaben/{task}").status_code == 404


def _all_tasks(app, case_id: int) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Task.id).where(Task.instance_id == case_id)))


def test_volunteer_sees_case_only_after_vermittlung(app, login_as):
    case_id = _case_at(login_as, "vermittlung")
    volunteer = login_as("ehrenamt1")
    assert volunteer.get(f"/faelle/{case_id}").status_code == 404
    assert complete_web(login_as("k201"), case_id, "vermittlung").status_code == 302
    assert volunteer.get(f"/faelle/{case_id}").status_code == 200


def test_chosen_volunteer_sees_limited_case(app, login_as):
    case_id = _case_at(login_as, "einsatz")
    response = login_as("ehrenamt1").get(f"/faelle/{case_id}")
    assert response.status_code == 200
    page = response.data.decode()
    # what the volunteer needs: the family, the goals, their own task
    assert "Testfamilie Ahorn" in page
    assert "Kita-Platz beantragt" in page
    assert "Rückmeldung an 201" in _section(page, "tasks-h")
    # what they must not read: the assessed need and the FB team's internal note
    assert SECRET_BEDARF not in page
    assert SECRET_NOTE not in page
    assert "Festgestellter Bedarf" not in page
    # and not the 201 group's open task either
    assert "Zwischengespräch" not in _section(page, "tasks-h")


# --- who may open / complete each task ---------------------------------------------------------

# (stage, task, user, expected status of GET /aufgaben/<id>)
TASK_MATRIX = [
    ("bedarfsermittlung", "bedarfsermittlung", "fb36", 200),
    ("bedarfsermittlung", "bedarfsermittlung", "fb36fh", 404),
    ("bedarfsermittlung", "bedarfsermittlung", "fb31", 404),
    ("bedarfsermittlung", "bedarfsermittlung", "k201", 403),
    ("bedarfsermittlung", "bedarfsermittlung", "leitung", 403),
    ("bedarfsermittlung", "bedarfsermittlung", "ehrenamt1", 404),
    ("bedarfsermittlung", "bedarfsermittlung", "mbe1", 404),
    ("bedarfsermittlung", "bedarfsermittlung", "admin", 404),
    ("vermittlung", "vermittlung", "k201", 200),
    ("vermittlung", "vermittlung", "fb36", 403),
    ("vermittlung", "vermittlung", "leitung", 403),
    ("vermittlung", "vermittlung", "fb36fh", 404),
    ("vermittlung", "vermittlung", "ehrenamt1", 404),
    ("vermittlung", "vermittlung", "mbeleitung", 404),
    ("vorgespraech", "vorgespraech", "fb36", 200),
    ("vorgespraech", "vorgespraech", "k201", 403),
    ("vorgespraech", "vorgespraech", "ehrenamt1", 404),
    ("vorgespraech", "vorgespraech", "fb31", 404),
    ("einsatz", "zwischengespraech", "k201", 200),
    ("einsatz", "zwischengespraech", "fb36", 403),
    ("einsatz", "zwischengespraech", "ehrenamt1", 404),
    ("einsatz", "zwischengespraech", "mbe1", 404),
    ("einsatz", "rueckmeldung", "ehrenamt1", 200),
    ("einsatz", "rueckmeldung", "ehrenamt2", 404),
    ("einsatz", "rueckmeldung", "k201", 403),
    ("einsatz", "rueckmeldung", "fb36", 403),
    ("einsatz", "rueckmeldung", "leitung", 403),
    ("einsatz", "rueckmeldung", "mbe1", 404),
]


def _form_data(step: str) -> dict:
    return _rueckmeldung() if step == "rueckmeldung" else valid_data(step)


@pytest.mark.parametrize(("stage", "step", "username", "expected"), TASK_MATRIX,
                         ids=[f"{s}-{u}" for _st, s, u, _e in TASK_MATRIX])
def test_task_access(app, login_as, stage, step, username, expected):
    case_id = _case_at(login_as, stage)
    task = open_task(app, case_id, step)
    assert task is not None
    client = login_as(username)
    assert client.get(f"/aufgaben/{task.id}").status_code == expected

    before_row, before_counts = _task_row(app, task.id), _counts(app)
    response = client.post(f"/aufgaben/{task.id}", data=to_form(_form_data(step)))
    if expected == 200:
        assert response.status_code == 302
        assert _task_row(app, task.id)[0] == "completed"
        with app.app_context():
            assert db.session.get(Task, task.id).completed_by.username == username
    else:
        assert response.status_code == expected
        assert _task_row(app, task.id) == before_row
        assert _counts(app) == before_counts


# --- claim / unclaim ---------------------------------------------------------------------------

@pytest.mark.parametrize(("username", "expected"), [
    ("fb36fh", 404), ("fb31", 404), ("mbe1", 404), ("ehrenamt1", 404),
    ("k201", 403), ("leitung", 403),
])
def test_claim_by_non_member_refused(app, login_as, username, expected):
    case_id = _case_at(login_as, "bedarfsermittlung")
    task = open_task(app, case_id, "bedarfsermittlung")
    before = _task_row(app, task.id)
    assert login_as(username).post(f"/aufgaben/{task.id}/uebernehmen").status_code == expected
    assert _task_row(app, task.id) == before


def test_claim_of_201_task_by_fb_staff_refused(app, login_as):
    case_id = _case_at(login_as, "vermittlung")
    task = open_task(app, case_id, "vermittlung")
    before = _task_row(app, task.id)
    assert login_as("fb36").post(f"/aufgaben/{task.id}/uebernehmen").status_code == 403
    assert _task_row(app, task.id) == before
    # the 201 group may claim and give back
    k201 = login_as("k201")
    assert k201.post(f"/aufgaben/{task.id}/uebernehmen").status_code == 302
    with app.app_context():
        row = db.session.get(Task, task.id)
        assert (row.status, row.assignee.username) == ("claimed", "k201")
    assert k201.post(f"/aufgaben/{task.id}/zurueckgeben").status_code == 302
    with app.app_context():
        row = db.session.get(Task, task.id)
        assert (row.status, row.assignee_id) == ("open", None)


def test_claim_and_unclaim_within_the_team(app, login_as):
    _add_asd_member(app)
    case_id = _case_at(login_as, "bedarfsermittlung")
    task = open_task(app, case_id, "bedarfsermittlung")
    fb36, colleague = login_as("fb36"), login_as("fb36b")

    assert fb36.post(f"/aufgaben/{task.id}/uebernehmen").status_code == 302
    claimed = _task_row(app, task.id)
    assert claimed[0] == "claimed"

    # the colleague can neither take it over, give it back, nor work on it
    response = colleague.post(f"/aufgaben/{task.id}/uebernehmen", follow_redirects=True)
    assert "bereits von einer anderen Person übernommen" in response.data.decode()
    assert colleague.post(f"/aufgaben/{task.id}/zurueckgeben").status_code == 403
    assert colleague.get(f"/aufgaben/{task.id}").status_code == 403
    post = colleague.post(f"/aufgaben/{task.id}", data=to_form(valid_data("bedarfsermittlung")))
    assert post.status_code == 403
    assert _task_row(app, task.id) == claimed
    # a lead who sees the case may not give it back either
    assert login_as("leitung").post(f"/aufgaben/{task.id}/zurueckgeben").status_code == 403
    # another team does not even see it
    assert login_as("fb36fh").post(f"/aufgaben/{task.id}/zurueckgeben").status_code == 404
    assert _task_row(app, task.id) == claimed

    # the claimer gives it back: the colleague may now take it and complete it
    assert fb36.post(f"/aufgaben/{task.id}/zurueckgeben").status_code == 302
    assert _task_row(app, task.id)[:2] == ("open", None)
    assert colleague.post(f"/aufgaben/{task.id}/uebernehmen").status_code == 302
    post = colleague.post(f"/aufgaben/{task.id}", data=to_form(valid_data("bedarfsermittlung")))
    assert post.status_code == 302
    with app.app_context():
        assert db.session.get(Task, task.id).completed_by.username == "fb36b"


# --- inbox contents ------------------------------------------------------------------------------

def _inbox(client) -> tuple[str, str]:
    page = client.get("/aufgaben").data.decode()
    return _section(page, "mine-h"), _section(page, "group-h")


def _listed(section: str, task_id: int) -> bool:
    return f'href="/aufgaben/{task_id}"' in section


def test_inbox_group_and_mine(app, login_as):
    _add_asd_member(app)
    case_id = _case_at(login_as, "bedarfsermittlung")
    task = open_task(app, case_id, "bedarfsermittlung")
    fb36, colleague, other = login_as("fb36"), login_as("fb36b"), login_as("fb36fh")

    for client in (fb36, colleague):
        mine, group = _inbox(client)
        assert _listed(group, task.id) and not _listed(mine, task.id)
    for username in ("fb36fh", "fb31", "k201", "leitung", "ehrenamt1"):
        mine, group = _inbox(login_as(username))
        assert not _listed(group, task.id) and not _listed(mine, task.id), username

    assert fb36.post(f"/aufgaben/{task.id}/uebernehmen").status_code == 302
    mine, group = _inbox(fb36)
    assert _listed(mine, task.id) and not _listed(group, task.id)
    mine, group = _inbox(colleague)
    assert not _listed(mine, task.id) and not _listed(group, task.id)
    mine, group = _inbox(other)
    assert not _listed(mine, task.id) and not _listed(group, task.id)

    assert fb36.post(f"/aufgaben/{task.id}/zurueckgeben").status_code == 302
    for client in (fb36, colleague):
        mine, group = _inbox(client)
        assert _listed(group, task.id) and not _listed(mine, task.id)


def test_inbox_routes_each_lane(app, login_as):
    case_id = _case_at(login_as, "einsatz")
    zg = open_task(app, case_id, "zwischengespraech")
    rm = open_task(app, case_id, "rueckmeldung")
    mine, group = _inbox(login_as("k201"))
    assert _listed(group, zg.id) and not _listed(mine + group, rm.id)
    mine, group = _inbox(login_as("ehrenamt1"))
    assert _listed(mine, rm.id) and not _listed(mine + group, zg.id)
    mine, group = _inbox(login_as("ehrenamt2"))
    assert not _listed(mine + group, rm.id) and not _listed(mine + group, zg.id)
    mine, group = _inbox(login_as("fb36"))
    assert not _listed(mine + group, rm.id) and not _listed(mine + group, zg.id)
