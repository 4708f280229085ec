"""kim1's demo cases (app/demo) give the alliance figures something to show."""

from __future__ import annotations

import re
from datetime import timedelta

from app.suppression import MASK, SECONDARY, month_end
from app.timeutil import office_zone, utcnow


def test_the_demo_cases_give_non_empty_figures(app, login_as):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    today = utcnow().astimezone(office_zone()).date()  # the demo cases are dated back from now
    first = (today - timedelta(days=240)).replace(day=1)
    html = login_as("kimleitung").get(f"/buendnis/zahlen?von={first.isoformat()}&bis={month_end(today).isoformat()}")
    assert html.status_code == 200
    text = html.get_data(as_text=True)

    def figure(name: str) -> str:
        return re.search(rf'data-figure="{name}">(.*?)</dd>', text, re.S).group(1).strip()

    assert figure("people") not in (MASK, SECONDARY, "0")
    assert int(figure("people")) >= 3
    assert "%" in figure("share") and figure("median") != "nicht ausgewiesen"
    assert "AsylbLG → SGB II (nach Anerkennung)" in text
