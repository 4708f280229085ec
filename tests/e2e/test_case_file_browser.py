"""Issue 13's day at the case file, in a real browser (Chromium) at 320 CSS px: fb36 finds the
case by the family's name in the header search, writes a journal entry, files a PDF and books the
offered appointment. Every page passes the strict checks of the other browser tests (axe WCAG 2.1
AA, one h1, labelled controls, no console errors) and does not scroll sideways."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.documents import samples
from tests.e2e.test_browser import check_page, log_in, page, submit  # noqa: F401 - page is a fixture
from tests.flows import valid_data

WIDTH = 320


@pytest.fixture
def live(make_app, start_case, complete, tmp_path):
    """(base URL, case id): a case of team asd after the Vermittlung ("Testfamilie Ahorn"), served
    with CSRF on and a document storage of its own."""
    case_id = start_case("fb36")
    complete(case_id, "bedarfsermittlung", "fb36", valid_data("bedarfsermittlung"))
    complete(case_id, "vermittlung", "k201", valid_data("vermittlung"))
    server_app = make_app({"WTF_CSRF_ENABLED": True, "DOCUMENT_STORAGE_DIR": str(tmp_path / "documents")})
    server = make_server("127.0.0.1", 0, server_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-case-file", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", case_id
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def checked(page) -> None:  # noqa: F811 - the page at hand, not the fixture
    check_page(page)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    wide = page.evaluate("""(limit) => Array.from(document.querySelectorAll('body *'))
        .filter(el => el.getBoundingClientRect().right > limit)
        .map(el => el.tagName + '#' + el.id + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))
        .slice(0, 8)""", WIDTH)  # what sticks out, to name it when the check fails
    assert width <= WIDTH, f"{page.url}: {width} px wide at {WIDTH} px: {wide}"


def test_find_write_file_and_book_at_320_px(live, page):  # noqa: F811
    base, case_id = live
    page.set_viewport_size({"width": WIDTH, "height": 800})
    log_in(page, base, "fb36")

    # Find the case by the family's name (a part of it) from the header on any page.
    page.get_by_role("search").get_by_label("Fälle suchen").fill("ahorn")
    with page.expect_navigation():
        page.get_by_role("search").get_by_role("button", name="Suchen").click()
    checked(page)
    expect(page.get_by_role("status")).to_contain_text("1 Fälle gefunden")
    hit = page.locator(f'tr[data-instance="{case_id}"]')
    expect(hit).to_contain_text("Testfamilie Ahorn")
    with page.expect_navigation():
        hit.get_by_role("link").click()
    assert page.url == f"{base}/faelle/{case_id}"
    checked(page)

    # A phone call goes into the journal.
    with page.expect_navigation():
        page.get_by_role("link", name="Neuer Journaleintrag").click()
    checked(page)
    page.get_by_label("Telefonat").check()
    page.locator("#date").fill(date.today().isoformat())
    page.get_by_label("Dauer (Minuten)").fill("15")
    page.locator("#text").fill("Mutter angerufen: Termin beim Kinderarzt ist vereinbart.")
    submit(page, "Speichern")
    expect(page.locator("#journal")).to_contain_text("Termin beim Kinderarzt ist vereinbart.")
    assert page.url.startswith(f"{base}/faelle/{case_id}")
    checked(page)

    # The signed consent is filed as a PDF.
    section = page.locator("section#documents")
    section.get_by_text("Dokument hochladen").click()
    page.get_by_label("Datei").set_input_files(
        files=[{"name": "Einwilligung.pdf", "mimeType": "application/pdf", "buffer": samples.PDF}])
    page.get_by_label("Art des Dokuments").select_option("einwilligung")
    submit(page, "Hochladen")
    expect(page.get_by_role("status")).to_contain_text("„Einwilligung.pdf“ wurde abgelegt")
    expect(page.locator("section#documents tr[data-document]")).to_contain_text("Einwilligung")
    checked(page)

    # The Vorgespräch is offered as an appointment, booked with the volunteer.
    page.goto(f"{base}/faelle/{case_id}")
    with page.expect_navigation():
        page.get_by_role("link", name="Termin für Vorgespräch anlegen").click()
    checked(page)
    page.get_by_label("Ort").fill("Familienzentrum Süd")
    page.get_by_label("Mira Helferin").check()
    submit(page, "Termin vereinbaren")
    expect(page.get_by_role("table", name="Anstehende Termine")).to_contain_text("Familienzentrum Süd")
    checked(page)
