"""The MBE procedure through the engine service and the web pages: referral, counselling only,
case management with plan, agreement, timer-driven reviews, three-year limit, closing."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.engine.models import CaseEvent, ProcessInstance, Task
from app.extensions import db
from tests.mbe import mbe_steps as s


def test_referral_path_ends_the_case(app):
    instance_id = s.start(app)
    assert s.complete(app, instance_id, "erstkontakt", s.erstkontakt(alter=24)) == {}
    assert s.open_tasks(app, instance_id) == ["verweisberatung"]
    assert s.complete(app, instance_id, "verweisberatung", {"verwiesen_an": "jmd"}) == {}
    instance = s.case(app, instance_id)
    assert instance.status == "completed" and instance.outcome == "verwiesen"
    assert instance.data["mbe_ergebnis"] == "verwiesen" and instance.data["verwiesen_an"] == "jmd"
    assert "mbe_modus" not in instance.data


def test_referral_to_other_service_needs_its_name(app):
    instance_id = s.start(app)
    s.complete(app, instance_id, "erstkontakt", s.erstkontakt(alter=20))
    errors = s.complete(app, instance_id, "verweisberatung", {"verwiesen_an": "sonstige"})
    assert errors == {"verwiesen_an_sonstige": ["Bitte die Stelle angeben."]}
    assert s.open_tasks(app, instance_id) == ["verweisberatung"]


def test_counselling_only_keeps_every_session(app):
    instance_id = s.start(app)
    s.complete(app, instance_id, "erstkontakt", s.erstkontakt())
    assert s.complete(app, instance_id, "beratung", s.beratung(themen=["aufenthalt"])) == {}
    assert s.open_tasks(app, instance_id) == ["beratung"]
    assert s.complete(app, instance_id, "beratung", s.beratung("abschliessen", themen=["wohnen", "arbeit"])) == {}
    assert s.open_tasks(app, instance_id) == ["abschluss"]
    assert s.complete(app, instance_id, "abschluss", s.abschluss(abschlussgrund="anliegen_geklaert")) == {}
    instance = s.case(app, instance_id)
    assert instance.status == "completed" and instance.outcome == "abgeschlossen"
    assert instance.data["mbe_modus"] == "beratung"
    assert [b["themen"] for b in instance.data["beratungen"]] == [["aufenthalt"], ["wohnen", "arbeit"]]
    assert instance.data["abschlussgrund"] == "anliegen_geklaert"


def test_closing_requires_the_sustainability_check(app):
    instance_id = s.start(app)
    s.complete(app, instance_id, "erstkontakt", s.erstkontakt())
    s.complete(app, instance_id, "beratung", s.beratung("abschliessen"))
    errors = s.complete(app, instance_id, "abschluss", s.abschluss(nachhaltigkeit_geprueft=False))
    assert errors["nachhaltigkeit_geprueft"] == [
        "Der Fall wird erst nach der Prüfung der Nachhaltigkeit abgeschlossen."]
    assert s.case(app, instance_id).status == "running"


def _to_agreement(app, ik: bool = False, deadlines=(40, 200)) -> int:
    instance_id = s.start(app)
    s.complete(app, instance_id, "erstkontakt", s.erstkontakt())
    s.complete(app, instance_id, "beratung", s.beratung("case_management"))
    assert s.open_tasks(app, instance_id) == ["assessment"]
    assert s.complete(app, instance_id, "assessment", s.assessment(ik=ik)) == {}
    assert s.complete(app, instance_id, "foerderplan", s.foerderplan(*deadlines)) == {}
    assert s.open_tasks(app, instance_id) == ["vereinbarung"]
    return instance_id


def test_agreement_needs_both_signatures(app):
    instance_id = _to_agreement(app)
    errors = s.complete(app, instance_id, "vereinbarung", {**s.vereinbarung(), "unterschrieben_klient": False})
    assert errors == {"unterschrieben_klient": [
        "Die Vereinbarung muss von der ratsuchenden Person unterschrieben sein."]}
    assert s.open_tasks(app, instance_id) == ["vereinbarung"]


def test_plan_needs_a_goal_with_future_deadline(app):
    instance_id = _to_agreement(app)  # the plan step is done; a fresh case for the bad input:
    other = s.start(app)
    s.complete(app, other, "erstkontakt", s.erstkontakt())
    s.complete(app, other, "beratung", s.beratung("case_management"))
    s.complete(app, other, "assessment", s.assessment())
    assert s.complete(app, other, "foerderplan", {"ziele": []})["ziele"] == ["Bitte mindestens ein Ziel angeben."]
    bad = s.foerderplan(-1)
    assert s.complete(app, other, "foerderplan", bad)["ziele-0-frist"] == ["Die Frist muss in der Zukunft liegen."]
    assert s.open_tasks(app, other) == ["foerderplan"] and instance_id != other


def test_full_case_management_with_timer_reviews_to_closing(app):
    instance_id = _to_agreement(app, ik=True, deadlines=(40, 200))
    assert s.complete(app, instance_id, "vereinbarung", s.vereinbarung()) == {}
    assert s.open_tasks(app, instance_id) == ["ik_begleitung"]  # no review before its time
    # the earliest goal deadline (in 40 days) brings the first review; not a day earlier
    assert s.fire(app, s.at(39)) == 0
    assert "ueberpruefung" not in s.open_tasks(app, instance_id)
    assert s.fire(app, s.at(40)) == 1
    assert sorted(s.open_tasks(app, instance_id)) == ["ik_begleitung", "ueberpruefung"]
    with app.app_context():
        events = db.session.scalars(select(CaseEvent.kind).where(CaseEvent.instance_id == instance_id)).all()
    assert "timer" in events
    ik = {"kurstraeger": "Sprachschule Mitte", "kursbeginn": s.iso(s.today()), "abbruchgefahr": "hoch",
          "interventionen": ["kinderbetreuung", "kursgebuehr"], "empfohlene_massnahme": "B2-Kurs",
          "ik_begleitung_fortsetzen": True}
    assert s.complete(app, instance_id, "ik_begleitung", ik) == {}
    review = {"ueberpruefung_datum": s.iso(s.today()), "ueberpruefung_ergebnis": "fortsetzen", "ziele": [
        {"status": "erreicht"},
        {"status": "angepasst", "ziel": "Ziel 2 (neu)", "frist": s.iso(s.today() + timedelta(days=300))}]}
    assert s.complete(app, instance_id, "ueberpruefung", review) == {}
    data = s.case(app, instance_id).data
    assert [(z["ziel"], z["status"]) for z in data["ziele"]] == [("Ziel 1", "erreicht"),
                                                                  ("Ziel 2 (neu)", "angepasst")]
    assert data["ziele"][1]["frist"] == s.iso(s.today() + timedelta(days=300))
    assert len(data["ueberpruefungen"]) == 1
    # no goal is due within three months: the next review comes after at most three months
    assert s.fire(app, s.at(80)) == 0
    assert s.fire(app, s.at(95)) == 1
    assert "ueberpruefung" in s.open_tasks(app, instance_id)
    closing = {**review, "ueberpruefung_ergebnis": "abschliessen",
               "ziele": [{"status": "erreicht"}, {"status": "teilweise"}]}
    assert s.complete(app, instance_id, "ueberpruefung", closing) == {}
    # closing the case management also ends the still running course support
    assert s.open_tasks(app, instance_id) == ["abschluss"]
    assert s.complete(app, instance_id, "abschluss", s.abschluss()) == {}
    instance = s.case(app, instance_id)
    assert instance.status == "completed" and instance.outcome == "abgeschlossen"
    assert instance.data["mbe_modus"] == "case_management"
    assert instance.data["ik_begleitungen"][0]["abbruchgefahr"] == "hoch"
    assert [z["status"] for z in instance.data["ziele"]] == ["erreicht", "teilweise"]


def test_review_cannot_change_goal_unless_adjusted(app):
    instance_id = _to_agreement(app, deadlines=(30,))
    s.complete(app, instance_id, "vereinbarung", s.vereinbarung())
    s.fire(app, s.at(30))
    review = {"ueberpruefung_datum": s.iso(s.today()), "ueberpruefung_ergebnis": "fortsetzen",
              "ziele": [{"status": "teilweise", "ziel": "heimlich geändert", "frist": s.iso(s.today())}]}
    assert s.complete(app, instance_id, "ueberpruefung", review) == {}
    goal = s.case(app, instance_id).data["ziele"][0]
    assert goal["ziel"] == "Ziel 1" and goal["status"] == "teilweise"
    s.fire(app, s.at(120))
    bad = {**review, "ziele": [{"status": "angepasst", "ziel": "neu", "frist": s.iso(s.today())}]}
    errors = s.complete(app, instance_id, "ueberpruefung", bad)
    assert errors == {"ziele-0-frist": ["Die neue Frist muss nach der Überprüfung liegen."]}


def test_three_year_limit_reminds_and_then_forces_the_closing_review(app):
    instance_id = s.start(app)
    s.complete(app, instance_id, "erstkontakt", s.erstkontakt())
    s.complete(app, instance_id, "beratung", s.beratung())
    data = s.case(app, instance_id).data
    three_years = s.today().replace(year=s.today().year + 3) if not (s.today().month == 2 and s.today().day == 29) \
        else s.today().replace(year=s.today().year + 3, day=28)
    assert data["dreijahresfrist"] == s.iso(three_years)
    reminder_day = (three_years - s.today()).days - 92
    assert s.fire(app, s.at(reminder_day - 2)) == 0
    assert s.fire(app, s.at(reminder_day + 3)) == 1
    assert sorted(s.open_tasks(app, instance_id)) == ["beratung", "dreijahres_erinnerung"]
    assert s.complete(app, instance_id, "dreijahres_erinnerung",
                      {"kenntnisnahme": True, "uebergang_geplant": "Übergabe an den Sozialdienst"}) == {}
    assert s.open_tasks(app, instance_id) == ["beratung"]
    assert s.fire(app, s.at((three_years - s.today()).days)) == 1
    assert s.open_tasks(app, instance_id) == ["abschluss"]  # the running counselling was ended
    with app.test_request_context():
        from app.cases.taskforms import build_form

        task = db.session.scalar(select(Task).where(Task.instance_id == instance_id, Task.bpmn_id == "abschluss"))
        assert build_form(task).abschlussgrund.data == "hoechstdauer_erreicht"
    assert s.complete(app, instance_id, "abschluss", s.abschluss(abschlussgrund="hoechstdauer_erreicht")) == {}
    assert s.case(app, instance_id).outcome == "abgeschlossen"


def test_many_counselling_sessions_stay_flat(app):
    """Session after session the loop goes on and the case file keeps each one; the stored
    workflow state grows only by the session's record, not by the completed tasks. (40 sessions
    show it; the engine's own loop test runs 300 - tests/engine/test_engine_service.py.)"""
    instance_id = s.start(app)
    s.complete(app, instance_id, "erstkontakt", s.erstkontakt())
    sizes = {}
    for i in range(1, 41):
        assert s.complete(app, instance_id, "beratung", s.beratung()) == {}
        if i in (10, 40):
            with app.app_context():
                sizes[i] = len(db.session.get(ProcessInstance, instance_id).state)
    assert s.open_tasks(app, instance_id) == ["beratung"]
    assert len(s.case(app, instance_id).data["beratungen"]) == 40
    assert sizes[40] - sizes[10] < 30 * 1_000, sizes  # under 1 KB per session


