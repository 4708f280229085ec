"""The process junge_erwachsene end to end: every closing outcome, the age check, the consent,
a transition with its checklist, the review by timer (moved clock), and the forms' API schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.engine.models import ACTIVE_TASK_STATES, COMPLETED, RUNNING, TODO_TASK, CaseEvent, Task
from app.extensions import db
from app.youngadults.services import transition_counts
from forms.junge_erwachsene import ERGEBNISSE
from tests.factories import api_client
from tests.junge_erwachsene.je_steps import (
    abschluss,
    aufnahme,
    born,
    case,
    complete,
    fire,
    must,
    open_tasks,
    start,
    ueberpruefung,
    walk_to_review,
)

STEPS = ["aufnahme", "situation", "faehigkeiten", "fallkonferenz", "integrationsplan", "angebote"]


@pytest.mark.parametrize("ergebnis", [key for key, _label in ERGEBNISSE])
def test_whole_path_closes_with_each_outcome(app, clock, ergebnis):
    case_id = walk_to_review(app)
    assert open_tasks(app, case_id) == []  # waiting for the review timer
    assert fire(app, clock.now + timedelta(weeks=8, hours=1)) == 1
    must(complete(app, case_id, "ueberpruefung", ueberpruefung("abschliessen")))
    must(complete(app, case_id, "abschluss", abschluss(ergebnis)))
    closed = case(app, case_id)
    assert (closed.status, closed.outcome) == (COMPLETED, ergebnis)
    assert closed.title == "Tarek Beispielmann"
    leitung = api_client(app, "kimleitung")
    figures = leitung.get("/api/v1/statistics").get_json()
    counted = {(r["process"], r["outcome"]): r["count"] for r in figures["cases_closed"]}
    assert counted[("junge_erwachsene", ergebnis)] == 1


def test_the_case_is_titled_and_each_step_is_in_the_history(app, clock, login_as):
    case_id = walk_to_review(app)
    with app.app_context():
        done = list(db.session.scalars(select(Task.bpmn_id).where(
            Task.instance_id == case_id, Task.status == "completed").order_by(Task.id)))
    assert done == STEPS
    page = login_as("kim1").get(f"/faelle/{case_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Tarek Beispielmann" in html
    assert "Integrationsplan" in html and "Praktikum in einer Kfz-Werkstatt" in html  # the living plan
    assert 'id="je-angebote"' in html and "Berufssprachkurs B1" in html
    assert "Aufenthaltsgestattung (Asylverfahren)" in html and "AsylbLG" in html


@pytest.mark.parametrize(("years", "extra_days"), [(17, 0), (28, 0), (16, 200)])
def test_outside_18_to_27_the_intake_is_refused_with_a_german_message(app, years, extra_days):
    case_id = start(app)
    errors = complete(app, case_id, "aufnahme", aufnahme(geburtsdatum=born(years, extra_days)))
    [message] = errors["geburtsdatum"]
    assert f"Die Person ist {years} Jahre alt" in message and "von 18 bis 27 Jahren zuständig" in message
    assert open_tasks(app, case_id) == ["aufnahme"]  # nothing saved


@pytest.mark.parametrize(("years", "extra_days"), [(18, 0), (27, 0), (27, 364)])
def test_the_age_limits_belong_to_the_target_group(app, years, extra_days):
    case_id = start(app)
    must(complete(app, case_id, "aufnahme", aufnahme(geburtsdatum=born(years, extra_days))))
    assert open_tasks(app, case_id) == ["situation"]
    assert case(app, case_id).data["alter"] == years


def test_outside_the_age_range_a_referral_closes_the_case_as_not_responsible(app):
    case_id = start(app)
    must(complete(app, case_id, "aufnahme", aufnahme(geburtsdatum=born(30), nicht_zustaendig_verwiesen_an="MBE")))
    closed = case(app, case_id)
    assert (closed.status, closed.outcome) == (COMPLETED, "nicht_zustaendig")
    assert open_tasks(app, case_id) == []


def test_a_referral_inside_the_age_range_is_refused(app):
    case_id = start(app)
    errors = complete(app, case_id, "aufnahme", aufnahme(nicht_zustaendig_verwiesen_an="Jugendamt"))
    assert "gehört zur Zielgruppe" in errors["nicht_zustaendig_verwiesen_an"][0]


def test_the_intake_needs_consent_and_contact_data_needs_consent_to_contact(app):
    case_id = start(app)
    errors = complete(app, case_id, "aufnahme", aufnahme(einwilligung=False))
    assert "Ohne Einwilligung" in errors["einwilligung"][0]
    errors = complete(app, case_id, "aufnahme", aufnahme(einwilligung_umfang=["speicherung"]))
    assert "Kontaktaufnahme" in errors["telefon"][0]
    errors = complete(app, case_id, "aufnahme", aufnahme(einwilligung_umfang=["kontakt"]))
    assert "Speicherung" in errors["einwilligung_umfang"][0]
    must(complete(app, case_id, "aufnahme", aufnahme(einwilligung_umfang=["speicherung"], telefon="")))


def test_a_residence_permit_needs_its_paragraph(app):
    case_id = start(app)
    must(complete(app, case_id, "aufnahme", aufnahme()))
    errors = complete(app, case_id, "situation", {"aufenthaltsstatus": "aufenthaltserlaubnis",
                                                   "leistungssystem": "sgb2"})
    assert "Paragrafen" in errors["aufenthalt_paragraph"][0]
    must(complete(app, case_id, "situation", {"aufenthaltsstatus": "aufenthaltserlaubnis", "leistungssystem": "sgb2",
                                              "aufenthalt_paragraph": "§ 25 Abs. 2 AufenthG"}))


def test_each_plan_goal_must_name_the_responsible_actor(app):
    from tests.junge_erwachsene.je_steps import faehigkeiten, fallkonferenz, integrationsplan, situation

    case_id = start(app)
    for step, data in [("aufnahme", aufnahme()), ("situation", situation()), ("faehigkeiten", faehigkeiten()),
                       ("fallkonferenz", fallkonferenz())]:
        must(complete(app, case_id, step, data))
    plan = integrationsplan()
    plan["ziele"][0]["verantwortlich"] = ""
    errors = complete(app, case_id, "integrationsplan", plan)
    assert "verantwortlich" in str(errors)


def test_review_comes_by_timer_and_repeats_until_closing(app, clock):
    case_id = walk_to_review(app, weeks=6)
    due = case(app, case_id).next_timer_due
    assert due is not None
    assert fire(app, clock.now + timedelta(weeks=5)) == 0  # not yet due
    assert open_tasks(app, case_id) == []
    clock.advance(weeks=6, hours=1)
    assert fire(app, clock.now) == 1
    assert open_tasks(app, case_id) == ["ueberpruefung"]
    must(complete(app, case_id, "ueberpruefung", ueberpruefung("fortsetzen", weeks=4)))
    assert open_tasks(app, case_id) == []  # the next review waits for its timer again
    again = case(app, case_id)
    assert again.status == RUNNING and again.data["ueberpruefung_intervall"] == "P4W"
    assert fire(app, clock.now + timedelta(weeks=3)) == 0
    assert fire(app, clock.now + timedelta(weeks=4, hours=1)) == 1
    assert open_tasks(app, case_id) == ["ueberpruefung"]
    must(complete(app, case_id, "ueberpruefung", ueberpruefung("abschliessen", weeks=None)))
    assert open_tasks(app, case_id) == ["abschluss"]
    assert len(case(app, case_id).data["ueberpruefungen"]) == 2


def test_continuing_needs_the_next_review_date(app, clock):
    case_id = walk_to_review(app)
    fire(app, clock.now + timedelta(weeks=8, hours=1))
    errors = complete(app, case_id, "ueberpruefung", ueberpruefung("fortsetzen", weeks=None))
    assert "nächste Überprüfung" in errors["ueberpruefung_wochen"][0]


def test_a_transition_is_a_dated_case_event_with_its_checklist(app, clock, login_as):
    case_id = walk_to_review(app)
    fire(app, clock.now + timedelta(weeks=8, hours=1))
    transition = {"art": "asylblg_sgb2", "datum": ueberpruefung()["ueberpruefung_datum"],
                  "erledigt": ["asylblg_sgb2:antrag_jobcenter", "asylblg_sgb2:krankenversicherung"],
                  "notiz": "Anerkennung als Flüchtling"}
    must(complete(app, case_id, "ueberpruefung", ueberpruefung("fortsetzen", uebergaenge=[transition])))
    with app.app_context():
        [event] = db.session.scalars(select(CaseEvent).where(CaseEvent.instance_id == case_id,
                                                             CaseEvent.kind == "uebergang_asylblg_sgb2"))
        assert event.data["datum"] == transition["datum"]
        assert event.data["erledigt"] == ["antrag_jobcenter", "krankenversicherung"]
        assert event.data["offen"] == ["abmeldung_sozialamt", "wohnsitz", "uebergabe_jobcenter"]
        [todo] = db.session.scalars(select(Task).where(Task.instance_id == case_id, Task.kind == TODO_TASK,
                                                       Task.status.in_(ACTIVE_TASK_STATES)))
        assert todo.candidate_team.key == "kim" and "AsylbLG → SGB II" in todo.title
        assert "Wohnsitzauflage" in todo.context["text"]
        assert transition_counts() == {"asylblg_sgb2": 1}
    data = case(app, case_id).data
    assert data["leistungssystem"] == "sgb2"  # the situation follows the transition
    assert [t["art"] for t in data["uebergaenge_verlauf"]] == ["asylblg_sgb2"]
    html = login_as("kim1").get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Übergang: AsylbLG → SGB II (nach Anerkennung)" in html  # the case history names it
    table = html.split('id="je-uebergaenge"')[1].split("</table>")[0]
    assert "Krankenversicherung geklärt" in table and "Übergabegespräch mit dem Jobcenter geführt" in table


def test_a_second_transition_changes_the_residence_status(app, clock):
    case_id = walk_to_review(app)
    fire(app, clock.now + timedelta(weeks=8, hours=1))
    day = ueberpruefung()["ueberpruefung_datum"]
    must(complete(app, case_id, "ueberpruefung", ueberpruefung("fortsetzen", uebergaenge=[
        {"art": "gestattung_duldung", "datum": day, "erledigt": []}])))
    fire(app, clock.now + timedelta(weeks=8, hours=1) + timedelta(weeks=8, hours=1))
    must(complete(app, case_id, "ueberpruefung", ueberpruefung("abschliessen", uebergaenge=[
        {"art": "duldung_ausbildungsduldung", "datum": day,
         "erledigt": [f"duldung_ausbildungsduldung:{i}" for i in ("ausbildungsvertrag", "identitaet",
                                                                   "antrag_abh", "betrieb_informiert")]}])))
    data = case(app, case_id).data
    assert data["aufenthaltsstatus"] == "ausbildungsduldung"
    with app.app_context():
        assert transition_counts() == {"gestattung_duldung": 1, "duldung_ausbildungsduldung": 1}
        todos = db.session.scalars(select(Task.title).where(Task.instance_id == case_id, Task.kind == TODO_TASK))
        assert len(list(todos)) == 1  # a fully ticked checklist leaves nothing to do


def test_a_checklist_item_of_another_transition_is_refused(app, clock):
    case_id = walk_to_review(app)
    fire(app, clock.now + timedelta(weeks=8, hours=1))
    errors = complete(app, case_id, "ueberpruefung", ueberpruefung("fortsetzen", uebergaenge=[
        {"art": "asylblg_sgb2", "datum": ueberpruefung()["ueberpruefung_datum"],
         "erledigt": ["duldung_ausbildungsduldung:identitaet"]}]))
    assert "Checkliste des gewählten Übergangs" in str(errors)
    assert open_tasks(app, case_id) == ["ueberpruefung"]


def test_every_step_has_a_json_schema_through_the_api(app, clock):
    case_id = start(app)
    kim = api_client(app, "kim1")
    seen = []
    data_of = {"aufnahme": aufnahme()}
    from tests.junge_erwachsene import je_steps

    for step in [*STEPS, "ueberpruefung", "abschluss"]:
        if step == "ueberpruefung":
            fire(app, clock.now + timedelta(weeks=8, hours=1))
        tasks = kim.get(f"/api/v1/tasks?process_instance={case_id}").get_json()
        items = tasks["items"] if isinstance(tasks, dict) else tasks
        task = next(t for t in items if t["name"] == step)
        detail = kim.get(f"/api/v1/tasks/{task['id']}").get_json()
        schema = detail["form_schema"]
        assert schema["type"] == "object" and schema["properties"], step
        seen.append(step)
        data = data_of.get(step) or (je_steps.ueberpruefung("abschliessen") if step == "ueberpruefung"
                                     else getattr(je_steps, step)())
        answer = kim.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data})
        assert answer.status_code == 200, (step, answer.get_json())
    assert seen == [*STEPS, "ueberpruefung", "abschluss"]
    assert case(app, case_id).outcome == "ausbildung"


def test_bad_input_through_the_api_is_a_german_422(app):
    case_id = start(app)
    kim = api_client(app, "kim1")
    with app.app_context():
        task_id = db.session.scalar(select(Task.id).where(Task.instance_id == case_id, Task.bpmn_id == "aufnahme"))
    answer = kim.post(f"/api/v1/tasks/{task_id}/complete", json={"data": aufnahme(geburtsdatum=born(40))})
    assert answer.status_code == 422
    assert "Die Person ist 40 Jahre alt" in str(answer.get_json())
    assert open_tasks(app, case_id) == ["aufnahme"]


def test_the_review_page_shows_the_plan_the_offers_and_the_situation(app, clock, login_as):
    case_id = walk_to_review(app)
    fire(app, clock.now + timedelta(weeks=8, hours=1))
    with app.app_context():
        task_id = db.session.scalar(select(Task.id).where(Task.instance_id == case_id, Task.bpmn_id == "ueberpruefung",
                                                          Task.status.in_(ACTIVE_TASK_STATES)))
    page = login_as("kim1").get(f"/aufgaben/{task_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count("<h1") == 1
    context = html.split('id="task-context-h"')[1].split("</section>")[0]
    assert 'id="ctx-ziele"' in context and "Verantwortlich" in context and "Die junge Person" in context
    assert 'id="ctx-angebote"' in context and "Berufssprachkurs B1" in context and "angenommen" in context
    assert 'id="ctx-lage"' in context and "Aufenthaltsgestattung (Asylverfahren)" in context


def test_the_integration_plan_is_a_living_plan_whose_goals_name_the_responsible_actor(app, clock, login_as):
    case_id = walk_to_review(app)
    kim = login_as("kim1")
    form = kim.get(f"/faelle/{case_id}/plan/ziel/neu")
    assert form.status_code == 200 and "Verantwortlich" in form.get_data(as_text=True)
    deadline = (clock.now + timedelta(days=60)).date().isoformat()
    refused = kim.post(f"/faelle/{case_id}/plan/ziel/neu", data={"bereich": "wohnen", "ziel": "Eigene Wohnung",
                                                                  "frist": deadline, "verantwortlich": ""})
    assert refused.status_code == 422 and "verantwortlich" in refused.get_data(as_text=True)
    added = kim.post(f"/faelle/{case_id}/plan/ziel/neu", data={"bereich": "wohnen", "ziel": "Eigene Wohnung",
                                                                "frist": deadline, "verantwortlich": "Sozialamt"})
    assert added.status_code == 302
    goals = case(app, case_id).data["ziele"]
    assert goals[-1]["verantwortlich"] == "Sozialamt" and len(goals) == 3
    fire(app, clock.now + timedelta(weeks=8, hours=1))
    must(complete(app, case_id, "ueberpruefung", ueberpruefung("fortsetzen", goals=3)))  # the review walks all three


def test_every_step_has_its_page_in_the_browser(app, clock, login_as):
    from tests.junge_erwachsene import je_steps

    kim = login_as("kim1")
    case_id = start(app)
    titles = {"aufnahme": "Aufnahme", "situation": "Situation", "faehigkeiten": "Fähigkeiten und Bedarfe",
              "fallkonferenz": "Fallkonferenz", "integrationsplan": "Integrationsplan", "angebote": "Angebote",
              "ueberpruefung": "Überprüfung", "abschluss": "Abschluss"}
    for step, title in titles.items():
        if step == "ueberpruefung":
            fire(app, clock.now + timedelta(weeks=8, hours=1))
        with app.app_context():
            task_id = db.session.scalar(select(Task.id).where(Task.instance_id == case_id, Task.bpmn_id == step,
                                                              Task.status.in_(ACTIVE_TASK_STATES)))
        page = kim.get(f"/aufgaben/{task_id}")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and html.count("<h1") == 1 and title in html, step
        empty = kim.post(f"/aufgaben/{task_id}", data={})
        assert empty.status_code == 422 and "error-summary" in empty.get_data(as_text=True), step
        data = je_steps.ueberpruefung("abschliessen") if step == "ueberpruefung" else getattr(je_steps, step)()
        must(complete(app, case_id, step, data))
    assert case(app, case_id).status == COMPLETED
