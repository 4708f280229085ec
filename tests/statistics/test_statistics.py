"""Statistics page, exports, annual report and API: figures equal independent counts."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from openpyxl import load_workbook

from app.statistics.services import compute, resolve_scope
from tests.factories import api_client
from tests.statistics.conftest import LEITUNG_TEAMS
from tests.statistics.expected import expected

SVG = "{http://www.w3.org/2000/svg}"


def _params(ds, **extra) -> dict:
    return {"von": ds.date_from.isoformat(), "bis": ds.date_to.isoformat(), **extra}


def _figures(app, ds, username="leitung", team=None) -> dict:
    from app.auth.models import User
    from app.extensions import db

    with app.test_request_context():
        user = db.session.query(User).filter_by(username=username).one()
        return compute(resolve_scope(user, ds.date_from.isoformat(), ds.date_to.isoformat(), team))


def _expected(app, ds, teams=LEITUNG_TEAMS) -> dict:
    with app.app_context():
        return expected(ds.date_from, ds.date_to, teams)


def test_figures_equal_an_independent_count_over_the_raw_rows(app, dataset):
    got, want = _figures(app, dataset), _expected(app, dataset)
    assert {r["process"]: r["count"] for r in got["cases_started"]} == want["started"] == {
        "alltagsbegleitung": 6}  # a recorded contact is counted as a contact, not as a case (issue 13)
    assert {(r["process"], r["outcome"]): r["count"] for r in got["cases_closed"]} == want["closed"] == {
        ("alltagsbegleitung", "beenden"): 1, ("alltagsbegleitung", "ueberleiten"): 1}  # contacts: no cases
    assert {r["step"]: r["open"] for r in got["open_tasks"]["by_step"]} == want["open"]
    assert {r["step"]: r["overdue"] for r in got["open_tasks"]["by_step"] if r["overdue"]} == want["overdue"] == {
        "vermittlung": 1}
    assert {r["step"]: r["median_hours"] for r in got["step_durations"]} == want["median_hours"]
    assert {r["step"]: r["mean_hours"] for r in got["step_durations"]} == want["mean_hours"]
    assert got["crises"]["reported"] == want["crises"] == 1
    assert got["crises"]["acknowledged"] == 1 and got["crises"]["ack_minutes_median"] == 90.0
    assert got["consultations"]["total"] == want["consultations"] == 7
    topics = {r["topic"]: r["count"] for r in got["consultations"]["by_topic"] if r["count"]}
    assert topics == want["topics"] == {"behoerden": 3, "wohnen": 2, "schule": 1, "alltagsfragen": 1,
                                        "krisenintervention": 1, "ausbildung_arbeit": 1, "aerztliche_vermittlung": 1}
    assert {r["kind"]: r["count"] for r in got["consultations"]["by_kind"] if r["count"]} == want["kinds"]
    assert {r["activity"]: r["minutes"] for r in got["working_time"]["by_activity"] if r["minutes"]} == want["minutes"]
    shares = {r["activity"]: r["share_percent"] for r in got["working_time"]["by_activity"]}
    assert shares["case_management"] == round(100 * 150 / 480, 1)
    assert got["events"]["count"] == want["events"] == 2
    assert got["events"]["participants"] == want["participants"] == 23
    assert got["home_visits"]["total"] == want["home_visits"] == 3
    assert got["home_visits"]["per_week"] == want["per_week"]
    assert sum(w["count"] for w in got["home_visits"]["by_week"]) == 3


def test_municipal_supervisor_never_counts_mbe_cases_and_mbe_lead_sees_only_its_own(app, dataset):
    leitung, mbe = _figures(app, dataset), _figures(app, dataset, "mbeleitung")
    assert [t["key"] for t in leitung["teams"]] and "mbe" not in [t["key"] for t in leitung["teams"]]
    assert [t["key"] for t in mbe["teams"]] == ["mbe"]
    assert {r["process"]: r["count"] for r in mbe["cases_started"]} == _expected(app, dataset, {"mbe"})["started"] == {
        "alltagsbegleitung": 1}
    assert mbe["consultations"]["total"] == 0 and mbe["events"]["count"] == 0
    assert mbe["open_tasks"]["total"] == 1 and mbe["open_tasks"]["by_step"][0]["step"] == "vermittlung"


def test_team_filter_counts_only_that_team(app, dataset):
    got = _figures(app, dataset, team="fd311")
    assert {r["process"]: r["count"] for r in got["cases_started"]} == _expected(app, dataset, {"fd311"})["started"]
    assert sum(r["count"] for r in got["cases_started"]) == 2
    assert got["consultations"]["total"] == 0


def test_statistics_page_shows_the_numbers_as_svg_charts_and_tables(app, dataset, login_as):
    response = login_as("leitung").get("/statistik", query_string=_params(dataset))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    svgs = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    assert len(svgs) >= 8
    charts = {}
    for svg in svgs:
        root = ET.fromstring(svg)  # valid XML
        assert root.get("role") == "img"
        title_id, desc_id = root.get("aria-labelledby").split()
        assert root.find(f"{SVG}title").get("id") == title_id and root.find(f"{SVG}desc").get("id") == desc_id
        charts[root.find(f"{SVG}title").text] = root
    topics = charts["Beratungen nach Thema"]
    texts = [t.text for t in topics.iter(f"{SVG}text")]
    assert "Behördenangelegenheiten" in texts and "3" in texts  # label and number as text, not colour
    assert "Behördenangelegenheiten: 3" in topics.find(f"{SVG}desc").text
    table = re.search(r'<table id="t-beratungen_thema">.*?</table>', html, flags=re.S).group(0)
    assert '<th scope="col">Thema</th>' in table
    assert re.search(r'<th scope="row">Behördenangelegenheiten</th><td class="num">3</td>', table)
    work = re.search(r'<table id="t-arbeitszeit">.*?</table>', html, flags=re.S).group(0)
    assert re.search(r"Case Management</th><td class=\"num\">150</td><td class=\"num\">31,2</td>", work)
    assert "Streit" not in html  # no case content on the statistics page


def _csv_rows(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def _section(rows: list[list[str]], title: str) -> list[list[str]]:
    start = rows.index([title]) + 2
    end = rows.index([], start)
    return rows[start:end]


def test_csv_export_has_the_same_numbers(app, dataset, login_as):
    response = login_as("leitung").get("/statistik/export.csv", query_string=_params(dataset))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv_rows(response.data)
    want = _expected(app, dataset)
    topics = {label: int(n) for label, n in _section(rows, "Beratungen nach Thema")}
    assert topics["Behördenangelegenheiten"] == want["topics"]["behoerden"]
    assert sum(topics.values()) == sum(want["topics"].values())
    started = {name: int(n) for name, n in _section(rows, "Begonnene Fälle nach Verfahren")}
    assert started == {"Alltagsbegleitung": want["started"]["alltagsbegleitung"]}
    events = _section(rows, "Veranstaltungen und Teilnehmende")
    assert sum(int(r[2]) for r in events) == want["participants"]


def test_xlsx_export_opens_with_openpyxl_and_has_the_same_numbers(app, dataset, login_as):
    response = login_as("leitung").get("/statistik/export.xlsx", query_string=_params(dataset))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    want = _expected(app, dataset)
    sheet = book["Beratungen nach Thema"]
    assert sheet["A1"].value == "Beratungen nach Thema" and [c.value for c in sheet[3]] == ["Thema", "Anzahl"]
    topics = {row[0]: row[1] for row in sheet.iter_rows(min_row=4, values_only=True) if row[0] and row[1] is not None}
    assert topics["Behördenangelegenheiten"] == 3 and isinstance(topics["Behördenangelegenheiten"], int)
    assert sum(topics.values()) == sum(want["topics"].values())
    work = {row[0]: row[1] for row in book["Anteil der Arbeitszeit nach Tät"].iter_rows(min_row=4, values_only=True)
            if row[0] and row[1] is not None}
    assert work["Case Management"] == want["minutes"]["case_management"]
    steps = list(book["Bearbeitungsdauer je Schritt"].iter_rows(min_row=4, values_only=True))
    assert {r[1]: r[4] for r in steps if r[0] == "alltagsbegleitung"} == {
        title: want["median_hours"][step] for step, title in [
            ("bedarfsermittlung", "Bedarfsermittlung"), ("vermittlung", "Vermittlung"),
            ("vorgespraech", "Vorgespräch"), ("zwischengespraech", "Zwischengespräch"), ("abschluss", "Abschluss"),
            ("krise_quittieren", "Krise zur Kenntnis nehmen")]}


def test_annual_report_is_one_click_with_the_current_year(app, dataset, login_as):
    leitung = login_as("leitung")
    page = leitung.get("/statistik").get_data(as_text=True)
    year = date.today().year
    link = re.search(r'href="(/statistik/jahresbericht\?jahr=(\d+))"', page)
    assert link and int(link.group(2)) == year
    report = leitung.get(link.group(1))
    assert report.status_code == 200
    html = report.get_data(as_text=True)
    want = _expected(app, type(dataset)(date(year, 1, 1), date.today(), {}), LEITUNG_TEAMS)
    row = re.search(r'<th scope="row">Beratungen insgesamt</th><td class="num">(\d+)</td>', html)
    assert int(row.group(1)) == want["consultations"]
    assert "Hausbesuche je Woche" in html and "Veranstaltungen" in html
    xlsx = re.search(r'href="(/statistik/jahresbericht\.xlsx\?[^"]+)"', html).group(1).replace("&amp;", "&")
    book = load_workbook(io.BytesIO(leitung.get(xlsx).data))
    summary = {r[0]: r[1] for r in book[f"Jahresbericht {year}"].iter_rows(min_row=4, values_only=True)}
    assert summary["Beratungen insgesamt"] == want["consultations"]
    assert summary["Veranstaltungen"] == want["events"]


@pytest.mark.parametrize("username", ["fb36", "fb31", "k201", "mbe1", "ehrenamt1", "prozess", "admin"])
def test_who_may_not_see_statistics(app, dataset, login_as, username):
    client = login_as(username)
    for url in ("/statistik", "/statistik/export.csv", "/statistik/export.xlsx", "/statistik/jahresbericht",
                "/statistik/jahresbericht.xlsx"):
        assert client.get(url).status_code == 403, url
    assert 'href="/statistik"' not in client.get("/aufgaben").get_data(as_text=True)


def test_supervisor_may_not_pick_a_team_they_do_not_lead(app, dataset, login_as):
    assert login_as("leitung").get("/statistik", query_string={"team": "mbe"}).status_code == 403
    assert login_as("mbeleitung").get("/statistik/export.csv", query_string={"team": "asd"}).status_code == 403
    assert login_as("mbeleitung").get("/statistik", query_string={"team": "mbe"}).status_code == 200


@pytest.mark.parametrize(("params", "message"), [
    ({"von": "31.12.2025"}, "Bitte ein Datum im Format JJJJ-MM-TT angeben."),
    ({"von": "2026-03-01", "bis": "2026-02-01"}, "Das Ende des Zeitraums liegt vor seinem Beginn."),
])
def test_bad_period_gets_a_message_next_to_the_field(app, login_as, params, message):
    response = login_as("leitung").get("/statistik", query_string=params)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and 'aria-invalid="true"' in html
    assert "<svg" not in html


# --- API -------------------------------------------------------------------------------------

def _api(app, username):
    api = api_client(app, username)
    return api.client, api.headers


def test_api_returns_the_same_figures_as_json(app, dataset):
    client, headers = _api(app, "leitung")
    query = {"from": dataset.date_from.isoformat(), "to": dataset.date_to.isoformat()}
    response = client.get("/api/v1/statistics", query_string=query, headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    want = _expected(app, dataset)
    assert {r["topic"]: r["count"] for r in body["consultations"]["by_topic"] if r["count"]} == want["topics"]
    assert {r["process"]: r["count"] for r in body["cases_started"]} == want["started"]
    assert body["events"]["participants"] == want["participants"]
    page_figures = _figures(app, dataset)
    body["open_tasks"], page_figures["open_tasks"] = None, None  # "now" differs by a few ms only
    assert body == page_figures
    team = client.get("/api/v1/statistics", query_string={**query, "team": "fd311"}, headers=headers).get_json()
    assert [t["key"] for t in team["teams"]] == ["fd311"]


def test_api_schema_in_openapi_describes_the_answer(app, dataset):
    from jsonschema import Draft202012Validator

    client, headers = _api(app, "leitung")
    doc = client.get("/api/v1/openapi.json").get_json()
    schema = doc["paths"]["/api/v1/statistics"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    body = client.get("/api/v1/statistics", headers=headers).get_json()
    assert list(Draft202012Validator(schema).iter_errors(body)) == []


@pytest.mark.parametrize(("query", "status", "text"), [
    ({"from": "gestern"}, 400, "Bitte ein Datum im Format JJJJ-MM-TT angeben."),
    ({"from": "2026-05-01", "to": "2026-04-01"}, 400, "Das Ende des Zeitraums liegt vor seinem Beginn."),
    ({"team": "mbe"}, 403, "nicht als Leitung eingetragen"),
])
def test_api_bad_parameters(app, query, status, text):
    client, headers = _api(app, "leitung")
    response = client.get("/api/v1/statistics", query_string=query, headers=headers)
    assert response.status_code == status
    assert text in response.get_json()["error"]["message"]


@pytest.mark.parametrize("username", ["fb36", "k201", "mbe1", "ehrenamt1", "admin"])
def test_api_refuses_everyone_but_supervisors(app, username):
    client, headers = _api(app, username)
    response = client.get("/api/v1/statistics", headers=headers)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    assert app.test_client().get("/api/v1/statistics").status_code == 401


def test_todos_beside_the_workflow_are_no_step_in_statistics_or_monitor(app, login_as):
    """A follow-up ("Jobcenter anrufen") is a task row too; figures per step and the monitor's
    steps list only the steps of the process."""
    from sqlalchemy import select

    from app.auth.models import User
    from app.engine import service
    from app.engine.models import ProcessInstance
    from app.extensions import db
    from tests.factories import start_case

    with app.test_request_context():
        case_id = start_case("fb36")
        fb36 = db.session.scalar(select(User).where(User.username == "fb36"))
        service.create_todo(db.session.get(ProcessInstance, case_id), "Jobcenter anrufen",
                            created_by=fb36, assignee=fb36)
        db.session.commit()
    figures = api_client(app, "leitung").get("/api/v1/statistics").get_json()
    steps = {r["step"] for r in figures["open_tasks"]["by_step"]}
    assert "bedarfsermittlung" in steps and "todo" not in steps
    monitor = login_as("leitung").get("/monitor").get_data(as_text=True)
    assert "Bedarfsermittlung" in monitor and "Jobcenter anrufen" not in monitor
