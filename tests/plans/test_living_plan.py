"""Plans that live: goals are added, changed, re-dated and closed between reviews by the
case-owning team, every change is recorded (who, when, what), the plan keeps at least one goal,
and later steps (Abschluss, MBE review, Integrationsvereinbarung) see the current plan."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.engine.models import CaseEvent
from app.extensions import db
from app.plans.models import PlanChange, PlanGoal
from tests.flows import complete_web, future, instance, open_task, start_case_web, to_form, valid_data
from tests.mbe import mbe_steps as s


def _ab_case(app, login_as, *, to: str = "vorgespraech") -> int:
    """An Alltagsbegleitung case walked through the web pages up to (and including) ``to``."""
    fb36, k201 = login_as("fb36"), login_as("k201")
    case_id = start_case_web(fb36)
    assert complete_web(fb36, case_id, "bedarfsermittlung").status_code == 302
    if to == "bedarfsermittlung":
        return case_id
    assert complete_web(k201, case_id, "vermittlung").status_code == 302
    if to == "vermittlung":
        return case_id
    assert complete_web(fb36, case_id, "vorgespraech").status_code == 302
    return case_id


def _goals(app, case_id: int) -> list[PlanGoal]:
    with app.app_context():
        goals = list(db.session.scalars(select(PlanGoal).where(PlanGoal.instance_id == case_id)
                                        .order_by(PlanGoal.position)))
        for g in goals:
            db.session.expunge(g)
        return goals


def _changes(app, case_id: int) -> list[tuple[str, str | None, int]]:
    with app.app_context():
        return [(c.kind, c.actor.username if c.actor else None, c.version) for c in db.session.scalars(
            select(PlanChange).where(PlanChange.instance_id == case_id).order_by(PlanChange.id))]


def test_goals_are_seeded_from_the_bedarfsermittlung(app, login_as):
    case_id = _ab_case(app, login_as, to="bedarfsermittlung")
    [goal] = _goals(app, case_id)
    assert goal.fields["beschreibung"] == "Kita-Platz beantragt" and goal.status == "offen"
    assert _changes(app, case_id) == [("hinzugefuegt", "fb36", 1)]
    page = login_as("fb36").get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Kita-Platz beantragt" in page and "Ziel hinzufügen" in page and "Version 1" in page
    assert page.count('id="goals-h"') == 0  # the old goals section gives way to the living plan


def test_team_adds_redates_changes_and_closes_goals_between_reviews(app, login_as):
    case_id = _ab_case(app, login_as)
    fb36 = login_as("fb36")
    first = _goals(app, case_id)[0]
    response = fb36.post(f"/faelle/{case_id}/plan/ziel/neu", data={
        "beschreibung": "Arzttermine selbst vereinbaren", "frist": future(40),
        "ueberpruefung": "Familie berichtet im Zwischengespräch", "notiz": "Neuer Bedarf im Telefonat"})
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    response = fb36.post(f"/faelle/{case_id}/plan/ziel/{first.id}", data={
        "beschreibung": "Kita-Platz beantragt", "frist": future(120),
        "ueberpruefung": "Antrag liegt dem Jugendamt vor", "notiz": "Amt braucht länger"})
    assert response.status_code == 302
    response = fb36.post(f"/faelle/{case_id}/plan/ziel/{first.id}", data={
        "beschreibung": "Kita-Platz beantragt und Zusage erhalten", "frist": future(120),
        "ueberpruefung": "Zusage liegt vor"})
    assert response.status_code == 302
    response = fb36.post(f"/faelle/{case_id}/plan/ziel/{first.id}/abschliessen",
                         data={"status": "erreicht", "notiz": "Zusage ist da"})
    assert response.status_code == 302

    assert _changes(app, case_id) == [("hinzugefuegt", "fb36", 1), ("hinzugefuegt", "fb36", 2),
                                      ("neu_terminiert", "fb36", 3), ("geaendert", "fb36", 4),
                                      ("abgeschlossen", "fb36", 5)]
    case = instance(app, case_id)
    assert case.data["ziele"] == [
        {"beschreibung": "Kita-Platz beantragt und Zusage erhalten", "frist": future(120),
         "ueberpruefung": "Zusage liegt vor", "status": "erreicht"},
        {"beschreibung": "Arzttermine selbst vereinbaren", "frist": future(40),
         "ueberpruefung": "Familie berichtet im Zwischengespräch"}]
    page = fb36.get(f"/faelle/{case_id}").get_data(as_text=True)
    history = page[page.index('id="plan-history"'):]
    assert "Frist neu gesetzt" in history and "Amt braucht länger" in history and "Zusage ist da" in history
    assert "Version 5" in page
    with app.app_context():
        labels = [e.title for e in db.session.scalars(select(CaseEvent).where(
            CaseEvent.instance_id == case_id, CaseEvent.kind == "plan_changed"))]
    assert "Arzttermine selbst vereinbaren" in labels  # the case history names the goal


def test_the_last_goal_cannot_be_dropped(app, login_as):
    case_id = _ab_case(app, login_as, to="bedarfsermittlung")
    fb36 = login_as("fb36")
    [goal] = _goals(app, case_id)
    response = fb36.post(f"/faelle/{case_id}/plan/ziel/{goal.id}/abschliessen",
                         data={"status": "nicht_weiter_verfolgt"})
    assert response.status_code == 422
    assert "Der Plan braucht mindestens ein Ziel" in response.get_data(as_text=True)
    assert _goals(app, case_id)[0].status == "offen" and len(_changes(app, case_id)) == 1
    # with a second goal the first may be dropped; it leaves the case data, not the plan
    assert fb36.post(f"/faelle/{case_id}/plan/ziel/neu", data={
        "beschreibung": "Deutschkurs anmelden", "frist": future(30), "ueberpruefung": "Anmeldung"}).status_code == 302
    assert fb36.post(f"/faelle/{case_id}/plan/ziel/{goal.id}/abschliessen",
                     data={"status": "nicht_weiter_verfolgt"}).status_code == 302
    assert [g["beschreibung"] for g in instance(app, case_id).data["ziele"]] == ["Deutschkurs anmelden"]
    page = fb36.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "nicht weiter verfolgt" in page and "Wieder öffnen" in page
    # dropped by mistake: taken up again, back in the case data, recorded
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert fb36.post(f"/faelle/{case_id}/plan/ziel/{goal.id}/oeffnen", data={"csrf_token": csrf}).status_code == 302
    assert [g["beschreibung"] for g in instance(app, case_id).data["ziele"]] == [
        "Kita-Platz beantragt", "Deutschkurs anmelden"]
    assert _changes(app, case_id)[-1] == ("wieder_offen", "fb36", 4)
    assert login_as("k201").post(f"/faelle/{case_id}/plan/ziel/{goal.id}/oeffnen").status_code == 403


def test_bad_goal_input_is_refused_in_german_and_nothing_changes(app, login_as):
    case_id = _ab_case(app, login_as, to="bedarfsermittlung")
    fb36 = login_as("fb36")
    response = fb36.post(f"/faelle/{case_id}/plan/ziel/neu", data={
        "beschreibung": "", "frist": (date.today() - timedelta(days=1)).isoformat(), "ueberpruefung": "x"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Bitte füllen Sie dieses Feld aus." in text and "Die Frist muss in der Zukunft liegen." in text
    assert len(_goals(app, case_id)) == 1


@pytest.mark.parametrize("username, status", [
    ("fb36", 200), ("fb36fh", 404), ("fb31", 404), ("k201", 403), ("ehrenamt1", 403), ("ehrenamt2", 404),
    ("mbe2", 404), ("leitung", 403), ("prozess", 404), ("admin", 404),
])
def test_who_may_change_an_alltagsbegleitung_plan(app, login_as, username, status):
    case_id = _ab_case(app, login_as, to="vermittlung")
    goal = _goals(app, case_id)[0]
    client = login_as(username)
    assert client.get(f"/faelle/{case_id}/plan/ziel/neu").status_code == status
    response = client.post(f"/faelle/{case_id}/plan/ziel/{goal.id}/abschliessen", data={"status": "erreicht"})
    assert response.status_code == (302 if status == 200 else status)
    if status != 200:
        assert len(_changes(app, case_id)) == 1
    if status == 403:  # they see the plan, without the buttons
        page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
        assert "Kita-Platz beantragt" in page and "Ziel hinzufügen" not in page


def test_abschluss_lists_a_goal_added_between_reviews(app, login_as):
    case_id = _ab_case(app, login_as)
    fb36, k201 = login_as("fb36"), login_as("k201")
    assert fb36.post(f"/faelle/{case_id}/plan/ziel/neu", data={
        "beschreibung": "Schulweg allein bewältigen", "frist": future(50),
        "ueberpruefung": "Kind geht eine Woche allein"}).status_code == 302
    assert complete_web(k201, case_id, "zwischengespraech",
                        valid_data("zwischengespraech", abschluss_einleiten=True)).status_code == 302
    task = open_task(app, case_id, "abschluss")
    page = fb36.get(f"/aufgaben/{task.id}").get_data(as_text=True)
    assert "Schulweg allein bewältigen" in page and "Kind geht eine Woche allein" in page
    assert page.count('value="Schulweg allein bewältigen"') == 1  # one rating row per current goal
    data = valid_data("abschluss", zielbewertungen=[
        {"ziel": "Kita-Platz beantragt", "bewertung": "erreicht"},
        {"ziel": "Schulweg allein bewältigen", "bewertung": "teilweise"}])
    assert fb36.post(f"/aufgaben/{task.id}", data=to_form(data)).status_code == 302
    assert instance(app, case_id).status == "completed"


def _mbe_plan(app, **erstkontakt) -> int:
    case_id = s.start(app)
    for step, data in (("erstkontakt", s.erstkontakt(**erstkontakt)), ("beratung", s.beratung("case_management")),
                       ("assessment", s.assessment()), ("foerderplan", s.foerderplan(40, 200)),
                       ("vereinbarung", s.vereinbarung())):
        assert s.complete(app, case_id, step, data) == {}
    return case_id


def test_mbe_plan_changes_between_reviews_reach_the_review_and_the_agreement(app, login_as):
    case_id = _mbe_plan(app)
    mbe1 = login_as("mbe1")
    agreement = mbe1.get(f"/mbe/faelle/{case_id}/integrationsvereinbarung").get_data(as_text=True)
    assert re.search(r"Förderplan Stand [0-9.]+, Version 1", agreement)
    response = mbe1.post(f"/faelle/{case_id}/plan/ziel/neu", data={
        "bereich": "wohnen" if False else "lebensgestaltung", "ziel": "Eigene Wohnung finden",
        "frist": future(90), "partner": "Wohnungsamt"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    goals = _goals(app, case_id)
    assert mbe1.post(f"/faelle/{case_id}/plan/ziel/{goals[0].id}/abschliessen",
                     data={"status": "erreicht"}).status_code == 302
    case = instance(app, case_id)
    assert [(g["ziel"], g["status"]) for g in case.data["ziele"]] == [
        ("Ziel 1", "erreicht"), ("Ziel 2", "offen"), ("Eigene Wohnung finden", "offen")]
    agreement = mbe1.get(f"/mbe/faelle/{case_id}/integrationsvereinbarung").get_data(as_text=True)
    assert re.search(r"Förderplan Stand [0-9.]+, Version 3", agreement)
    assert "Eigene Wohnung finden" in agreement
    # the review walks the current plan and its outcome is recorded as a new version
    s.fire(app, s.at(41))
    assert "ueberpruefung" in s.open_tasks(app, case_id)
    review = {"ueberpruefung_datum": s.iso(s.today()), "ueberpruefung_ergebnis": "fortsetzen",
              "ziele": [{"status": "erreicht"}, {"status": "angepasst", "ziel": "Ziel 2 (B1)", "frist": future(300)},
                        {"status": "nicht_erreicht"}]}
    assert s.complete(app, case_id, "ueberpruefung", review) == {}
    goals = _goals(app, case_id)
    assert [g.status for g in goals] == ["erreicht", "angepasst", "nicht_erreicht"]
    assert goals[1].fields["ziel"] == "Ziel 2 (B1)" and goals[1].frist.isoformat() == future(300)
    assert _changes(app, case_id)[-2:] == [("geaendert", "mbe1", 4), ("abgeschlossen", "mbe1", 4)]
    # between reviews the adjusted goal can be re-dated again, recorded as its own version
    response = mbe1.post(f"/faelle/{case_id}/plan/ziel/{goals[1].id}", data={
        "bereich": goals[1].fields["bereich"], "ziel": "Ziel 2 (B1)", "frist": future(320), "partner": "Jobcenter"})
    assert response.status_code == 302
    assert _changes(app, case_id)[-1] == ("neu_terminiert", "mbe1", 5)
    page = mbe1.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Stand des Plans: Version 5" in page and "Integrationsvereinbarung (Druckansicht)" in page


def test_a_plan_change_computed_from_an_older_case_state_conflicts(app, login_as):
    from sqlalchemy import update

    from app.auth.models import User
    from app.engine.errors import ConflictError
    from app.engine.models import ProcessInstance
    from app.plans import services

    case_id = _ab_case(app, login_as, to="bedarfsermittlung")
    with app.test_request_context():
        case = db.session.get(ProcessInstance, case_id)
        fb36 = db.session.scalar(select(User).where(User.username == "fb36"))
        # another request changed the case after this one read it
        db.session.execute(update(ProcessInstance).where(ProcessInstance.id == case_id)
                           .values(row_version=ProcessInstance.row_version + 1)
                           .execution_options(synchronize_session=False))
        with pytest.raises(ConflictError):
            services.add_goal(case, fb36, {"beschreibung": "Doppelt", "frist": future(10), "ueberpruefung": "x"})
    assert len(_goals(app, case_id)) == 1


@pytest.mark.parametrize("username, status", [
    ("mbe1", 200), ("mbe2", 404), ("mbeleitung", 403), ("fb36", 404), ("k201", 404), ("ehrenamt1", 404),
    ("prozess", 404), ("admin", 404),
])
def test_who_may_change_an_mbe_plan(app, login_as, username, status):
    case_id = _mbe_plan(app)
    assert login_as(username).get(f"/faelle/{case_id}/plan/ziel/neu").status_code == status


def test_a_goal_added_between_reviews_naming_a_directory_partner_refers_the_case(app, login_as):
    from tests.mbe.test_gaps_goal_partners import _partner, _referrals

    case_id = _mbe_plan(app, einwilligung=True, einwilligung_datum=s.iso(s.today()), einwilligung_form="schriftlich",
                        einwilligung_umfang=["speicherung", "weitergabe"], nachname="Beispiel")  # sharing allowed
    _partner(app, "mbe1", "Wohnungsamt Musterstadt")
    assert login_as("mbe1").post(f"/faelle/{case_id}/plan/ziel/neu", data={
        "bereich": "lebensgestaltung", "ziel": "Eigene Wohnung finden", "frist": future(90),
        "partner": "Wohnungsamt Musterstadt"}).status_code == 302
    assert _referrals(app, case_id) == [("Wohnungsamt Musterstadt", "Förderziel: Eigene Wohnung finden")]
