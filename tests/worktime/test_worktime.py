"""Zeiterfassung (time outside cases) and the working-time shares of the annual report (seed 004),
with the year's network map in the report."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.auth.models import Team, User
from app.counselling import services as counselling
from app.extensions import db
from app.network import services as network
from app.web.formatting import prozent
from app.worktime.activities import activity_minutes, collect, shares
from app.worktime.models import TimeRecord
from tests.factories import today
from tests.statistics.helpers import contact

SVG = "{http://www.w3.org/2000/svg}"


def _team_id(app, key: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Team.id).where(Team.key == key))


def _user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def _record(client, app, team: str, kind: str, duration, **extra):
    data = {"team": str(_team_id(app, team)), "datum": today().isoformat(), "activity": kind,
            "minutes": str(duration), "note": "", **extra}
    return client.post("/zeiterfassung", data=data)


def _records(app) -> list[tuple[str, str, int]]:
    with app.app_context():
        return [(r.user.username, r.activity, r.minutes)
                for r in db.session.scalars(select(TimeRecord).order_by(TimeRecord.id))]


def _percent(app, value: float) -> str:
    with app.test_request_context():
        return prozent(value)


# --- recording ------------------------------------------------------------------------------------


def test_staff_record_list_and_delete_their_own_time(app, login_as):
    k201 = login_as("k201")
    page = k201.get("/zeiterfassung")
    assert page.status_code == 200 and "Netzwerkarbeit" in page.get_data(as_text=True)
    assert 'href="/zeiterfassung"' in page.get_data(as_text=True)  # in the main menu
    response = _record(k201, app, "k201", "gremien", 90, note="AK Migration")
    assert response.status_code == 302
    assert _records(app) == [("k201", "gremien", 90)]
    listing = k201.get("/zeiterfassung").get_data(as_text=True)
    assert "Gremien und Arbeitskreise" in listing and "AK Migration" in listing
    record_id = int(re.search(r'data-record="(\d+)"', listing).group(1))
    assert k201.post(f"/zeiterfassung/{record_id}/loeschen").status_code == 302
    assert _records(app) == []


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"minutes": "0"}, "minutes", "Bitte eine Dauer zwischen 1 und 720 Minuten angeben."),
    ({"minutes": "viel"}, "minutes", "Zahl"),
    ({"minutes": ""}, "minutes", "Bitte die Dauer in Minuten angeben."),
    ({"datum": (today() + timedelta(days=1)).isoformat()}, "datum", "Das Datum darf nicht in der Zukunft liegen."),
    ({"activity": "kaffee"}, "activity", ""),
    ({"note": "x" * 501}, "note", "Bitte höchstens 500 Zeichen eingeben."),
])
def test_bad_input_gets_a_german_message_and_saves_nothing(app, login_as, data, field, message):
    response = _record(login_as("k201"), app, "k201", "netzwerkarbeit", 60, **data)
    assert response.status_code == 422
    errors = re.search(rf'id="{field}-error">(.*?)</ul>', response.get_data(as_text=True), re.S)
    assert errors and message in errors.group(1)
    assert _records(app) == []


def test_time_only_for_ones_own_teams(app, login_as):
    response = _record(login_as("fb36"), app, "k201", "netzwerkarbeit", 60)
    assert response.status_code == 422 and 'id="team-error"' in response.get_data(as_text=True)
    assert _records(app) == []
    # a supervisor records for a team they lead
    assert _record(login_as("leitung"), app, "asd", "gremien", 30).status_code == 302
    assert _records(app) == [("leitung", "gremien", 30)]


@pytest.mark.parametrize("username", ["ehrenamt1", "prozess", "admin"])
def test_who_may_not_record_time(app, login_as, username):
    client = login_as(username)
    assert client.get("/zeiterfassung").status_code == 403
    assert _record(client, app, "k201", "netzwerkarbeit", 60).status_code == 403
    assert client.get("/zeiterfassung/teams").status_code == 403
    assert _records(app) == []


def test_own_entries_only_and_supervisors_read_their_teams(app, login_as):
    k201, fb36 = login_as("k201"), login_as("fb36")
    _record(k201, app, "k201", "netzwerkarbeit", 120, note="Runder Tisch")
    _record(fb36, app, "asd", "veranstaltungen", 45)
    with app.app_context():
        theirs = db.session.scalar(select(TimeRecord.id).where(TimeRecord.activity == "netzwerkarbeit"))
    assert "Runder Tisch" not in fb36.get("/zeiterfassung").get_data(as_text=True)
    for other in ("fb36", "leitung", "mbe1"):
        assert login_as(other).post(f"/zeiterfassung/{theirs}/loeschen").status_code == 404
    assert len(_records(app)) == 2

    boss = login_as("leitung").get("/zeiterfassung/teams")
    assert boss.status_code == 200
    text = boss.get_data(as_text=True)
    assert "Runder Tisch" in text and "Sam Koordinata (201)" in text and "Jana Beispiel (ASD)" in text
    assert "loeschen" not in text
    assert "Runder Tisch" not in login_as("mbeleitung").get("/zeiterfassung/teams").get_data(as_text=True)
    assert fb36.get("/zeiterfassung/teams").status_code == 403
    assert k201.get("/zeiterfassung/teams").status_code == 403


# --- shares ---------------------------------------------------------------------------------------


def test_shares_add_up_every_source(app, ctx):
    """3 h network work + 1 h committees → 75 % / 25 %; a further source (as the journal will be)
    joins through the signal."""
    team, user = _team_id(app, "k201"), _user_id(app, "k201")
    db.session.add_all([TimeRecord(user_id=user, team_id=team, datum=today(), activity="netzwerkarbeit", minutes=180),
                        TimeRecord(user_id=user, team_id=team, datum=today(), activity="gremien", minutes=60),
                        TimeRecord(user_id=user, team_id=team, datum=date(today().year - 1, 12, 31),
                                   activity="gremien", minutes=600)])  # another year
    db.session.flush()
    start, end = date(today().year, 1, 1), date(today().year, 12, 31)
    minutes = collect(start, end, [team])
    assert minutes == {(team, user, "netzwerkarbeit"): 180, (team, user, "gremien"): 60}
    result = shares(minutes, {team: "201"}, {user: "Sam"})
    [row] = result.teams
    assert (row.share("netzwerkarbeit"), row.share("gremien")) == (75.0, 25.0)
    assert [key for key, _label in result.activities] == ["netzwerkarbeit", "gremien"]
    assert collect(start, end, [_team_id(app, "asd")]) == {}  # other teams: nothing

    def journal(_sender, *, start, end, team_ids):
        return {(team, user, "beratung"): 240, (_team_id(app, "mbe"), user, "beratung"): 999}

    activity_minutes.connect(journal)
    try:
        row = shares(collect(start, end, [team]), {team: "201"}, {user: "Sam"}).teams[0]
    finally:
        activity_minutes.disconnect(journal)
    assert (row.share("beratung"), row.share("netzwerkarbeit"), row.share("gremien")) == (50.0, 37.5, 12.5)
    assert row.total == 480  # the other team's minutes stay out


def test_annual_report_shows_shares_per_team_and_person(app, login_as):
    k201 = login_as("k201")
    assert _record(k201, app, "k201", "netzwerkarbeit", 180).status_code == 302
    assert _record(k201, app, "k201", "gremien", 60).status_code == 302
    assert _record(login_as("fb36"), app, "asd", "oeffentlichkeitsarbeit", 30).status_code == 302
    report = login_as("leitung").get(f"/statistik/jahresbericht?jahr={today().year}")
    assert report.status_code == 200
    html = report.get_data(as_text=True)
    teams = re.search(r'<table id="t-anteile-team">.*?</table>', html, re.S).group(0)
    row = re.search(r'<tr data-row="Koordinierungsstelle Migration und Teilhabe \(201\)">(.*?)</tr>', teams, re.S)
    cells = dict(re.findall(r'data-activity="(\w+)">([^<]*)</td>', row.group(1)))
    assert cells["netzwerkarbeit"] == _percent(app, 75) and cells["gremien"] == _percent(app, 25)
    assert cells["oeffentlichkeitsarbeit"] == _percent(app, 0)
    assert _percent(app, 75) == "75 %"
    people = re.search(r'<table id="t-anteile-person">.*?</table>', html, re.S).group(0)
    row = re.search(r'<tr data-row="Jana Beispiel \(ASD\)">(.*?)</tr>', people, re.S)
    assert dict(re.findall(r'data-activity="(\w+)">([^<]*)</td>', row.group(1)))["oeffentlichkeitsarbeit"] \
        == _percent(app, 100)
    # the MBE lead's report holds none of it
    html = login_as("mbeleitung").get(f"/statistik/jahresbericht?jahr={today().year}").get_data(as_text=True)
    assert "Koordinierungsstelle Migration und Teilhabe (201)</th>" not in html
    assert "Für diesen Zeitraum ist keine Arbeitszeit erfasst." in html
    # and the workbook
    xlsx = login_as("leitung").get(f"/statistik/jahresbericht.xlsx?jahr={today().year}")
    book = load_workbook(io.BytesIO(xlsx.data))
    sheet = book["Arbeitszeitanteile je Team"]
    header = [c.value for c in sheet[3]]
    rows = {r[0]: dict(zip(header, r, strict=False)) for r in sheet.iter_rows(min_row=4, values_only=True)}
    k201_row = rows["Koordinierungsstelle Migration und Teilhabe (201)"]
    assert k201_row["Netzwerkarbeit (%)"] == 75 and k201_row["Gremien und Arbeitskreise (%)"] == 25


def test_counselling_contacts_count_in_the_shares(app, login_as):
    with app.test_request_context():
        k201 = db.session.scalar(select(User).where(User.username == "k201"))
        team = db.session.scalar(select(Team).where(Team.key == "k201"))
        counselling.capture(counselling.process_model(), k201, team,
                            contact(dauer_minuten=60, taetigkeit="beratung"))
        counselling.capture(counselling.process_model(), k201, team,
                            contact(dauer_minuten=60, taetigkeit="gruppenarbeit"))
        db.session.commit()
    assert _record(login_as("k201"), app, "k201", "gruppenangebote", 120).status_code == 302
    html = login_as("leitung").get(f"/statistik/jahresbericht?jahr={today().year}").get_data(as_text=True)
    teams = re.search(r'<table id="t-anteile-team">.*?</table>', html, re.S).group(0)
    cells = dict(re.findall(r'data-activity="(\w+)">([^<]*)</td>', teams))
    assert cells == {"beratung": _percent(app, 25), "gruppenangebote": _percent(app, 75)}


def test_journal_durations_count_as_case_management_for_the_authors_team(app, login_as):
    """201 writes 60 minutes into an FB team's case: case management for 201; the FB team's own
    entry of 30 minutes counts for the FB team (its case)."""
    from tests.factories import start_case

    with app.test_request_context():
        case_id = start_case("fb36")
    entry = {"kind": "telefonat", "date": today().isoformat(), "text": "Rückruf"}
    assert login_as("k201").post(f"/faelle/{case_id}/journal/neu",
                                 data={**entry, "duration_minutes": "60"}).status_code == 302
    assert login_as("fb36").post(f"/faelle/{case_id}/journal/neu",
                                 data={**entry, "duration_minutes": "30"}).status_code == 302
    assert _record(login_as("k201"), app, "k201", "netzwerkarbeit", 180).status_code == 302
    with app.test_request_context():
        teams = [_team_id(app, "k201"), _team_id(app, "asd")]
        minutes = collect(date(today().year, 1, 1), date(today().year, 12, 31), teams)
    assert minutes[(teams[0], _user_id(app, "k201"), "case_management")] == 60
    assert minutes[(teams[1], _user_id(app, "fb36"), "case_management")] == 30
    html = login_as("leitung").get(f"/statistik/jahresbericht?jahr={today().year}").get_data(as_text=True)
    table = re.search(r'<table id="t-anteile-team">.*?</table>', html, re.S).group(0)
    row = re.search(r'<tr data-row="Koordinierungsstelle Migration und Teilhabe \(201\)">(.*?)</tr>', table, re.S)
    cells = dict(re.findall(r'data-activity="(\w+)">([^<]*)</td>', row.group(1)))
    assert cells["case_management"] == _percent(app, 25) and cells["netzwerkarbeit"] == _percent(app, 75)


# --- the network map in the annual report ---------------------------------------------------------


def test_annual_report_contains_the_years_network_map(app, login_as):
    with app.app_context():
        org = db.session.scalar(select(User.organisation_id).where(User.username == "k201"))
        network.save_partner(None, org, name="Jobcenter Musterstadt", typ="jobcenter", intensitaet=3,
                             wichtigkeit=3, year=today().year)
        db.session.commit()
    html = login_as("leitung").get(f"/statistik/jahresbericht?jahr={today().year}").get_data(as_text=True)
    section = re.search(r'<section class="stat-section" aria-labelledby="h-netzwerkkarte".*?</section>', html,
                        re.S).group(0)
    svg = re.search(r"<svg.*?</svg>", section, re.S).group(0)
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text.startswith(f"Netzwerkkarte {today().year}")
    titles = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") == "partner"]
    assert len(titles) == 1 and titles[0].startswith("Jobcenter Musterstadt")
    table = re.search(r'<table id="t-netzwerkkarte">.*?</table>', section, re.S).group(0)
    assert '<th scope="row">Jobcenter Musterstadt</th>' in table  # the text alternative
    assert f"/netzwerk/karte?jahr={today().year}" in section
