"""Partners as participants, through consent (issue 15 item 2): partner staff invited to a young
adult's case see exactly the consented categories of exactly the invited cases, in the browser and
through the API; nothing once the invitation ends or the consent is withdrawn or expired; the
invitation is refused for every gap of the consent; a plan goal naming the partner reaches their
inbox and they record their part."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.engine.models import ACTIVE_TASK_STATES, CaseEvent, CaseParticipant, ProcessInstance, Task
from app.extensions import db
from app.partners.models import PartnerInvitation
from app.timeutil import utcnow
from tests.factories import today
from tests.junge_erwachsene.je_steps import (
    angebote,
    aufnahme,
    complete,
    faehigkeiten,
    fallkonferenz,
    iso,
    must,
    situation,
    start,
)

CONSENTED = ["stammdaten", "aufenthalt", "leistungen", "plan"]
INVITED = ["stammdaten", "aufenthalt", "plan"]
GOAL = "Förderung der Berufsvorbereitung bewilligen"
ROLES = ["fb36", "k201", "ehrenamt1", "mbe1", "mbe2", "leitung", "kim1", "kimleitung", "jobcenter1", "abh1",
         "dsb", "prozess", "admin"]
SEEING = {"kim1", "kimleitung", "jobcenter1"}


def plan() -> dict:
    return {"ziele": [{"bereich": "ausbildung", "ziel": GOAL, "frist": iso(today() + timedelta(days=60)),
                       "verantwortlich": "Mia Vermittlerin (Jobcenter)"},
                      {"bereich": "sprache", "ziel": "B1 erreichen", "frist": iso(today() + timedelta(days=180)),
                       "verantwortlich": "JMD"}],
            "ueberpruefung_wochen": 8}


def je_case(app, **consent) -> int:
    """A young adult's case up to its first review, consenting to share CONSENTED with Jobcenter and ABH."""
    case_id = start(app)
    must(complete(app, case_id, "aufnahme", aufnahme(**{"einwilligung_kategorien": CONSENTED, **consent})))
    must(complete(app, case_id, "situation", situation()))
    must(complete(app, case_id, "faehigkeiten", faehigkeiten()))
    must(complete(app, case_id, "fallkonferenz", fallkonferenz()))
    must(complete(app, case_id, "integrationsplan", plan()))
    must(complete(app, case_id, "angebote", angebote()))
    return case_id


def invite(api_client, case_id: int, username: str = "jobcenter1", categories=None, by: str = "kim1"):
    return api_client(by).post(f"/api/v1/process-instances/{case_id}/partners",
                               json={"username": username, "categories": categories or INVITED})


def set_data(app, case_id: int, **changes) -> None:
    with app.app_context():
        instance = db.session.get(ProcessInstance, case_id)
        instance.data = {**instance.data, **changes}
        db.session.commit()


def partner_todos(app, case_id: int, username: str = "jobcenter1") -> list[Task]:
    with app.app_context():
        rows = db.session.scalars(select(Task).join(Task.assignee).where(
            Task.instance_id == case_id, Task.status.in_(ACTIVE_TASK_STATES), Task.kind == "todo")).all()
        return [t for t in rows if t.assignee.username == username]


