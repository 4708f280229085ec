"""The live diagram's numbers (JSON for the viewer and the accessible table) and one case's path."""

from __future__ import annotations

import re
from collections import Counter

from tests.flows import complete_web, start_case_web
from tests.monitor.test_monitor_list import MUNICIPAL


def expected(dataset, teams, version):
    cases = [c for c in dataset if c.team in teams and c.version == version]
    waiting = Counter(c.step for c in cases if c.status == "running")
    waiting.update("krise_quittieren" for c in cases if c.crisis)
    overdue = Counter(c.step for c in cases if c.status == "running" and c.overdue)
    paused = Counter(c.step for c in cases if c.status == "suspended")
    return {step: {"waiting": waiting[step], "overdue": overdue[step], "paused": paused[step]}
            for step in set(waiting) | set(paused)}


def test_counts_json_per_element_equals_the_generated_rows(app, dataset, login_as):
    leitung = login_as("leitung")
    for version in (1, 2):
        data = leitung.get(f"/monitor/prozesse/alltagsbegleitung/{version}/zahlen.json").get_json()
        got = {k: {n: v[n] for n in ("waiting", "overdue", "paused")} for k, v in data["elements"].items()}
        assert got == expected(dataset, MUNICIPAL, version)
    mbe = login_as("mbeleitung").get("/monitor/prozesse/alltagsbegleitung/1/zahlen.json")
    got = {k: v["waiting"] for k, v in mbe.get_json()["elements"].items() if v["waiting"]}
    assert got == {k: v["waiting"] for k, v in expected(dataset, {"mbe"}, 1).items() if v["waiting"]}


def test_diagram_page_has_the_same_numbers_as_a_table(app, dataset, login_as):
    page = login_as("leitung").get("/monitor/prozesse/alltagsbegleitung/1")
    assert page.status_code == 200
    html = page.data.decode()
    want = expected(dataset, MUNICIPAL, 1)
    for step in ("bedarfsermittlung", "vermittlung", "vorgespraech"):
        row = re.search(rf'<tr data-element="{step}">(.*?)</tr>', html, re.S).group(1)
        numbers = want.get(step, {"waiting": 0, "overdue": 0, "paused": 0})
        assert re.findall(r"<td>(\d+)</td>", row) == [str(numbers[k]) for k in ("waiting", "overdue", "paused")]
    assert "<script>" not in html and "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert login_as("leitung").get("/monitor/prozesse/unbekannt/1").status_code == 404
    assert login_as("leitung").get("/monitor/prozesse/alltagsbegleitung/9").status_code == 404


def test_case_path_and_timeline(app, login_as):
    fb36, k201 = login_as("fb36"), login_as("k201")
    case_id = start_case_web(fb36)
    complete_web(fb36, case_id, "bedarfsermittlung")
    complete_web(k201, case_id, "vermittlung")
    leitung = login_as("leitung")
    path = leitung.get(f"/monitor/faelle/{case_id}/pfad.json").get_json()
    assert path["current"] == ["vorgespraech"]
    assert {"bedarfsermittlung", "vermittlung"} <= set(path["completed"])
    assert "vorgespraech" not in path["completed"]
    html = leitung.get(f"/monitor/faelle/{case_id}").data.decode()
    row = re.search(r'<tr data-step="vermittlung">(.*?)</tr>', html, re.S).group(1)
    assert "Sam Koordinata (201)" in row and "erledigt" in row and "min" in row
    assert login_as("mbeleitung").get(f"/monitor/faelle/{case_id}/pfad.json").status_code == 404
