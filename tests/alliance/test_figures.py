"""The alliance figures (issue 15 item 4) on a seeded set of young adults' cases: the target
group by status and benefits system, the share with an offer of training or employment, the days
from intake to that offer (median, quartiles), transitions and outcomes — masked below 3 with
secondary suppression that an attacker cannot undo; the CSV equals the page; who may see them.

The cases are walked through the engine (tests/junge_erwachsene/je_steps.py) with the clock at
the end of March 2025; their start and the recording of the transition are then dated into March
2025 (the rows' defaults take the wall clock), so every figure is fixed whatever day the test runs.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import delete, select, update

from app.alliance.figures import report
from app.alliance.models import AllianceCaseFact
from app.auth.models import Membership, Team
from app.engine.interventions import terminate, withdraw
from app.engine.models import CaseEvent, ProcessInstance
from app.erasure.services import RETENTION, erase_case
from app.extensions import db
from app.mbe.statistics import MASK, SECONDARY
from tests.factories import user
from tests.junge_erwachsene.je_steps import (
    abschluss,
    aufnahme,
    born,
    complete,
    faehigkeiten,
    fallkonferenz,
    fire,
    integrationsplan,
    must,
    situation,
    start,
    ueberpruefung,
)
from tests.mbe.test_disclosure import attack

NOW = datetime(2025, 3, 31, 10, 0, tzinfo=UTC)
INTAKE = "2025-03-01"
MARCH = "von=2025-03-01&bis=2025-03-31"
APRIL = "von=2025-04-01&bis=2025-04-30"
URL = "/buendnis/zahlen"


def offer(art: str, status: str, datum: str | None = None) -> dict:
    entry = {"art": art, "bezeichnung": f"Angebot {art}", "traeger": "Bildungswerk", "status": status}
    if datum:
        entry["datum"] = datum
    return entry


GESTATTUNG = {"aufenthaltsstatus": "gestattung", "leistungssystem": "asylblg"}
DULDUNG = {"aufenthaltsstatus": "duldung", "leistungssystem": "asylblg"}
ERLAUBNIS = {"aufenthaltsstatus": "aufenthaltserlaubnis", "aufenthalt_paragraph": "§ 25 Abs. 2 AufenthG",
             "leistungssystem": "sgb2"}
# (situation, offers): eight people of the target group with intake on 1 March 2025
PEOPLE = [
    (GESTATTUNG, [offer("ausbildung", "vorgeschlagen", "2025-03-01")]),  # 0 days; transition, closed
    (GESTATTUNG, [offer("beschaeftigung", "angenommen", "2025-03-08")]),  # 7 days
    (GESTATTUNG, [offer("sprachkurs", "angenommen", "2025-03-02"),
                  offer("ausbildung", "abgeschlossen", "2025-03-15")]),  # 14 days
    (GESTATTUNG, [offer("ausbildung", "vorgeschlagen", "2025-03-21")]),  # 20 days
    (GESTATTUNG, [offer("beschaeftigung", "vorgeschlagen")]),  # no date: the day recorded, 31 March = 30 days
    (DULDUNG, [offer("ausbildung", "abgelehnt", "2025-03-05")]),  # declined: no offer received
    (DULDUNG, [offer("sprachkurs", "angenommen", "2025-03-05")]),  # not training or employment
    (ERLAUBNIS, [offer("berufsvorbereitung", "vorgeschlagen", "2025-03-05")]),
]


def _walk(app, spec: dict, offers: list[dict]) -> int:
    case_id = start(app)
    must(complete(app, case_id, "aufnahme", aufnahme(aufnahme_datum=INTAKE, einwilligung_datum=INTAKE,
                                                     geburtsdatum=born(21))))
    must(complete(app, case_id, "situation", situation(**spec)))
    must(complete(app, case_id, "faehigkeiten", faehigkeiten()))
    must(complete(app, case_id, "fallkonferenz", fallkonferenz()))
    must(complete(app, case_id, "integrationsplan", integrationsplan()))
    must(complete(app, case_id, "angebote", {"angebote": offers}))
    return case_id


@pytest.fixture
def seeded(app, clock):
    """The eight people, plus a person outside the target group and a case without intake."""
    clock.set(NOW)
    ids = [_walk(app, spec, offers) for spec, offers in PEOPLE]
    first = ids[0]  # recognised: AsylbLG -> SGB II, then closed with a training place
    assert fire(app, clock.now + timedelta(weeks=8, hours=1)) == len(ids)  # every review is due
    review = ueberpruefung("abschliessen", uebergaenge=[{"art": "asylblg_sgb2", "datum": "2025-03-20"}])
    review["angebote"] = PEOPLE[0][1]
    must(complete(app, first, "ueberpruefung", review))
    must(complete(app, first, "abschluss", abschluss("ausbildung")))
    outside = start(app)  # 30 years old: referred elsewhere, closed as "nicht zuständig"
    must(complete(app, outside, "aufnahme", aufnahme(aufnahme_datum=INTAKE, einwilligung_datum=INTAKE,
                                                     geburtsdatum=born(30), nicht_zustaendig_verwiesen_an="MBE")))
    waiting = start(app)  # no intake yet
    with app.app_context():
        everyone = [*ids, outside, waiting]
        db.session.execute(update(ProcessInstance).where(ProcessInstance.id.in_(everyone))
                           .values(started_at=datetime(2025, 3, 1, 8, 0, tzinfo=UTC)))
        db.session.execute(update(CaseEvent).where(CaseEvent.instance_id == first,
                                                   CaseEvent.kind.startswith("uebergang_"))
                           .values(created_at=datetime(2025, 3, 25, 9, 0, tzinfo=UTC)))
        db.session.commit()
    return ids


# --- reading what is published -------------------------------------------------------------------


def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html)).strip()


def page_tables(html: str) -> dict[str, list[tuple[str, str]]]:
    """Each table of the page by id: its body rows as (label, value)."""
    tables = {}
    for key, body in re.findall(r'<table id="t-([a-z]+)">.*?<tbody>(.*?)</tbody>', html, re.S):
        rows = re.findall(r'<th scope="row">(.*?)</th><td class="num">(.*?)</td>', body, re.S)
        tables[key] = [(_text(label), _text(value)) for label, value in rows]
    return tables


def figure(html: str, name: str) -> str:
    return _text(re.search(rf'data-figure="{name}">(.*?)</dd>', html, re.S).group(1))


def csv_sections(text: str) -> list[list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    sections, current = [], []
    for row in rows:
        if not any(row):
            sections.append(current)
            current = []
        else:
            current.append(row)
    sections.append(current)
    return sections


# --- the figures -----------------------------------------------------------------------------------


def test_the_figures_of_march_are_computed_and_masked(app, seeded, login_as):
    answer = login_as("kimleitung").get(f"{URL}?{MARCH}")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    tables = page_tables(html)
    # eight people: the 30-year-old and the case without intake are not in the target group
    assert figure(html, "people") == "8"
    status = dict(tables["aufenthaltsstatus"])
    assert status["Aufenthaltsgestattung (Asylverfahren)"] == "5"
    assert status["Duldung"] == MASK and status["Aufenthaltserlaubnis"] == MASK
    assert status["Niederlassungserlaubnis"] == "0"
    # the recognised person moved into SGB II: 6 AsylbLG, 2 SGB II; the 6 is kept secret,
    # else the "< 3" would be 8 - 6
    system = dict(tables["leistungssystem"])
    assert system["SGB II (Jobcenter)"] == MASK and system["AsylbLG"] == SECONDARY
    # the seed's aim: 5 of 8 received an offer of training or employment (declined and other
    # kinds do not count)
    offers = dict(tables["angebot"])
    assert offers == {"Angebot zur Ausbildung oder Beschäftigung erhalten": "5",
                      "noch ohne solches Angebot": "3"}
    assert figure(html, "share") == "62,5 %"
    # days from intake to the first offer: 0, 7, 14, 20, 30
    assert figure(html, "median") == "14"
    assert dict(tables["dauer"]) == {"unteres Quartil": "7", "Median": "14", "oberes Quartil": "20"}
    transitions = dict(tables["uebergang"])
    assert transitions["AsylbLG → SGB II (nach Anerkennung)"] == MASK
    assert set(transitions.values()) == {MASK, "0"}
    assert figure(html, "closed") == MASK
    assert dict(tables["ergebnis"])["Ausbildung aufgenommen"] == MASK
    # no 1 or 2 is printed anywhere in the tables
    assert not [v for rows in tables.values() for _label, v in rows if v in ("1", "2")]
    # the charts are accessible images of the shown numbers only (the masked ones are in the tables)
    assert html.count('role="img"') == 2 and '<title id="chart-angebot-title">' in html
    desc = re.search(r'<desc id="chart-aufenthaltsstatus-desc">(.*?)</desc>', html).group(1)
    assert "Aufenthaltsgestattung (Asylverfahren): 5" in desc and "Duldung:" not in desc
    assert 'id="chart-leistungssystem-title"' not in html  # nothing above 0 is shown there


def test_running_cases_of_april_and_an_empty_month(app, seeded, login_as):
    kim = login_as("kim1")
    html = kim.get(f"{URL}?{APRIL}").get_data(as_text=True)
    assert figure(html, "people") == "7"  # the first case closed in March
    assert dict(page_tables(html)["angebot"])["Angebot zur Ausbildung oder Beschäftigung erhalten"] == "4"
    assert figure(html, "share") == "57,1 %"
    assert dict(page_tables(html)["dauer"]) == {"unteres Quartil": "12,25", "Median": "17", "oberes Quartil": "22,5"}
    assert figure(html, "closed") == "0"
    empty = kim.get(f"{URL}?von=2025-02-01&bis=2025-02-28").get_data(as_text=True)
    assert figure(empty, "people") == "0" and figure(empty, "share") == "nicht ausgewiesen"
    assert "Bei weniger als 3 Personen mit Angebot wird keine Dauer angegeben." in empty


def test_no_masked_value_can_be_recovered_by_subtraction(app, seeded, login_as):
    kim = login_as("kimleitung")
    for period in (MARCH, APRIL):
        html = kim.get(f"{URL}?{period}").get_data(as_text=True)
        tables = page_tables(html)
        people = [[v for _label, v in tables[k]] for k in ("aufenthaltsstatus", "leistungssystem", "angebot")]
        assert attack(figure(html, "people"), people, cap=40) == []
        assert attack(figure(html, "closed"), [[v for _label, v in tables["ergebnis"]]], cap=40) == []
        # the share is only shown with both of its numbers (else it would give the masked one away)
        if figure(html, "share") != "nicht ausgewiesen":
            assert figure(html, "people") not in (MASK, SECONDARY)
            received = dict(tables["angebot"])["Angebot zur Ausbildung oder Beschäftigung erhalten"]
            assert received not in (MASK, SECONDARY)


def test_two_people_are_not_broken_down(app, clock, login_as):
    clock.set(NOW)
    for spec, offers in (PEOPLE[0], PEOPLE[5]):  # one with Aufenthaltsgestattung and an offer, one without
        _walk(app, spec, offers)
    with app.app_context():
        db.session.execute(update(ProcessInstance).values(started_at=datetime(2025, 3, 1, 8, 0, tzinfo=UTC)))
        db.session.commit()
    html = login_as("kimleitung").get(f"{URL}?{MARCH}").get_data(as_text=True)
    assert figure(html, "people") == MASK and figure(html, "share") == "nicht ausgewiesen"
    assert figure(html, "median") == "nicht ausgewiesen"
    tables = page_tables(html)
    # 2 people = 1 + 1 would give the number away, and with it every breakdown of the same people:
    # none is published, not even its rows
    assert tables["aufenthaltsstatus"] == tables["leistungssystem"] == tables["angebot"] == []
    assert "Bei weniger als 3 Fällen wird nicht aufgeschlüsselt." in html


def test_the_csv_equals_the_page(app, seeded, login_as):
    kim = login_as("kimleitung")
    html = kim.get(f"{URL}?{MARCH}").get_data(as_text=True)
    answer = kim.get(f"{URL}?{MARCH}&format=csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    sections = csv_sections(answer.get_data(as_text=True).lstrip("\ufeff"))
    head = {row[0]: row[1:] for row in sections[0]}
    assert head["Personen der Zielgruppe im Zeitraum"] == [figure(html, "people")]
    assert head["Anteil mit Angebot zur Ausbildung oder Beschäftigung (Prozent)"] == ["62,5"]
    assert head["Im Zeitraum abgeschlossene Begleitungen"] == [figure(html, "closed")]
    tables = page_tables(html)
    csv_tables = [[tuple(r) for r in section[1:]] for section in sections[1:6]]
    assert csv_tables == [tables[k] for k in ("aufenthaltsstatus", "leistungssystem", "angebot", "uebergang",
                                               "ergebnis")]
    assert sections[6][1] == ["", "14", "7", "20"]


def test_the_period_is_whole_months(app, seeded, login_as):
    kim = login_as("kimleitung")
    answer = kim.get(f"{URL}?von=2025-03-02&bis=2025-03-31")
    assert answer.status_code == 422
    assert "Bitte als Beginn den Ersten eines Monats angeben." in answer.get_data(as_text=True)
    answer = kim.get(f"{URL}?von=2025-03-01&bis=2025-03-15&format=csv")
    assert answer.status_code == 422 and answer.mimetype == "text/html"


def test_erasure_leaves_the_figures_unchanged(app, seeded, login_as):
    kim = login_as("kimleitung")
    before = kim.get(f"{URL}?{MARCH}&format=csv").get_data(as_text=True)
    with app.test_request_context():
        erase_case(db.session.get(ProcessInstance, seeded[0]), reason=RETENTION)
        db.session.commit()
    assert kim.get(f"{URL}?{MARCH}&format=csv").get_data(as_text=True) == before


# --- who may see them -------------------------------------------------------------------------------

NOT_SEEING = ["fb36", "fb36fh", "fb31", "k201", "ehrenamt1", "mbe1", "mbeleitung", "leitung", "prozess", "admin",
              "dsb"]


@pytest.mark.parametrize("username", ["kim1", "kimleitung"])
def test_the_kim_team_and_its_lead_see_the_figures_in_the_menu(app, login_as, username):
    client = login_as(username)
    home = client.get("/aufgaben").get_data(as_text=True)
    assert 'href="/buendnis/zahlen"' in home
    assert client.get(URL).status_code == 200


@pytest.mark.parametrize("username", NOT_SEEING)
def test_nobody_else_sees_the_figures(app, login_as, username):
    client = login_as(username)
    assert 'href="/buendnis/zahlen"' not in client.get("/aufgaben").get_data(as_text=True)
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}?{MARCH}&format=csv").status_code == 403


def test_signed_out_is_sent_to_the_login(app):
    answer = app.test_client().get(URL)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_access_ends_with_the_team_membership(app, seeded, login_as):
    kim = login_as("kim1")
    assert kim.get(f"{URL}?{MARCH}").status_code == 200
    with app.app_context():
        team = db.session.scalar(select(Team).where(Team.key == "kim"))
        db.session.execute(delete(Membership).where(Membership.user_id == user("kim1").id,
                                                    Membership.team_id == team.id))
        db.session.commit()
    assert kim.get(f"{URL}?{MARCH}").status_code == 403


def test_the_rows_hold_no_personal_data(app, seeded):
    with app.app_context():
        rows = db.session.scalars(select(AllianceCaseFact)).all()
        assert len(rows) == 8
        text = " ".join(str(vars(r)) for r in rows)
    assert "Tarek" not in text and "Beispielmann" not in text and "Guinea" not in text


# --- the API ------------------------------------------------------------------------------------------


def test_the_api_gives_the_figures_of_the_page(app, seeded, api_client, login_as):
    html = login_as("kimleitung").get(f"{URL}?{MARCH}").get_data(as_text=True)
    answer = api_client("kimleitung").get(f"/api/v1/alliance/figures?{MARCH}")
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["from"], body["to"], body["people"], body["closed"]) == ("2025-03-01", "2025-03-31", "8", MASK)
    assert body["offer_share_percent"] == 62.5
    assert body["days_to_first_offer"] == {"median": 14, "q1": 7, "q3": 20}
    tables = page_tables(html)
    for key, rows in body["tables"].items():
        assert [(r["label"], r["count"]) for r in rows] == tables[key]
    assert api_client("kim1").get(f"/api/v1/alliance/figures?{MARCH}").get_json() == body
    refused = api_client("kimleitung").get("/api/v1/alliance/figures?von=2025-03-02&bis=2025-03-31")
    assert refused.status_code == 422 and "von" in refused.get_json()["error"]["fields"]


@pytest.mark.parametrize("username", ["leitung", "mbeleitung", "fb31", "admin", "dsb"])
def test_the_api_refuses_everyone_else(app, api_client, username):
    answer = api_client(username).get(f"/api/v1/alliance/figures?{MARCH}")
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "forbidden"
    assert app.test_client().get(f"/api/v1/alliance/figures?{MARCH}").status_code == 401


def test_a_terminated_case_counts_as_ended_early_and_a_withdrawn_one_nowhere(app, clock):
    clock.set(NOW)
    ended, withdrawn = (_walk(app, GESTATTUNG, [offer("ausbildung", "vorgeschlagen", "2025-03-10")])
                        for _ in range(2))
    with app.test_request_context():
        terminate(db.session.get(ProcessInstance, ended), user("kimleitung"), "Kontakt abgebrochen")
        withdraw(db.session.get(ProcessInstance, withdrawn), user("kim1"))
        db.session.commit()
        rows = {r.instance_id: r for r in db.session.scalars(select(AllianceCaseFact))}
        assert set(rows) == {ended} and rows[ended].ergebnis == "terminated"
        assert rows[ended].erstes_angebot.isoformat() == "2025-03-10"
        rep = report([rows[ended].team_id], NOW.date().replace(day=1), NOW.date())
        assert dict(rep.shown_rows(rep.table("ergebnis")))["vorzeitig beendet"] == MASK
