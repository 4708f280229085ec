"""The responsible counsellor sees the log of their own case: the case panel "Zugriffe auf diese
Akte" for the owning team and the responsible person — not for volunteers, other teams working on
a step, or substitutes. Showing it writes no row besides the case view's own."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from app.absence.models import Absence
from app.extensions import db
from tests.accesslog.helpers import read
from tests.conftest import login
from tests.flows import complete_web, start_case_web
from tests.mbe.conftest import complete, start, user, with_consent

PANEL = "Zugriffe auf diese Akte"


@pytest.fixture
def case(login_as) -> int:
    """A case of team asd in its Einsatz (k201 arranged it, ehrenamt1 is its volunteer)."""
    fb36 = login_as("fb36")
    case = start_case_web(fb36)
    assert complete_web(fb36, case, "bedarfsermittlung").status_code == 302
    assert complete_web(login_as("k201"), case, "vermittlung").status_code == 302
    assert complete_web(fb36, case, "vorgespraech").status_code == 302
    return case


@pytest.mark.parametrize("username, shown", [
    ("fb36", True),  # a member of the owning team
    ("leitung", True),  # its supervisor
    ("k201", False),  # works on a step, is not responsible
    ("ehrenamt1", False),  # the volunteer
])
def test_who_sees_the_panel(login_as, case, username, shown):
    response = login_as(username).get(f"/faelle/{case}")
    assert response.status_code == 200
    assert (PANEL in response.get_data(as_text=True)) is shown


def test_the_panel_lists_the_reads_and_costs_no_extra_row(app, login_as, case):
    login_as("ehrenamt1").get(f"/faelle/{case}")
    login_as("k201").get(f"/faelle/{case}")
    fb36 = login_as("fb36")
    status, rows = read(app, lambda: fb36.get(f"/faelle/{case}"))
    assert status == 200 and len(rows) == 1  # the visit itself, not one per panel line
    html = fb36.get(f"/faelle/{case}").get_data(as_text=True)
    panel = html[html.index(PANEL):]
    panel = panel[:panel.index("</section>")]
    for username in ("ehrenamt1", "k201", "fb36"):
        assert f">{username}<" in panel
    assert "Fallansicht" in panel and "<caption>" in panel
    assert re.findall(r'<th scope="row">(\w+)</th>', panel)[0] == "fb36"  # newest first


@pytest.mark.parametrize("username, shown", [("mbe1", True), ("mbeleitung", True), ("mbe2", False)])
def test_mbe_counsellor_and_lead_see_it_a_substitute_does_not(mbe_app, username, shown):
    with mbe_app.app_context():
        case = start("mbe1")
        complete(case, "erstkontakt", "mbe1", with_consent("Jonas", "Ölberg", "1970-01-20"))
        today = date.today()
        db.session.add(Absence(user=user("mbe1"), substitute=user("mbe2"), starts_on=today - timedelta(days=1),
                               ends_on=today + timedelta(days=3), created_by=user("mbe1")))
        db.session.commit()
    login(mbe_app.test_client(), "mbe2").get(f"/faelle/{case}")  # a read in cover
    response = login(mbe_app.test_client(), username).get(f"/faelle/{case}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert (PANEL in html) is shown
    if shown:
        panel = html[html.index(PANEL):]
        assert ">mbe2<" in panel and "Vertretung</td>" in panel