# --- through the web pages, as the counsellor mbe1 --------------------------------------------

def _post_task(client, instance_id: int, bpmn_id: str, form: dict):
    with client.application.app_context():
        task = db.session.scalar(select(Task).where(Task.instance_id == instance_id, Task.bpmn_id == bpmn_id,
                                                   Task.status == "open"))
        task_id = task.id
    return client.post(f"/aufgaben/{task_id}", data=form)


def test_case_management_through_the_web_pages(app, login_as):
    from tests.flows import to_form

    client = login_as("mbe1")
    response = client.post("/faelle/neu", data={"verfahren": "mbe_beratung", "team": "mbe"})
    assert response.status_code == 302
    task_id = int(re.search(r"/aufgaben/(\d+)", response.headers["Location"]).group(1))
    with app.app_context():
        instance_id = db.session.get(Task, task_id).instance_id
    page = client.get(f"/aufgaben/{task_id}").get_data(as_text=True)
    assert "Erstkontakt / Clearing" in page and "Einwilligung" in page
    for step, data in [("erstkontakt", s.erstkontakt()), ("beratung", s.beratung("case_management")),
                       ("assessment", s.assessment()), ("foerderplan", s.foerderplan(60))]:
        assert _post_task(client, instance_id, step, to_form(data)).status_code == 302, step
    # the agreement task links the printable agreement generated from the plan
    with app.app_context():
        task_id = db.session.scalar(select(Task.id).where(Task.instance_id == instance_id,
                                                          Task.bpmn_id == "vereinbarung"))
    page = client.get(f"/aufgaben/{task_id}").get_data(as_text=True)
    link = f"/mbe/faelle/{instance_id}/integrationsvereinbarung"
    assert link in page
    agreement = client.get(link).get_data(as_text=True)
    assert "Rechte und Pflichten der ratsuchenden Person" in agreement
    assert "Deutschkenntnisse über den Integrationskurs hinaus" in agreement
    assert "Jeden ersten Montag im Monat" in agreement and "Unterschrift" in agreement
    bad = _post_task(client, instance_id, "vereinbarung", {"unterschrieben_am": s.iso(s.today())})
    assert bad.status_code == 422
    assert "Die Vereinbarung muss von der ratsuchenden Person unterschrieben sein." in bad.get_data(as_text=True)
    assert _post_task(client, instance_id, "vereinbarung", to_form(s.vereinbarung())).status_code == 302
    assert "Von beiden Seiten unterschrieben" in client.get(link).get_data(as_text=True)
    view = client.get(f"/faelle/{instance_id}").get_data(as_text=True)
    assert "Förderplan" in view and link in view and "Ziel 1" in view
    # the timeline shows choice labels, not stored values
    assert "Case Management beginnen" in view
    # another counsellor does not get the agreement of this case
    assert login_as("mbe2").get(link).status_code == 404
    assert login_as("k201").get(link).status_code == 404
