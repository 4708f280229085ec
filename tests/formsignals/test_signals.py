"""Fields that say "someone must know" reach that someone: a to-do in the right team's inbox
(the inbox page, the API), recorded in the case history; nobody else gets it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.engine.models import ACTIVE_TASK_STATES, TODO_TASK, CaseEvent, Task
from app.extensions import db
from app.formsignals.rules import RULES, fired
from forms import FORMS
from tests.flows import complete_web, valid_data
from tests.volunteers.helpers import running_case

STAFF = ["fb36", "fb36fh", "fb31", "k201", "ehrenamt1", "ehrenamt2", "mbe1", "leitung"]


def _todos(app, case_id: int) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(select(Task).where(Task.instance_id == case_id, Task.kind == TODO_TASK,
                                                     Task.status.in_(ACTIVE_TASK_STATES)).order_by(Task.id))
        return [{"id": t.id, "title": t.title, "team": t.candidate_team.key if t.candidate_team else None,
                 "context": t.context} for t in rows]


def _visible_in(api_client, login_as, todo: dict) -> set[str]:
    """Who sees the to-do in their inbox page and in GET /api/v1/tasks."""
    seen = set()
    for username in STAFF:
        page = login_as(username).get("/aufgaben").get_data(as_text=True)
        listed = [t["id"] for t in api_client(username).get("/api/v1/tasks").get_json()]
        in_page = f"/aufgaben/{todo['id']}\"" in page
        assert in_page == (todo["id"] in listed), username
        if in_page:
            seen.add(username)
    return seen


def test_rules_name_real_fields_of_their_forms(ctx):
    for rule in RULES:
        if rule.form_key in FORMS:
            names = {field.name for field in FORMS[rule.form_key](formdata=None, meta={"csrf": False})}
            assert {rule.field, *rule.context_fields, *rule.unless} <= names, rule


def test_fired_rules():
    form = "alltagsbegleitung.rueckmeldung"
    assert fired(form, {"bericht": "x"}) == []
    assert [r.field for r in fired(form, {"fragen": "  "})] == []
    assert [r.field for r in fired(form, {"fragen": "Wann?"})] == ["fragen"]
    assert [r.field for r in fired(form, {"fragen": "Wann?", "problem": True})] == ["problem"]


def test_fb_einbeziehen_reaches_the_owning_team_only(app, login_as, api_client):
    case_id = running_case(login_as)
    k201 = login_as("k201")
    data = valid_data("zwischengespraech", fb_einbeziehen=True, probleme="Die Familie braucht eine Schuldnerberatung.")
    assert complete_web(k201, case_id, "zwischengespraech", data).status_code == 302

    [todo] = _todos(app, case_id)
    assert todo["team"] == "asd" and todo["title"].startswith("Fachbereich einbeziehen")
    assert "Schuldnerberatung" in todo["context"]["text"]
    assert todo["context"]["signal"] == "signal:fb_einbeziehen"
    assert _visible_in(api_client, login_as, todo) == {"fb36"}
    with app.app_context():
        event = db.session.scalar(select(CaseEvent).where(CaseEvent.instance_id == case_id,
                                                          CaseEvent.kind == "todo_created"))
        assert event.data["quelle"] == "signal:fb_einbeziehen" and event.actor.username == "k201"
    assert "Fachbereich einbeziehen" in login_as("fb36").get(f"/faelle/{case_id}").get_data(as_text=True)


def test_unticked_fields_create_nothing(app, login_as):
    case_id = running_case(login_as)
    assert complete_web(login_as("k201"), case_id, "zwischengespraech").status_code == 302
    assert complete_web(login_as("ehrenamt1"), case_id, "rueckmeldung").status_code == 302
    assert _todos(app, case_id) == []


@pytest.mark.parametrize("extra, title", [
    ({"problem": True, "fragen": "Wer zahlt die Fahrkarte?"}, "Dringendes Problem"),
    ({"fragen": "Wer zahlt die Fahrkarte?"}, "Fragen der Alltagsbegleitung"),
])
def test_volunteer_feedback_reaches_201_only(app, login_as, api_client, extra, title):
    case_id = running_case(login_as)
    data = valid_data("rueckmeldung", **extra)
    assert complete_web(login_as("ehrenamt1"), case_id, "rueckmeldung", data).status_code == 302
    [todo] = _todos(app, case_id)
    assert todo["team"] == "k201" and todo["title"].startswith(title)
    assert "Wer zahlt die Fahrkarte?" in todo["context"]["text"]
    assert _visible_in(api_client, login_as, todo) == {"k201"}


def test_thread_question_gives_201_one_todo_closed_by_the_answer(app, login_as):
    case_id = running_case(login_as)
    volunteer, k201 = login_as("ehrenamt1"), login_as("k201")
    for text in ("Darf ich zum Elternabend mit?", "Und zum Arzttermin?"):
        assert volunteer.post(f"/faelle/{case_id}/fragen", data={"nachricht": text}).status_code == 302
    [todo] = _todos(app, case_id)
    assert todo["team"] == "k201" and "Elternabend" in todo["context"]["text"]
    assert k201.post(f"/faelle/{case_id}/fragen", data={"nachricht": "Ja, gern."}).status_code == 302
    assert _todos(app, case_id) == []
    with app.app_context():
        kinds = list(db.session.scalars(select(CaseEvent.kind).where(CaseEvent.instance_id == case_id)))
        assert "todo_created" in kinds and "todo_done" in kinds
