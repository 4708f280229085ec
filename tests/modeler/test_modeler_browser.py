"""In real Chromium: the process owner renames a task in the bpmn-js modeler and publishes;
the next case started shows the new name. Reuses the live server and page fixtures of
tests/e2e/test_browser.py (the same app, CSRF on, strict checks incl. axe and console errors).
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.test_browser import check_page, live_server, log_in, log_out, page, submit  # noqa: F401

NEW_NAME = "Bedarf klären und melden"


def test_owner_renames_task_publishes_and_next_case_uses_it(live_server, page):  # noqa: F811
    base = live_server
    log_in(page, base, "prozess")
    page.get_by_role("navigation").get_by_role("link", name="Prozessmodelle").click()
    page.wait_for_url(f"{base}/prozessmodelle")
    check_page(page)
    page.get_by_role("link", name="Alltagsbegleitung").click()
    page.wait_for_url(f"{base}/prozessmodelle/alltagsbegleitung")
    page.wait_for_load_state()
    check_page(page)
    # Not submit(): its page check would race the modeler, which builds its controls (and
    # labels them) only after the diagram has been fetched; check once it says it is loaded.
    with page.expect_navigation():
        page.get_by_role("button", name="Neuer Entwurf aus Version 1").click()
    assert re.search(r"/entwuerfe/\d+$", page.url), page.url
    expect(page.locator("#fw-modeler-status")).to_have_text("Diagramm geladen.")
    check_page(page)

    # Select the task in the diagram and rename it in the properties panel.
    page.locator('.djs-element[data-element-id="bedarfsermittlung"]').first.click()
    name = page.locator(".fw-panel").get_by_label("Name", exact=True)
    expect(name).to_have_value("Bedarfsermittlung")
    name.fill(NEW_NAME)
    expect(page.locator("#fw-modeler-status")).to_have_text("Ungespeicherte Änderungen.")
    # The Fallwerk group offers the form of the task from the forms registry.
    form_select = page.locator(".fw-panel").get_by_label("Formular")
    expect(form_select).to_have_value("alltagsbegleitung.bedarfsermittlung")

    page.get_by_label("Was ändert sich? (Kommentar zur Version)").fill("Schritt umbenannt")
    submit(page, "Veröffentlichen")
    assert page.url == f"{base}/prozessmodelle/alltagsbegleitung"
    expect(page.get_by_role("status")).to_contain_text("Version 2 veröffentlicht")
    versions = page.get_by_role("region", name="Veröffentlichte Versionen")
    expect(versions.get_by_role("row").filter(has_text="Schritt umbenannt")).to_have_count(1)
    log_out(page, base)

    # The next case starts on version 2 and shows the new name.
    log_in(page, base, "fb36")
    page.goto(f"{base}/faelle/neu")
    page.get_by_label("Verfahren").select_option("alltagsbegleitung")
    page.get_by_label("Anfragendes Team (Fallverantwortung)").select_option("asd")
    submit(page, "Fall anlegen")
    expect(page.get_by_role("heading", level=1)).to_have_text(NEW_NAME)
