"""Matching offers in a young adult's case (panel, proposing, API) and the gap report."""

from __future__ import annotations

from sqlalchemy import select

from app.engine.models import CaseEvent, ProcessInstance, Task
from app.extensions import db
from tests.factories import open_task
from tests.junge_erwachsene.je_steps import (
    aufnahme,
    complete,
    faehigkeiten,
    fallkonferenz,
    integrationsplan,
    must,
    situation,
    start,
    walk_to_review,
)
from tests.offers.helpers import add_offers, soon

# The person of je_steps: 21, Aufenthaltsgestattung, AsylbLG, Deutsch A2; goals Sprache and Ausbildung.
CATALOGUE = (
    {"titel": "Berufssprachkurs B1", "art": "sprachkurs", "sprachniveau_min": "A2", "plaetze": 10,
     "plaetze_belegt": 4, "beginn": soon(14)},
    {"titel": "Integrationskurs", "art": "sprachkurs", "aufenthaltsstatus": ["aufenthaltserlaubnis"]},
    {"titel": "Ausbildung Pflege", "art": "ausbildung", "sprachniveau_min": "B1"},
    {"titel": "Jobcoaching U25", "art": "beratung", "alter_max": 20},
    {"titel": "Sommerkurs", "art": "sprachkurs", "beginn": soon(-60), "ende": soon(-1)},
)


def to_offers_step(app) -> int:
    case_id = start(app)
    for step, data in (("aufnahme", aufnahme()), ("situation", situation()), ("faehigkeiten", faehigkeiten()),
                       ("fallkonferenz", fallkonferenz()), ("integrationsplan", integrationsplan())):
        must(complete(app, case_id, step, data))
    return case_id


def test_the_case_view_shows_ranked_matches_and_exclusions_with_reasons(app, login_as):
    ids = add_offers(app, *CATALOGUE)
    case_id = walk_to_review(app)
    html = login_as("kim1").get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Passende Angebote aus dem Katalog" in html
    passend = html.split('id="angebote-passend"')[1].split("</table>")[0]
    assert "Berufssprachkurs B1" in passend and "passt zum Ziel Sprache" in passend and "Plätze frei: 6" in passend
    assert "Beginn in 2 Wochen" in passend
    rest = html.split('id="angebote-ausgeschlossen"')[1].split("</table>")[0]
    assert "nicht zugänglich bei Aufenthaltsgestattung (Asylverfahren)" in rest
    assert "erst ab Sprachniveau B1" in rest and "nur bis 20 Jahre" in rest and "abgelaufen" in rest
    assert len(ids) == 5
    lead = login_as("kimleitung").get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Passende Angebote aus dem Katalog" in lead


def test_proposing_prefills_the_open_step_without_touching_the_case_data(app, login_as):
    [course, *_rest] = add_offers(app, *CATALOGUE)
    case_id = to_offers_step(app)
    kim = login_as("kim1")
    assert kim.post(f"/faelle/{case_id}/angebote/{course}/vorschlagen").status_code == 302
    with app.app_context():
        instance = db.session.get(ProcessInstance, case_id)
        assert "angebote" not in (instance.data or {})  # only a completed step writes the case
        task = open_task(case_id, "angebote")
        assert task.draft["angebote"] == [{"art": "sprachkurs", "bezeichnung": "Berufssprachkurs B1",
                                           "traeger": "Bildungsträger Beispiel", "status": "vorgeschlagen",
                                           "datum": soon(14).isoformat()}]
        events = db.session.scalars(select(CaseEvent).where(CaseEvent.instance_id == case_id,
                                                            CaseEvent.kind == "angebot_vorgeschlagen")).all()
        assert [e.data["offer_id"] for e in events] == [course]
        task_id = task.id
    page = kim.get(f"/aufgaben/{task_id}").get_data(as_text=True)
    assert 'value="Berufssprachkurs B1"' in page
    again = kim.post(f"/faelle/{case_id}/angebote/{course}/vorschlagen", follow_redirects=True)
    assert "bereits vorgeschlagen" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Task).where(Task.id == task_id)).draft["angebote"][0]["bezeichnung"] \
            == "Berufssprachkurs B1"
        assert len(db.session.get(Task, task_id).draft["angebote"]) == 1
    history = kim.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Angebot aus dem Katalog vorgeschlagen" in history


