"""In Chromium at 320 CSS px: fb36 books the offered Vorgespräch from the case view (once with
the place left empty), finds it under "Meine Termine" and sets up the calendar feed; every page
passes axe and the structure checks and does not scroll sideways."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.test_browser import check_page, live_server, log_in, page, submit  # noqa: F401 - fixtures
from tests.flows import valid_data

WIDTH = 320


def no_sideways_scroll(page) -> None:  # noqa: F811 - the page at hand, not the fixture
    assert page.evaluate("() => document.documentElement.scrollWidth") <= WIDTH, page.url


def test_book_the_offered_step_and_subscribe(app, start_case, complete, live_server, page):  # noqa: F811
    case_id = start_case("fb36")
    complete(case_id, "bedarfsermittlung", "fb36", valid_data("bedarfsermittlung"))
    complete(case_id, "vermittlung", "k201", valid_data("vermittlung"))
    page.set_viewport_size({"width": WIDTH, "height": 720})
    log_in(page, live_server, "fb36")

    page.goto(f"{live_server}/faelle/{case_id}")
    check_page(page, extra_tags=("best-practice",))
    no_sideways_scroll(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Termin für Vorgespräch anlegen").click()
    check_page(page, extra_tags=("best-practice",))
    no_sideways_scroll(page)
    expect(page.get_by_label("Sprache der Familie/Klient:in")).to_have_value("Arabisch")
    day = page.get_by_label("Beginn").input_value()[:10]

    submit(page, "Termin vereinbaren")  # the place is missing
    expect(page.locator("#error-summary")).to_be_focused()
    page.get_by_label("Ort").fill("Stadtteilbüro Nord")
    page.get_by_label("Mira Helferin").check()
    submit(page, "Termin vereinbaren")
    expect(page.get_by_role("table", name="Anstehende Termine")).to_contain_text("Stadtteilbüro Nord")
    no_sideways_scroll(page)

    page.goto(f"{live_server}/termine?woche={day}")
    check_page(page, extra_tags=("best-practice",))
    no_sideways_scroll(page)
    expect(page.locator("[data-appointment]")).to_contain_text("Stadtteilbüro Nord")
    submit(page, "Kalender-Abo einrichten")
    no_sideways_scroll(page)
    url = page.get_by_label(re.compile("Adresse Ihres Kalender-Abos")).input_value()
    assert re.fullmatch(rf"{re.escape(live_server)}/kalender/[A-Za-z0-9_-]+\.ics", url)
