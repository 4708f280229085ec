"""The live diagram in real Chromium: the viewer bundle draws a count badge on the waiting
element; the page passes the structure and axe checks of tests/e2e (and has no console error)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.test_browser import check_page, live_server, log_in, page  # noqa: F401 - fixtures

VIEWER = Path(__file__).resolve().parents[2] / "app" / "static" / "build" / "viewer.js"


def test_live_diagram_shows_a_count_badge(live_server, page):  # noqa: F811
    if not VIEWER.exists():
        pytest.skip("app/static/build/viewer.js is not built (make assets)")
    base = live_server
    log_in(page, base, "fb36")
    page.goto(f"{base}/faelle/neu")
    page.get_by_label("Verfahren").select_option("alltagsbegleitung")
    page.get_by_label("Anfragendes Team (Fallverantwortung)").select_option("asd")
    with page.expect_navigation():
        page.get_by_role("button", name="Fall anlegen").click()
    page.context.clear_cookies()

    log_in(page, base, "leitung")
    page.get_by_role("navigation").get_by_role("link", name="Monitor").click()
    page.wait_for_url(f"{base}/monitor")
    check_page(page)
    page.get_by_role("link", name="Alltagsbegleitung, Version 1").click()
    page.wait_for_url(f"{base}/monitor/prozesse/alltagsbegleitung/1")
    diagram = page.locator("#monitor-diagram")
    expect(diagram).to_have_attribute("data-ready", "true")
    badge = diagram.locator(".fw-badge").first
    expect(badge).to_have_text("1")
    expect(page.locator('tr[data-element="bedarfsermittlung"] td').nth(1)).to_have_text("1")
    check_page(page)

    # The case page: path on the canvas, timeline, intervention forms (axe-checked too).
    page.goto(f"{base}/monitor")
    page.locator("table.monitor-list tbody a").first.click()
    page.wait_for_url(f"{base}/monitor/faelle/*")
    expect(page.locator("#monitor-diagram")).to_have_attribute("data-ready", "true")
    check_page(page)
    # Suspending without a reason: German error next to the field, nothing changes.
    with page.expect_navigation():
        page.get_by_role("button", name="Fall anhalten").click()
    expect(page.locator("#suspend-grund-error")).to_have_text("Bitte geben Sie einen Grund an.")
    check_page(page)