def test_partner_reads_exactly_the_consented_and_invited_categories(app, api_client, login_as):
    case_id = je_case(app)
    kim = login_as("kim1")
    kim.post(f"/faelle/{case_id}/journal",
             data={"kind": "notiz", "date": iso(today()), "text": "Vertraulicher Vermerk"})
    answer = invite(api_client, case_id)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["categories"] == INVITED and answer.get_json()["partner_type"] == "jobcenter"

    data = api_client("jobcenter1").get(f"/api/v1/process-instances/{case_id}").get_json()["data"]
    assert {"nachname", "geburtsdatum", "aufenthaltsstatus", "ziele"} <= set(data)
    for hidden in ("telefon", "anschrift", "leistungssystem", "stellen", "staerken", "angebote", "anliegen",
                   "einwilligung_umfang", "zugang"):
        assert hidden not in data
    page = login_as("jobcenter1").get(f"/faelle/{case_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Beispielmann" in html and GOAL in html
    for hidden in ("0151 000000", "Sozialamt Musterstadt", "Zuverlässig, handwerklich geschickt",
                   "Berufssprachkurs B1", "Vertraulicher Vermerk", "Ausbildungsplatz finden"):
        assert hidden not in html, hidden
    assert api_client("jobcenter1").get(f"/api/v1/process-instances/{case_id}/journal").get_json() == []
    assert api_client("jobcenter1").get(f"/api/v1/process-instances/{case_id}/documents").get_json() == []
    # the owning team sees whom it invited and what they see
    panel = kim.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert 'data-invited="jobcenter1"' in panel


def test_without_the_plan_category_the_plan_and_goals_stay_hidden(app, api_client, login_as):
    case_id = je_case(app)
    assert invite(api_client, case_id, categories=["stammdaten", "aufenthalt"]).status_code == 201
    html = login_as("jobcenter1").get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Beispielmann" in html and GOAL not in html
    assert partner_todos(app, case_id) == []  # no goal to-do without the plan


def test_every_demo_role_through_ui_and_api(app, api_client, login_as):
    case_id = je_case(app)
    other = je_case(app)  # a second case jobcenter1 is not invited to
    assert invite(api_client, case_id).status_code == 201
    todo = partner_todos(app, case_id)[0].id
    for username in ROLES:
        expected = 200 if username in SEEING else 404
        assert login_as(username).get(f"/faelle/{case_id}").status_code == expected, username
        # the partner's goal to-do: theirs to work on; the team sees it exists; nobody else
        task_status = {"jobcenter1": 200, "kim1": 403, "kimleitung": 403}.get(username, 404)
        assert login_as(username).get(f"/aufgaben/{todo}").status_code == task_status, username
        assert api_client(username).get(f"/api/v1/tasks/{todo}").status_code == (
            200 if username in SEEING else 404), username
        api = api_client(username)
        assert api.get(f"/api/v1/process-instances/{case_id}").status_code == expected, username
        listed = {i["id"] for i in api.get("/api/v1/process-instances?per_page=200").get_json()["items"]}
        assert (case_id in listed) == (username in SEEING), username
        found = {i["id"] for i in api.get("/api/v1/search?q=Beispielmann").get_json()["items"]}
        assert found <= ({case_id, other} if username in SEEING - {"jobcenter1"} else {case_id}), username
        if username == "jobcenter1":
            assert other not in listed and other not in found
            assert login_as(username).get(f"/faelle/{other}").status_code == 404
    # who may invite: only the owning team's members (the lead reads, the partner neither)
    assert invite(api_client, case_id, "abh1", by="kimleitung").status_code == 403
    assert invite(api_client, case_id, "abh1", by="jobcenter1").status_code == 403
    assert invite(api_client, case_id, "abh1", by="fb36").status_code == 404
    assert login_as("jobcenter1").get(f"/faelle/{case_id}/partner").status_code == 403
    assert login_as("fb36").get(f"/faelle/{case_id}/partner").status_code == 404


GAPS = [
    ("not_given", {"einwilligung": False}, "keine Einwilligung"),
    ("withdrawn", {"einwilligung_widerrufen": iso(today())}, "widerrufen"),
    ("expired", {"einwilligung_bis": iso(today() - timedelta(days=1))}, "abgelaufen"),
    ("no_sharing", {"einwilligung_umfang": ["speicherung", "kontakt"]}, "keine Weitergabe"),
    ("wrong_type", {"einwilligung_partnerarten": ["auslaenderbehoerde"]}, "diese Art von Partner"),
    ("category", {"einwilligung_kategorien": ["stammdaten", "aufenthalt"]}, "Integrationsplan"),
]


@pytest.mark.parametrize("name, changes, message", GAPS, ids=[g[0] for g in GAPS])
def test_invitation_refused_for_each_consent_gap(app, api_client, login_as, name, changes, message):
    case_id = je_case(app)
    set_data(app, case_id, **changes)
    answer = invite(api_client, case_id)
    assert answer.status_code == 422
    assert message in answer.get_json()["error"]["message"]
    page = login_as("kim1").post(f"/faelle/{case_id}/partner",
                                 data={"username": "jobcenter1", "kategorien": INVITED})
    assert page.status_code == 422 and message in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(PartnerInvitation)).all() == []
        assert db.session.scalars(select(CaseParticipant).where(CaseParticipant.level == "partner")).all() == []
    assert login_as("jobcenter1").get(f"/faelle/{case_id}").status_code == 404


def test_stammdaten_and_known_categories_are_required(app, api_client):
    case_id = je_case(app)
    assert invite(api_client, case_id, categories=["aufenthalt"]).status_code == 422
    assert invite(api_client, case_id, categories=["stammdaten", "gesundheit"]).status_code == 422
    assert invite(api_client, case_id, "fb36").status_code == 422  # not a partner organisation's staff


