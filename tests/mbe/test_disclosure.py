"""Statistics that cannot single anyone out (issue 14, item 6).

An independent attacker (exact sums, not the interval reasoning of app/mbe/statistics.py) tries
the subtraction attacks on what is published: a table's total minus its visible cells, tables
sharing the total, two adjacent short periods, the difference between a team and the whole.
It fails the test as soon as one masked value has a single possible value.
"""

from __future__ import annotations

import csv
import io
import random
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.auth.models import LEAD, Membership, Team
from app.extensions import db
from app.mbe.statistics import CASE_TABLES, MASK, SECONDARY, TOTAL, WITHHELD, month_end, shown, suppress
from tests.conftest import login
from tests.factories import today
from tests.mbe.conftest import abschluss, api_login, beratung, complete, erstkontakt, start


def first() -> date:
    return today().replace(day=1)


def last() -> date:
    return month_end(today())


def month() -> str:
    return f"von={first().isoformat()}&bis={last().isoformat()}"


CAP = 200  # largest value the attacker tries for a cell kept secret ("x")


# --- the attacker -------------------------------------------------------------------------------


def _domain(text: str, cap: int, secret_from: int = 3) -> set[int]:
    if text == MASK:
        return {1, 2}
    if text == SECONDARY:  # the attacker knows the rule: a secret cell is 3 or more (else "< 3") ...
        return set(range(secret_from, cap + 1))
    return {int(text)}


def _sums(domains: list[set[int]], cap: int) -> set[int]:
    reachable = {0}
    for dom in domains:
        reachable = {r + v for r in reachable for v in dom if r + v <= cap}
    return reachable


def attack(total: str, tables: list[list[str]], cap: int = CAP) -> list[str]:
    """Every masked value (cell or total) that has exactly one value consistent with all the
    tables adding up to the same total. Exact: for each possible total, the values of one cell
    are those for which the other cells of its table can make up the rest."""
    found = []
    possible_totals = []
    low = 1 if total == MASK else 3  # ... unless fewer than 3 cases withhold the whole breakdown
    for t in sorted(_domain(total, cap)):
        if all(t in _sums([_domain(c, cap, low) for c in table], cap) for table in tables):
            possible_totals.append(t)
    assert possible_totals, "the published figures contradict each other"
    if total in (MASK, SECONDARY) and len(possible_totals) == 1:
        found.append(f"total = {possible_totals[0]}")
    for ti, table in enumerate(tables):
        domains = [_domain(c, cap, low) for c in table]
        for ci, cell in enumerate(table):
            if cell not in (MASK, SECONDARY):
                continue
            rest = _sums(domains[:ci] + domains[ci + 1:], cap)
            values = {v for t in possible_totals for v in domains[ci] if t - v in rest}
            if len(values) == 1:
                found.append(f"table {ti} cell {ci} = {values.pop()}")
    return found


def test_the_attacker_finds_what_primary_suppression_alone_would_leak():
    # the example: 8 cases, "männlich 7", the other masked -> it is 1
    assert attack("8", [["7", MASK]]) == ["table 0 cell 1 = 1"]
    # three masked cells of 1 summing to the visible remainder
    assert attack("5", [["3", MASK, MASK]]) == ["table 0 cell 1 = 1", "table 0 cell 2 = 1"]


def _publish(total: int, tables: list[list[int]]) -> tuple[str, list[list[str]]]:
    values = {TOTAL: total}
    groups = []
    for ti, table in enumerate(tables):
        cells = [(f"t{ti}", str(i)) for i in range(len(table))]
        values.update(dict(zip(cells, table, strict=True)))
        groups.append((TOTAL, cells))
    status = suppress(values, groups)
    published = [None if any(status[c] == WITHHELD for c in cells)  # withheld: no rows at all (as the page)
                 else [shown(values[c], status[c]) for c in cells] for _t, cells in groups]
    return shown(total, status[TOTAL]), published


def _random_tables(rng: random.Random) -> tuple[int, list[list[int]]]:
    total = rng.choice([1, 2, 3, 4, 5, 6, 8, 10, 13, 20, 40])
    tables = []
    for _ in range(rng.randint(1, 4)):
        parts = rng.randint(1, 6)
        cuts = sorted(rng.choices(range(total + 1), k=parts - 1))
        cells = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
        tables.append([c for c in cells if c] or [total])  # like the page: no empty rows
    return total, tables


@pytest.mark.parametrize("seed", range(6))
def test_no_masked_value_can_be_recovered_from_totals_on_generated_tables(seed):
    rng = random.Random(seed)
    for _ in range(60):
        total, tables = _random_tables(rng)
        shown_total, shown_tables = _publish(total, tables)
        leaks = attack(shown_total, [t for t in shown_tables if t is not None], cap=max(total * 2, 10))
        assert not leaks, (total, tables, shown_total, shown_tables, leaks)
        if total >= 10:
            assert any(t is not None for t in shown_tables)  # withholding is the rare last resort
        # primary suppression holds: no 1 or 2 is ever printed, visible values are the true ones
        for table, published in zip(tables, shown_tables, strict=True):
            if published is None:
                continue
            for true, text in zip(table, published, strict=True):
                assert text not in ("1", "2") and text in (MASK, SECONDARY, str(true))
                assert (text == MASK) == (0 < true < 3) or text == SECONDARY