def test_others_neither_see_nor_propose(app, login_as, api_client):
    [course, *_rest] = add_offers(app, *CATALOGUE)
    case_id = walk_to_review(app)
    for username in ("fb36", "fb31", "leitung"):
        client = login_as(username)
        assert client.get(f"/faelle/{case_id}").status_code == 404
        assert client.post(f"/faelle/{case_id}/angebote/{course}/vorschlagen").status_code in (403, 404)
        assert api_client(username).get(f"/api/v1/process-instances/{case_id}/offer-matches").status_code == 404
    for username in ("ehrenamt1", "mbe1", "dsb", "prozess"):
        assert login_as(username).post(f"/faelle/{case_id}/angebote/{course}/vorschlagen").status_code == 403
        assert api_client(username).get(f"/api/v1/process-instances/{case_id}/offer-matches").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(CaseEvent.id).where(CaseEvent.kind == "angebot_vorgeschlagen")) is None


def test_api_offer_matches(app, api_client, start_case):
    ids = add_offers(app, *CATALOGUE)
    case_id = walk_to_review(app)
    answer = api_client("kim1").get(f"/api/v1/process-instances/{case_id}/offer-matches")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["person"] == {"age": 21, "residence_status": "gestattung", "benefits_system": "asylblg",
                              "german_level": "A2", "needs": ["sprache", "ausbildung"]}
    assert [(m["rank"], m["offer"]["title"]) for m in body["matches"]] == [(1, "Berufssprachkurs B1")]
    assert body["matches"][0]["reasons"][0] == "passt zum Ziel Sprache" and body["matches"][0]["proposed"] is False
    reasons = {e["offer"]["title"]: e["reasons"] for e in body["excluded"]}
    assert reasons == {"Integrationskurs": ["nicht zugänglich bei Aufenthaltsgestattung (Asylverfahren)"],
                       "Ausbildung Pflege": ["erst ab Sprachniveau B1"], "Jobcoaching U25": ["nur bis 20 Jahre"],
                       "Sommerkurs": ["abgelaufen"]}
    assert {e["offer"]["id"] for e in body["excluded"]} | {ids[0]} == set(ids)
    assert api_client("kim1").get("/api/v1/process-instances/999999/offer-matches").status_code == 404
    with app.app_context():
        other = start_case("fb36")
    wrong = api_client("fb36").get(f"/api/v1/process-instances/{other}/offer-matches")
    assert wrong.status_code == 422 and wrong.get_json()["error"]["code"] == "wrong_process"


def test_gap_report_lists_an_uncovered_need_masked_and_the_own_cases(app, login_as):
    add_offers(app, {"titel": "Sprachtreff", "art": "sprachkurs"},
               {"titel": "Ausbildung Pflege", "art": "ausbildung", "aufenthaltsstatus": ["aufenthaltserlaubnis"]})
    case_id = walk_to_review(app)
    kim = login_as("kim1")
    html = kim.get("/angebote/luecken").get_data(as_text=True)
    table = html.split('id="luecken"')[1].split("</table>")[0]
    assert "Aufenthaltsgestattung (Asylverfahren)" in table and "Ausbildung" in table and "&lt; 3" in table
    assert "Sprache" not in table  # the Sprachtreff covers it
    assert "Tarek" not in table
    own = html.split('id="eigene-luecken"')[1].split("</table>")[0]
    assert f"/faelle/{case_id}" in own and "nicht zugänglich bei Aufenthaltsgestattung (Asylverfahren)" in own
    csv = kim.get("/angebote/luecken?format=csv")
    text = csv.get_data().decode("utf-8-sig")
    assert csv.headers["Content-Disposition"].startswith("attachment")
    assert "Aufenthaltsgestattung (Asylverfahren);Ausbildung;< 3" in text and "Tarek" not in text

    walk_to_review(app)
    walk_to_review(app)
    text = kim.get("/angebote/luecken?format=csv").get_data().decode("utf-8-sig")
    assert "Aufenthaltsgestattung (Asylverfahren);Ausbildung;3" in text


