"""The instance monitor: filters, counts per step, sorting, paging and who sees what,
checked against the generated data set (tests/monitor/conftest.py) with known answers."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.monitor.services import Filters, monitor_query
from tests.monitor.conftest import TEAMS

MUNICIPAL = {"asd", "fruehehilfen", "fd311"}  # the teams "leitung" leads (k201 owns no case)


def run(app, username: str, **filters):
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.username == username))
        result = monitor_query(user, Filters(per_page=500, **filters))
        return ({i.reference for i in result.items}, result.total,
                {c.bpmn_id: (c.cases, c.overdue) for c in result.step_counts})


def refs(cases) -> set[str]:
    return {f"GEN-{c.id - 1:05d}" for c in cases}


def expected_steps(cases) -> dict[str, tuple[int, int]]:
    cases = list(cases)
    counts = Counter(c.step for c in cases if c.step)
    counts.update("krise_quittieren" for c in cases if c.crisis)
    overdue = Counter(c.step for c in cases if c.step and c.overdue)
    return {step: (n, overdue[step]) for step, n in counts.items()}


def test_leitung_sees_only_the_teams_it_leads_and_mbe_head_only_mbe(app, dataset):
    mine = [c for c in dataset if c.team in MUNICIPAL]
    found, total, steps = run(app, "leitung")
    assert total == len(mine) == 180
    assert found == refs(mine)
    assert steps == expected_steps(mine)
    mbe = [c for c in dataset if c.team == "mbe"]
    found, total, steps = run(app, "mbeleitung")
    assert found == refs(mbe) and total == 60
    assert steps == expected_steps(mbe)


@pytest.mark.parametrize("filters", [{}, {"team": "asd"}, {"process": "alltagsbegleitung"}, {"team": "mbe"}])
def test_counts_per_step_from_the_task_rows_equal_those_over_the_filtered_cases(app, dataset, filters):
    """The counts per step read the task rows' copies of the case's team and model when only a team
    and a process are asked for: the same answer as probing the filtered cases."""
    from app.monitor.services import conditions, step_counts, task_conditions
    from app.timeutil import utcnow

    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.username == "leitung"))
        wanted = Filters(**filters)
        fast = task_conditions(user, wanted)
        assert fast is not None
        now = utcnow()
        assert step_counts(conditions(user, wanted, now), now, fast) == step_counts(conditions(user, wanted, now), now)
        assert task_conditions(user, Filters(status="running", **filters)) is None  # any other filter: the probe


@pytest.mark.parametrize("filters, keep", [
    ({"status": "running"}, lambda c: c.status == "running"),
    ({"status": "suspended"}, lambda c: c.status == "suspended"),
    ({"team": "fd311"}, lambda c: c.team == "fd311"),
    ({"team": "mbe"}, lambda c: False),  # a team not led: nothing, never MBE cases
    ({"process": "alltagsbegleitung"}, lambda c: True),
    ({"process": "alltagsbegleitung", "team": "asd"}, lambda c: c.team == "asd"),
    ({"process": "mbe_beratung"}, lambda c: False),
    ({"process": "gibt_es_nicht"}, lambda c: False),
    ({"process": "alltagsbegleitung", "version": 2}, lambda c: c.version == 2),
    ({"version": 1}, lambda c: c.version == 1),
    ({"step": "vermittlung"}, lambda c: c.step == "vermittlung"),
    ({"overdue": True}, lambda c: c.overdue),
    ({"crisis": True}, lambda c: c.crisis),
    ({"started_from": date(2026, 3, 1), "started_to": date(2026, 4, 30)},
     lambda c: date(2026, 3, 1) <= c.started_at.date() <= date(2026, 4, 30)),
    ({"status": "running", "team": "asd", "overdue": True, "step": "bedarfsermittlung"},
     lambda c: c.status == "running" and c.team == "asd" and c.overdue and c.step == "bedarfsermittlung"),
])
def test_filters_and_counts_match_the_generated_rows(app, dataset, filters, keep):
    want = [c for c in dataset if c.team in MUNICIPAL and keep(c)]
    found, total, steps = run(app, "leitung", **filters)
    assert total == len(want)
    assert found == refs(want)
    assert steps == expected_steps(want)


def test_sorting_and_paging(app, dataset):
    mine = sorted((c for c in dataset if c.team in MUNICIPAL), key=lambda c: c.started_at)
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.username == "leitung"))
        first = monitor_query(user, Filters(sort="started_at", descending=False, per_page=50))
        assert [i.reference for i in first.items] == [f"GEN-{c.id - 1:05d}" for c in mine[:50]]
        assert first.pages == 4 and first.total == 180
        last = monitor_query(user, Filters(sort="started_at", descending=False, per_page=50, page=4))
        assert [i.reference for i in last.items] == [f"GEN-{c.id - 1:05d}" for c in mine[150:]]
        by_ref = monitor_query(user, Filters(sort="reference", descending=True, per_page=5))
        assert [i.reference for i in by_ref.items] == sorted((f"GEN-{c.id - 1:05d}" for c in mine),
                                                             reverse=True)[:5]
        by_team = monitor_query(user, Filters(sort="team", per_page=500, descending=False))
        names = [i.owner_team.name for i in by_team.items]
        assert names == sorted(names)


def test_monitor_page_shows_table_counts_and_sort_state(app, dataset, login_as):
    leitung = login_as("leitung")
    page = leitung.get("/monitor?status=running&team=asd&sort=reference&richtung=auf")
    assert page.status_code == 200
    html = page.data.decode()
    want = [c for c in dataset if c.team == "asd" and c.status == "running"]
    assert f"{len(want)} Fälle gefunden" in html
    assert re.search(r'<th scope="col" aria-sort="ascending">\s*<a [^>]*>Aktenzeichen', html)
    vermittlung = sum(1 for c in want if c.step == "vermittlung")
    row = re.search(r'<tr data-step="vermittlung">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"<td>(\d+)</td>", row)[0] == str(vermittlung)
    assert "MBE" not in html.split("<main", 1)[1].split("Live-Diagramme")[0]
    assert "Monitor" in leitung.get("/aufgaben").data.decode()


def test_bad_filter_input_is_answered_in_german(app, dataset, login_as):
    page = login_as("leitung").get("/monitor?von=2026-05-01&bis=2026-04-01")
    assert page.status_code == 422
    assert "Das Enddatum liegt vor dem Anfangsdatum." in page.data.decode()


@pytest.mark.parametrize("username", ["fb36", "k201", "ehrenamt1", "prozess", "admin", "mbe1"])
def test_only_supervisors_open_the_monitor(app, login_as, username):
    client = login_as(username)
    assert client.get("/monitor").status_code == 403
    assert client.get("/monitor/prozesse/alltagsbegleitung/1").status_code == 403
    assert "/monitor" not in client.get("/aufgaben").data.decode()


def test_every_team_of_the_data_set_is_known(dataset):
    assert {c.team for c in dataset} == set(TEAMS)