def test_goal_reaches_the_partners_inbox_and_they_record_their_part(app, api_client, login_as):
    case_id = je_case(app)
    assert invite(api_client, case_id).status_code == 201
    todos = partner_todos(app, case_id)
    assert [t.title for t in todos] == [f"Ziel: {GOAL}"]
    task_id = todos[0].id
    inbox = api_client("jobcenter1").get("/api/v1/tasks").get_json()
    assert task_id in [t["id"] for t in (inbox["items"] if isinstance(inbox, dict) else inbox)]
    partner = login_as("jobcenter1")
    assert f"/aufgaben/{task_id}/beitrag" in partner.get(f"/aufgaben/{task_id}").get_data(as_text=True)
    assert login_as("abh1").get(f"/aufgaben/{task_id}/beitrag").status_code == 404
    refused = partner.post(f"/aufgaben/{task_id}/beitrag", data={"beitrag": "", "stand": "erledigt"})
    assert refused.status_code == 422 and "Bitte kurz beschreiben" in refused.get_data(as_text=True)
    done = partner.post(f"/aufgaben/{task_id}/beitrag",
                        data={"beitrag": "Maßnahme bei der Agentur bewilligt", "stand": "erledigt"})
    assert done.status_code == 302
    assert partner_todos(app, case_id) == []
    html = login_as("kim1").get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Maßnahme bei der Agentur bewilligt" in html


def test_ending_the_invitation_ends_access_at_once(app, api_client, login_as):
    case_id = je_case(app)
    assert invite(api_client, case_id).status_code == 201
    task_id = partner_todos(app, case_id)[0].id
    assert api_client("kim1").delete(f"/api/v1/process-instances/{case_id}/partners/jobcenter1").status_code == 204
    assert api_client("kim1").delete(f"/api/v1/process-instances/{case_id}/partners/jobcenter1").status_code == 404
    partner = login_as("jobcenter1")
    assert partner.get(f"/faelle/{case_id}").status_code == 404
    assert partner.get(f"/aufgaben/{task_id}").status_code == 404
    assert api_client("jobcenter1").get(f"/api/v1/process-instances/{case_id}").status_code == 404
    assert partner_todos(app, case_id) == []
    with app.app_context():
        kinds = [e.kind for e in db.session.scalars(select(CaseEvent).where(CaseEvent.instance_id == case_id))]
        assert "partner_invited" in kinds and "partner_ended" in kinds
    # and in the browser: invite again, end with the button
    kim = login_as("kim1")
    assert kim.post(f"/faelle/{case_id}/partner", data={"username": "jobcenter1", "kategorien": INVITED}
                    ).status_code == 302
    assert login_as("jobcenter1").get(f"/faelle/{case_id}").status_code == 200
    assert kim.post(f"/faelle/{case_id}/partner/jobcenter1/beenden").status_code == 302
    assert login_as("jobcenter1").get(f"/faelle/{case_id}").status_code == 404


def test_withdrawn_consent_ends_access_and_erases(app, api_client, login_as):
    from tests.erasure.helpers import database_text

    case_id = je_case(app)
    assert invite(api_client, case_id).status_code == 201
    assert login_as("jobcenter1").get(f"/faelle/{case_id}").status_code == 200
    done = partner_todos(app, case_id)[0].id
    assert login_as("jobcenter1").post(f"/aufgaben/{done}/beitrag", data={
        "beitrag": "Antrag von Herrn Beispielmann bewilligt", "stand": "in_arbeit"}).status_code == 302
    kim = login_as("kim1")
    assert kim.get(f"/faelle/{case_id}/einwilligung-widerrufen").status_code == 200
    assert login_as("jobcenter1").get(f"/faelle/{case_id}/einwilligung-widerrufen").status_code == 403
    assert kim.post(f"/faelle/{case_id}/einwilligung-widerrufen",
                    data={"widerrufen_am": iso(today()), "notiz": ""}).status_code == 302
    assert login_as("jobcenter1").get(f"/faelle/{case_id}").status_code == 404
    assert api_client("jobcenter1").get(f"/api/v1/process-instances/{case_id}").status_code == 404
    assert partner_todos(app, case_id) == []
    with app.app_context():
        instance = db.session.get(ProcessInstance, case_id)
        assert instance.data.get("einwilligung_widerrufen") == iso(today())
        assert "nachname" not in instance.data
        text = database_text()
        for secret in ("Beispielmann", GOAL, "Antrag von Herrn"):
            assert secret not in text, secret
    assert invite(api_client, case_id).status_code == 422


def test_expired_consent_ends_access_without_any_job(app, api_client, login_as, clock):
    clock.set(utcnow())
    case_id = je_case(app, einwilligung_bis=iso(today() + timedelta(days=30)))
    assert invite(api_client, case_id).status_code == 201
    task_id = partner_todos(app, case_id)[0].id
    assert login_as("jobcenter1").get(f"/faelle/{case_id}").status_code == 200
    clock.advance(days=32)
    partner = login_as("jobcenter1")
    assert partner.get(f"/faelle/{case_id}").status_code == 404
    assert partner.get(f"/aufgaben/{task_id}").status_code == 404
    assert api_client("jobcenter1").get(f"/api/v1/process-instances/{case_id}").status_code == 404
    inbox = api_client("jobcenter1").get("/api/v1/tasks").get_json()
    assert task_id not in [t["id"] for t in (inbox["items"] if isinstance(inbox, dict) else inbox)]
    assert case_id not in {i["id"] for i in api_client("jobcenter1").get(
        "/api/v1/process-instances").get_json()["items"]}
    assert "Beispielmann" not in partner.get("/faelle").get_data(as_text=True)