def test_a_fitting_offer_closes_the_gap(app, login_as):
    add_offers(app, {"titel": "Sprachtreff", "art": "sprachkurs"},
               {"titel": "Berufsorientierung", "art": "berufsvorbereitung", "sprachniveau_min": "A2"})
    walk_to_review(app)
    html = login_as("kim1").get("/angebote/luecken").get_data(as_text=True)
    assert "Keine Förderlücken" in html and "Keiner Ihrer Fälle ist betroffen." in html


def test_the_offers_step_shows_the_matches_and_proposing_returns_to_it(app, login_as):
    [course, *_rest] = add_offers(app, *CATALOGUE)
    case_id = to_offers_step(app)
    with app.app_context():
        task_id = open_task(case_id, "angebote").id
    kim = login_as("kim1")
    page = kim.get(f"/aufgaben/{task_id}").get_data(as_text=True)
    assert 'id="angebote-katalog"' in page and "passt zum Ziel Sprache" in page
    assert f'name="next" value="/aufgaben/{task_id}"' in page
    answer = kim.post(f"/faelle/{case_id}/angebote/{course}/vorschlagen", data={"next": f"/aufgaben/{task_id}"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/aufgaben/{task_id}")
    assert 'value="Berufssprachkurs B1"' in kim.get(f"/aufgaben/{task_id}").get_data(as_text=True)


def test_access_ends_with_the_team_membership(app, login_as, api_client):
    from app.auth.models import Membership, Team
    from tests.factories import user

    [course, *_rest] = add_offers(app, *CATALOGUE)
    case_id = walk_to_review(app)
    kim, api = login_as("kim1"), api_client("kim1")
    assert "angebote-katalog" in kim.get(f"/faelle/{case_id}").get_data(as_text=True)
    with app.app_context():
        team = db.session.scalar(select(Team).where(Team.key == "kim"))
        db.session.execute(Membership.__table__.delete().where(
            Membership.user_id == user("kim1").id, Membership.team_id == team.id))
        db.session.commit()
    assert kim.get("/angebote").status_code == 403
    assert kim.get(f"/faelle/{case_id}").status_code == 404
    assert kim.post(f"/faelle/{case_id}/angebote/{course}/vorschlagen").status_code == 404
    assert api.get("/api/v1/offers").status_code == 403
    assert api.get(f"/api/v1/process-instances/{case_id}/offer-matches").status_code == 404


def test_a_closed_case_gets_no_proposal(app, login_as):
    [course, *_rest] = add_offers(app, *CATALOGUE)
    case_id = walk_to_review(app)
    with app.app_context():
        db.session.get(ProcessInstance, case_id).status = "completed"  # as after the closing step
        db.session.commit()
    answer = login_as("kim1").post(f"/faelle/{case_id}/angebote/{course}/vorschlagen", follow_redirects=True)
    assert "Der Fall ist abgeschlossen" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(CaseEvent.id).where(CaseEvent.kind == "angebot_vorgeschlagen")) is None


def test_an_excluded_offer_is_not_proposed(app, login_as):
    [_course, integration, *_rest] = add_offers(app, *CATALOGUE)
    case_id = walk_to_review(app)
    answer = login_as("kim1").post(f"/faelle/{case_id}/angebote/{integration}/vorschlagen", follow_redirects=True)
    assert "Dieses Angebot passt nicht: nicht zugänglich bei Aufenthaltsgestattung (Asylverfahren)." \
        in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(CaseEvent.id).where(CaseEvent.kind == "angebot_vorgeschlagen")) is None
