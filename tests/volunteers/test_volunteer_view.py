"""A volunteer sees only their own assignments, and of those only what they need (UI and API)."""

from __future__ import annotations

import re

from app.engine.lanes import LIMITED_FIELDS
from tests.api.test_api_flow import api_login
from tests.flows import complete_web, start_case_web, valid_data

SECRET = "Vater trinkt, Jugendamt prüft Kindeswohl"


def _case(login_as, volunteer: str, family: str) -> int:
    fb36, k201 = login_as("fb36"), login_as("k201")
    case_id = start_case_web(fb36)
    assert complete_web(fb36, case_id, "bedarfsermittlung",
                        valid_data("bedarfsermittlung", familienname=family, bedarf=SECRET)).status_code == 302
    assert complete_web(k201, case_id, "vermittlung",
                        valid_data("vermittlung", ehrenamtliche=volunteer)).status_code == 302
    assert complete_web(fb36, case_id, "vorgespraech").status_code == 302
    return case_id


def test_only_own_assignments_with_only_allowed_fields(app, login_as):
    mine = _case(login_as, "ehrenamt1", "Familie Linde")
    other = _case(login_as, "ehrenamt2", "Familie Birke")
    mira = login_as("ehrenamt1")

    listing = mira.get("/ehrenamt/einsaetze").get_data(as_text=True)
    assert re.findall(r'data-case="(\d+)"', listing) == [str(mine)]
    cases = mira.get("/faelle").get_data(as_text=True)
    assert f"/faelle/{mine}" in cases and f"/faelle/{other}" not in cases
    for url in (f"/faelle/{other}", f"/faelle/{other}/fragen", f"/ehrenamt/einsaetze/{other}/aufwand"):
        assert mira.get(url).status_code == 404, url

    for url in (f"/faelle/{mine}", f"/faelle/{mine}/fragen", f"/ehrenamt/einsaetze/{mine}/aufwand",
                "/ehrenamt/einsaetze"):
        page = mira.get(url).get_data(as_text=True)
        assert SECRET not in page and "Familie Birke" not in page, url
    assert "Familie Linde" in mira.get(f"/faelle/{mine}").get_data(as_text=True)

    api = api_login(app, "ehrenamt1")
    items = api.get("/process-instances").get_json()["items"]
    assert [i["id"] for i in items] == [mine]
    detail = api.get(f"/process-instances/{mine}").get_json()
    assert set(detail["data"]) <= LIMITED_FIELDS
    assert detail["data"]["familienname"] == "Familie Linde" and "bedarf" not in detail["data"]
    assert SECRET not in str(detail)
    assert api.get(f"/process-instances/{other}").status_code == 404


def test_201_pages_are_closed_to_volunteers(app, login_as):
    mira = login_as("ehrenamt1")
    for url in ("/ehrenamtliche", "/aufwand/pruefen", "/aufwand/abrechnung", "/aufwand/summen", "/schulungen"):
        assert mira.get(url).status_code == 403, url
    nav = mira.get("/aufgaben").get_data(as_text=True)
    assert "/ehrenamt/einsaetze" in nav and "/aufwand/pruefen" not in nav and "/ehrenamtliche" not in nav