def test_aufnahme_refuses_categories_without_sharing(app):
    case_id = start(app)
    errors = complete(app, case_id, "aufnahme", aufnahme(einwilligung_umfang=["speicherung", "kontakt"],
                                                         einwilligung_kategorien=["stammdaten"]))
    assert "einwilligung_kategorien" in errors


def test_partner_reads_are_logged(app, api_client, login_as):
    from app.accesslog.models import AccessLogEntry

    case_id = je_case(app)
    assert invite(api_client, case_id).status_code == 201
    task_id = partner_todos(app, case_id)[0].id
    login_as("jobcenter1").get(f"/aufgaben/{task_id}/beitrag")
    with app.app_context():
        rows = db.session.scalars(select(AccessLogEntry).where(AccessLogEntry.username == "jobcenter1")).all()
        assert any(r.case_id == case_id for r in rows)


def test_no_partner_sees_the_task_list_of_the_case(app, api_client):
    case_id = je_case(app)
    assert invite(api_client, case_id).status_code == 201
    detail = api_client("jobcenter1").get(f"/api/v1/process-instances/{case_id}").get_json()
    # their own to-do only: the team's review is not theirs
    assert [(t["name"], t["assignee"]) for t in detail["open_tasks"]] == [("todo", "jobcenter1")]


def test_a_partner_invited_before_the_plan_gets_the_goal_when_the_plan_is_made(app, api_client, login_as):
    case_id = start(app)
    must(complete(app, case_id, "aufnahme", aufnahme(einwilligung_kategorien=CONSENTED)))
    assert invite(api_client, case_id).status_code == 201
    assert partner_todos(app, case_id) == []
    must(complete(app, case_id, "situation", situation()))
    must(complete(app, case_id, "faehigkeiten", faehigkeiten()))
    must(complete(app, case_id, "fallkonferenz", fallkonferenz()))
    must(complete(app, case_id, "integrationsplan", plan()))
    assert [t.title for t in partner_todos(app, case_id)] == [f"Ziel: {GOAL}"]
    # a partner the plan does not name gets nothing; the case view of the named partner shows the goal
    assert invite(api_client, case_id, "abh1").status_code == 201
    assert partner_todos(app, case_id, "abh1") == []
    assert GOAL in login_as("jobcenter1").get(f"/faelle/{case_id}").get_data(as_text=True)


def test_goals_changed_between_reviews_follow_the_partners_inbox(app, api_client):
    from app.plans import services as plans
    from tests.factories import user

    case_id = je_case(app)
    assert invite(api_client, case_id).status_code == 201
    assert invite(api_client, case_id, "abh1").status_code == 201
    with app.test_request_context():
        instance = db.session.get(ProcessInstance, case_id)
        plans.add_goal(instance, user("kim1"), {"bereich": "aufenthalt", "ziel": "Beschäftigungserlaubnis erteilen",
                                                "frist": iso(today() + timedelta(days=20)), "verantwortlich": "abh1"})
        goal = next(g for g in plans.goals_of(case_id) if g.fields.get("ziel") == GOAL)
        plans.close_goal(instance, goal, user("kim1"), "erreicht")
        db.session.commit()
    assert [t.title for t in partner_todos(app, case_id, "abh1")] == ["Ziel: Beschäftigungserlaubnis erteilen"]
    assert partner_todos(app, case_id) == []  # the Jobcenter's goal is reached: its to-do left the inbox


def test_invite_and_withdraw_pages_answer_bad_input_in_german(app, login_as):
    case_id = je_case(app)
    kim = login_as("kim1")
    page = kim.get(f"/faelle/{case_id}/partner")
    assert page.status_code == 200 and "Mia Vermittlerin (Jobcenter)" in page.get_data(as_text=True)
    missing = kim.post(f"/faelle/{case_id}/partner", data={"username": "", "kategorien": INVITED})
    assert missing.status_code == 422 and "Bitte eine Person wählen." in missing.get_data(as_text=True)
    future = kim.post(f"/faelle/{case_id}/einwilligung-widerrufen",
                      data={"widerrufen_am": iso(today() + timedelta(days=3))})
    assert future.status_code == 422 and "nicht in der Zukunft" in future.get_data(as_text=True)
    with app.app_context():
        assert "nachname" in db.session.get(ProcessInstance, case_id).data  # nothing erased