# --- on the page, the CSV and the API, with cases entered through the workflow ----------------

SPECS = [  # 8 cases: 7 men, 1 woman (the example), countries 5/2/1, kinds 7/1
    ({"geschlecht": "m", "herkunftsland": "Syrien", "alter": 30}, "anliegen_geklaert"),
    ({"geschlecht": "m", "herkunftsland": "Syrien", "alter": 31}, None),
    ({"geschlecht": "m", "herkunftsland": "Syrien", "alter": 40}, None),
    ({"geschlecht": "m", "herkunftsland": "Syrien", "alter": 41}, None),
    ({"geschlecht": "m", "herkunftsland": "Syrien", "alter": 50}, None),
    ({"geschlecht": "m", "herkunftsland": "Irak", "alter": 51}, None),
    ({"geschlecht": "m", "herkunftsland": "Irak", "alter": 60}, None),
    ({"geschlecht": "w", "herkunftsland": "Ukraine", "alter": 61}, "umzug"),
]


@pytest.fixture
def eight(mbe_app):
    with mbe_app.app_context():
        for erst, close in SPECS:
            case = start("mbe1")
            complete(case, "erstkontakt", "mbe1", erstkontakt(**erst))
            complete(case, "beratung", "mbe1", beratung(["arbeit"], weiter="abschliessen" if close else
                                                        "beratung_fortsetzen"))
            if close:
                complete(case, "abschluss", "mbe1", abschluss(close))
    return mbe_app


def _csv_tables(text: str) -> tuple[str, dict[str, list[str]]]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    total = next(r[1] for r in rows if r and r[0] == "Fälle im Zeitraum")
    tables: dict[str, list[str]] = {}
    current = None
    for row in rows:
        if len(row) == 2 and row[1] == "Anzahl":
            current = tables.setdefault(row[0], [])
        elif len(row) == 2 and current is not None:
            current.append(row[1])
        elif not row:
            current = None
    return total, tables


CASE_TITLES = ("Altersgruppen", "Geschlecht", "Herkunftsländer", "Aufenthaltsstatus", "Beratung und Case Management")


def test_subtraction_attack_on_the_published_mbe_statistics_recovers_nothing(eight):
    assert len(CASE_TITLES) == len(CASE_TABLES)
    lead = login(eight.test_client(), "mbeleitung")
    response = lead.get(f"/mbe/statistik?{month()}&format=csv")
    assert response.status_code == 200
    total, tables = _csv_tables(response.get_data(as_text=True))
    assert tables["Geschlecht"] and MASK in tables["Geschlecht"]  # "weiblich < 3" is masked
    assert "7" not in tables["Geschlecht"]  # ... and "männlich 7" no longer gives it away
    assert not attack(total, [tables[t] for t in CASE_TITLES])
    # the page and the API publish the very same values
    html = lead.get(f"/mbe/statistik?{month()}").get_data(as_text=True)
    assert f'<span data-count="cases">{total.replace("<", "&lt;")}</span>' in html
    body = api_login(eight, "mbeleitung").get(f"/api/v1/mbe/statistics?{month()}").get_json()
    assert body["cases"] == total
    assert [r["count"] for r in body["tables"]["geschlecht"]] == tables["Geschlecht"]
    assert not attack(body["cases"], [[r["count"] for r in body["tables"][k]] for k in CASE_TABLES])
    for key, rows in body["tables"].items():
        assert all(r["count"] not in ("1", "2") for r in rows), key


# --- the period: whole calendar months only ------------------------------------------------------


@pytest.mark.parametrize(("von", "bis", "field", "message"), [
    (date(2026, 3, 10), date(2026, 3, 10), "bis", "Bitte als Ende den letzten Tag eines Monats angeben."),  # one day
    (date(2026, 3, 2), date(2026, 3, 31), "von", "Bitte als Beginn den Ersten eines Monats angeben."),
    (date(2026, 2, 1), date(2026, 2, 27), "bis", "Bitte als Ende den letzten Tag eines Monats angeben."),
])
def test_a_period_shorter_than_a_whole_month_is_refused(eight, von, bis, field, message):
    lead = login(eight.test_client(), "mbeleitung")
    for fmt in ("", "&format=csv"):
        response = lead.get(f"/mbe/statistik?von={von.isoformat()}&bis={bis.isoformat()}{fmt}")
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        errors = re.search(rf'<ul class="field-errors" id="{field}-error">(.*?)</ul>', html, re.S)
        assert errors is not None and message in errors.group(1)  # next to the date field
        assert "data-count" not in html  # no figures at all
    answer = api_login(eight, "mbeleitung").get(f"/api/v1/mbe/statistics?von={von.isoformat()}&bis={bis.isoformat()}")
    assert answer.status_code == 422
    assert any(message in m for m in answer.get_json()["error"]["fields"][field])


