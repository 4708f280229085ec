"""MBE statistics: only the MBE lead; aggregated, masked below 3; figures equal an independent
count of what the test entered."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.engine import service
from app.engine.models import ProcessInstance
from app.extensions import db
from app.mbe.facts import age_group
from app.mbe.statistics import month_end
from tests.conftest import login
from tests.factories import today
from tests.mbe.conftest import ALL_ROLES, abschluss, api_login, beratung, complete, erstkontakt, open_task, start


# The MBE statistics cover whole calendar months: this month.
def month() -> str:
    return f"von={today().replace(day=1).isoformat()}&bis={month_end(today()).isoformat()}"



# What the test enters (the independent truth the figures are checked against).
CASES = [
    {"by": "mbe1", "erst": {"alter": 35, "geschlecht": "w", "herkunftsland": "Syrien", "aufenthaltsstatus": "p44"},
     "sessions": [["aufenthalt", "arbeit"], ["arbeit"]], "close": "anliegen_geklaert"},
    {"by": "mbe1", "erst": {"alter": 45, "geschlecht": "m", "herkunftsland": "Syrien", "aufenthaltsstatus": "p44"},
     "sessions": [["arbeit", "sozialrecht"]], "close": "ziele_erreicht"},
    {"by": "mbe2", "erst": {"alter": 52, "geschlecht": "w", "herkunftsland": "Ukraine",
                            "aufenthaltsstatus": "p44"},
     "sessions": [["wohnen", "arbeit"]], "close": None},
    {"by": "mbe2", "erst": {"alter": 36, "geschlecht": "w", "herkunftsland": "Syrien", "aufenthaltsstatus": "p44"},
     "sessions": [["arbeit", "sozialrecht"]], "close": "anliegen_geklaert"},
    {"by": "mbe1", "erst": {"alter": 22, "geschlecht": "d", "herkunftsland": "Eritrea", "aufenthaltsstatus": "sonstige",
                            "jahre_seit_einreise": 1.0}, "sessions": [], "close": "verweis"},
]


def _run_case(spec: dict) -> int:
    case = start(spec["by"])
    complete(case, "erstkontakt", spec["by"], erstkontakt(**spec["erst"]))
    if spec["close"] == "verweis":
        complete(case, "verweisberatung", spec["by"], {"verwiesen_an": "jmd", "mbe_ergebnis": "verwiesen"})
        return case
    for i, topics in enumerate(spec["sessions"]):
        last = i == len(spec["sessions"]) - 1
        weiter = "abschliessen" if last and spec["close"] else "beratung_fortsetzen"
        complete(case, "beratung", spec["by"], beratung(topics, weiter=weiter))
    if spec["close"]:
        complete(case, "abschluss", spec["by"], abschluss(spec["close"]))
    return case


def expected() -> dict[str, Counter]:
    """Independent counts from CASES (all started and held today)."""
    exp = {"altersgruppe": Counter(), "geschlecht": Counter(), "herkunftsland": Counter(),
           "thema": Counter(), "abschlussgrund": Counter(), "art": Counter()}
    for spec in CASES:
        exp["altersgruppe"][age_group(spec["erst"]["alter"])] += 1
        exp["geschlecht"][spec["erst"]["geschlecht"]] += 1
        exp["herkunftsland"][spec["erst"]["herkunftsland"]] += 1
        for topics in spec["sessions"]:
            exp["thema"].update(set(topics))
        if spec["close"]:
            exp["abschlussgrund"]["verweisberatung" if spec["close"] == "verweis" else spec["close"]] += 1
        exp["art"]["verweis" if spec["close"] == "verweis" else "beratung"] += 1
    return exp


@pytest.fixture
def filled(mbe_app):
    with mbe_app.app_context():
        ids = [_run_case(spec) for spec in CASES]
        assert db.session.get(ProcessInstance, ids[2]).status == "running"
        assert db.session.get(ProcessInstance, ids[4]).outcome == "verwiesen"
    return mbe_app


def _table(html: str, key: str) -> dict[str, str]:
    body = re.search(rf'<table id="stat-{key}">(.*?)</table>', html, re.S).group(1)
    return dict(re.findall(r'<th scope="row">([^<]*)</th><td>([^<]*)</td>', body))


def _shown(count: int) -> str:
    return "&lt; 3" if 0 < count < 3 else str(count)


def test_figures_equal_independent_count_and_small_counts_are_masked(filled):
    from app.mbe.statistics import label

    lead = login(filled.test_client(), "mbeleitung")
    page = lead.get(f"/mbe/statistik?{month()}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # 5 cases = 3 women + 1 man + 1 diverse: with the total shown, "männlich < 3" and "divers < 3"
    # would both be 1 (5 - 3 = 2). So the total and "weiblich" are kept secret ("x").
    assert '<span data-count="cases">x</span>' in html
    for key, counts in expected().items():
        kind = "abschlussgrund" if key == "abschlussgrund" else key
        shown = _table(html, key)
        want = {label(kind, value).replace("§", "§"): _shown(n) for value, n in counts.items()}
        assert set(shown) == set(want), key
        for name, value in shown.items():  # the count, "< 3" for 1 and 2, or "x" for a larger one
            assert value == want[name] or (value == "x" and want[name] not in ("&lt; 3", "0")), (key, name)
    assert _table(html, "geschlecht") == {"weiblich": "x", "männlich": "&lt; 3", "divers": "&lt; 3"}
    # spot checks a person reads: Syrien 3 is shown, Ukraine (1) and Eritrea (1) are masked
    countries = _table(html, "herkunftsland")
    assert countries["Syrien"] == "3" and countries["Ukraine"] == "&lt; 3" and countries["Eritrea"] == "&lt; 3"
    assert _table(html, "thema")["Arbeit"] == "5"
    for name in ("Vertraulich", "Nora Rat", "Paul Weg"):
        assert name not in html


def test_csv_has_the_same_masked_figures(filled):
    lead = login(filled.test_client(), "mbeleitung")
    response = lead.get(f"/mbe/statistik?{month()}&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    values = {tuple(r) for r in rows}
    assert ("Fälle im Zeitraum", "x") in values and ("weiblich", "x") in values
    assert ("Syrien", "3") in values and ("Ukraine", "< 3") in values and ("Arbeit", "5") in values
    assert ("Sozialrecht", "< 3") in values
    assert not [r for r in rows if len(r) == 2 and r[1] in ("1", "2")]  # no unmasked 1 or 2 anywhere


def test_period_outside_counts_nothing(filled):
    lead = login(filled.test_client(), "mbeleitung")
    last_year = date.today().year - 1
    html = lead.get(f"/mbe/statistik?von={last_year}-01-01&bis={last_year}-12-31").get_data(as_text=True)
    assert '<span data-count="cases">0</span>' in html
    assert _table(html, "thema") == {}


def test_case_running_in_the_period_counts_even_if_started_before(filled):
    with filled.app_context():
        for instance in db.session.scalars(select(ProcessInstance)):
            instance.started_at = datetime.now(UTC) - timedelta(days=400)
        db.session.commit()
    lead = login(filled.test_client(), "mbeleitung")
    html = lead.get(f"/mbe/statistik?{month()}").get_data(as_text=True)
    assert '<span data-count="cases">x</span>' in html  # all ran (or ended) today: 5, kept secret
    assert _table(html, "herkunftsland")["Syrien"] == "3"


def test_bad_period_is_refused(filled):
    lead = login(filled.test_client(), "mbeleitung")
    response = lead.get("/mbe/statistik?von=2026-05-01&bis=2026-04-01")
    assert response.status_code == 422
    assert "Das Ende darf nicht vor dem Beginn liegen." in response.get_data(as_text=True)


@pytest.mark.parametrize("username", [u for u in ALL_ROLES if u != "mbeleitung"])
def test_nobody_else_sees_the_statistics(filled, username):
    client = login(filled.test_client(), username)
    assert client.get("/mbe/statistik").status_code == 404
    assert client.get("/mbe/statistik?format=csv").status_code == 404
    assert api_login(filled, username).get("/api/v1/mbe/statistics").status_code == 403


def test_api_statistics_for_the_lead(filled):
    body = api_login(filled, "mbeleitung").get(f"/api/v1/mbe/statistics?{month()}").get_json()
    assert body["cases"] == "x"  # 5, but it would reveal two masked cells (see the first test)
    countries = {row["label"]: row["count"] for row in body["tables"]["herkunftsland"]}
    assert countries == {"Syrien": "3", "Ukraine": "< 3", "Eritrea": "< 3"}


def test_goals_by_area_after_a_review(mbe_app):
    """Case management: the latest assessment of each goal counts by goal area."""
    with mbe_app.app_context():
        case = start("mbe1")
        complete(case, "erstkontakt", "mbe1", erstkontakt())
        complete(case, "beratung", "mbe1", beratung(["arbeit"], weiter="case_management"))
        if open_task(case, "assessment") is None:
            pytest.skip("the model in use has no case management steps")
        complete(case, "assessment", "mbe1", {"datum": today().isoformat(), "soziale_situation": "x",
                                               "kompetenzen": "x",
                                               "bedarfe": "x", "ik_begleitung_noetig": False,
                                               "mbe_modus": "case_management"})
        frist = (date.today() + timedelta(days=20)).isoformat()
        goals = [{"bereich": b, "ziel": f"Ziel {i}", "frist": frist, "partner": "Jobcenter", "status": "offen"}
                 for i, b in enumerate(["sprache", "arbeit", "sprache"])]
        day = today().isoformat()
        complete(case, "foerderplan", "mbe1", {"datum": day, "ziele": goals, "ueberpruefung_basis": day})
        complete(case, "vereinbarung", "mbe1", {"unterschrieben_klient": True, "unterschrieben_beratung": True,
                                                 "unterschrift_datum": day, "ueberpruefung_basis": day})
        instance = db.session.get(ProcessInstance, case)
        due = instance.next_timer_due
        due = due if due.tzinfo else due.replace(tzinfo=UTC)
        service.fire_timers(instance, due + timedelta(minutes=1))
        db.session.commit()
        assert open_task(case, "ueberpruefung") is not None
        reviewed = [dict(g, status=s) for g, s in zip(goals, ["erreicht", "teilweise", "erreicht"], strict=True)]
        complete(case, "ueberpruefung", "mbe1", {"datum": today().isoformat(), "ziele": reviewed,
                                                  "ueberpruefung_ergebnis": "abschliessen"})
    html = login(mbe_app.test_client(), "mbeleitung").get(f"/mbe/statistik?{month()}").get_data(
        as_text=True)
    body = re.search(r'<table id="stat-ziele">(.*?)</table>', html, re.S).group(1)
    rows = {name: cells for name, cells in re.findall(r'<th scope="row">([^<]*)</th>((?:<td>[^<]*</td>)+)', body)}
    assert rows["Sprache"] == "<td>&lt; 3</td><td>0</td><td>0</td><td>0</td>"  # 2 achieved, masked
    assert rows["Arbeit, Ausbildung"] == "<td>0</td><td>&lt; 3</td><td>0</td><td>0</td>"
    art = _table(html, "art")
    assert art == {"Case Management": "&lt; 3"}