def test_two_adjacent_one_day_periods_cannot_isolate_a_closed_case(eight):
    """The issue's attack: yesterday and today apart, the one case closed today stands alone."""
    lead = login(eight.test_client(), "mbeleitung")
    api = api_login(eight, "mbeleitung")
    yesterday = today() - timedelta(days=1)
    for day in (yesterday, today()):
        assert lead.get(f"/mbe/statistik?von={day.isoformat()}&bis={day.isoformat()}").status_code == 422
        assert api.get(f"/api/v1/mbe/statistics?von={day.isoformat()}&bis={day.isoformat()}").status_code == 422
    # the shortest periods allowed are whole months; this month and the previous one
    previous = (first() - timedelta(days=1)).replace(day=1)
    for von, bis in ((previous, first() - timedelta(days=1)), (first(), last())):
        answer = api.get(f"/api/v1/mbe/statistics?von={von.isoformat()}&bis={bis.isoformat()}")
        assert answer.status_code == 200
        closed = [r["count"] for r in answer.get_json()["tables"]["abschlussgrund"]]
        assert all(c not in ("1", "2") for c in closed)


# --- MBE figures never reach the municipal statistics --------------------------------------------


def _lead_both(app) -> None:
    """``leitung`` (municipal supervisor) also leads the MBE team."""
    with app.app_context():
        from tests.factories import user

        team = db.session.scalar(select(Team).where(Team.key == "mbe"))
        db.session.add(Membership(user_id=user("leitung").id, team_id=team.id, kind=LEAD))
        db.session.commit()


def _municipal(app) -> dict:
    client = login(app.test_client(), "leitung")
    year = today().year
    params = f"von={year}-01-01&bis={today().isoformat()}"
    out = {"api": api_login(app, "leitung").get(f"/api/v1/statistics?from={year}-01-01&to={today().isoformat()}"),
           "api_team": api_login(app, "leitung").get(
               f"/api/v1/statistics?from={year}-01-01&to={today().isoformat()}&team=mbe"),
           "html": client.get(f"/statistik?{params}"), "html_team": client.get(f"/statistik?{params}&team=mbe"),
           "csv": client.get(f"/statistik/export.csv?{params}"), "xlsx": client.get(f"/statistik/export.xlsx?{params}"),
           "annual": client.get(f"/statistik/jahresbericht?jahr={year}"),
           "annual_xlsx": client.get(f"/statistik/jahresbericht.xlsx?jahr={year}")}
    for name, response in out.items():
        assert response.status_code == 200, name
    result = {"api": out["api"].get_json(), "api_team": out["api_team"].get_json(), "csv": out["csv"].data}
    for name in ("html", "html_team", "annual"):
        result[name] = out[name].get_data(as_text=True)
    for name in ("xlsx", "annual_xlsx"):
        book = load_workbook(io.BytesIO(out[name].data))
        result[name] = [[list(r) for r in sheet.iter_rows(values_only=True)] for sheet in book.worksheets]
    return result


def test_municipal_statistics_hold_no_mbe_figures_even_for_a_lead_of_both(mbe_app):
    _lead_both(mbe_app)
    before = _municipal(mbe_app)
    assert "mbe" in [t["key"] for t in before["api"]["teams"]]  # the MBE team is in scope ...
    with mbe_app.app_context():  # ... and MBE cases arrive: started, counselled, one closed
        for erst, close in SPECS[:3] + SPECS[-1:]:
            case = start("mbe1")
            complete(case, "erstkontakt", "mbe1", erstkontakt(**erst))
            complete(case, "beratung", "mbe1", beratung(["arbeit"], weiter="abschliessen" if close else
                                                        "beratung_fortsetzen"))
            if close:
                complete(case, "abschluss", "mbe1", abschluss(close))
    after = _municipal(mbe_app)
    # the difference between before and after, between the team and all teams: nothing
    for name in ("api", "api_team", "csv", "xlsx", "annual_xlsx"):
        assert after[name] == before[name], name
    for name in ("html", "html_team", "annual"):
        assert "mbe_beratung" not in after[name] and "Migrationsberatung (MBE)" not in after[name], name
    for rows in (after["api"]["cases_started"], after["api_team"]["cases_started"], after["api"]["cases_closed"]):
        assert all(r["process"] != "mbe_beratung" for r in rows)
    assert all(s["process"] != "mbe_beratung" for s in after["api"]["open_tasks"]["by_step"])
    assert "Migrationsberatung (MBE)" not in after["csv"].decode("utf-8")
    # while the MBE statistics do count them
    body = api_login(mbe_app, "mbeleitung").get(f"/api/v1/mbe/statistics?{month()}").get_json()
    assert body["cases"] != "0"
