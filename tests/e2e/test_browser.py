"""End to end in a real browser: Debian's Chromium driven by Playwright against the real app.

The app (test config, CSRF on, demo data) is served by werkzeug on a free loopback port in a
background thread. Scenario: fb36 starts an Alltagsbegleitung case and files the
Bedarfsermittlung (once with a required field left empty), then k201 finds "Vermittlung" for
that case among the tasks of their group. Every page is checked for one h1, one main landmark
and a label on every form control.

Without /usr/bin/chromium the test skips locally and fails in CI (env CI set).
"""

from __future__ import annotations

import os
import re
import threading
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REQUIRED = "Bitte füllen Sie dieses Feld aus."
expect.set_options(timeout=10_000)

# Form controls without a <label> (or aria-labelledby); hidden inputs and buttons need none.
UNLABELLED_JS = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type))
  .filter(el => el.labels.length === 0 && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML.slice(0, 160))"""


AXE = Axe()


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser test", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def live_server(make_app):
    """Base URL of the app served on 127.0.0.1:<free port>, CSRF enabled."""
    app = make_app({"WTF_CSRF_ENABLED": True})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class _SharedBrowser:
    """One Chromium per test process, started on first use and closed when the session ends
    (``close_shared_browser``, called from tests/conftest.py). Starting Chromium costs a second
    or more; every page still gets a context of its own (cookies, storage, cache), so tests stay
    as isolated from each other as with a browser each."""

    def __init__(self) -> None:
        self.playwright = None
        self.browser = None

    def get(self):
        if self.browser is None or not self.browser.is_connected():
            if self.playwright is None:
                self.playwright = sync_playwright().start()
            self.browser = self.playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
        return self.browser

    def close(self) -> None:
        try:
            if self.browser is not None:
                self.browser.close()
        finally:
            self.browser = None
            if self.playwright is not None:
                self.playwright.stop()
                self.playwright = None


_shared_browser = _SharedBrowser()


def close_shared_browser() -> None:
    _shared_browser.close()


@contextmanager
def open_page():
    """A German Chromium page (a new browser context of its own) that collects console errors,
    CSP violations and failed responses."""
    _require_chromium()

    context = _shared_browser.get().new_context(locale="de-DE")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda msg: _console(page, msg))
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    page.on("response", lambda response: _response(page, response))
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page():
    with open_page() as page:
        yield page


def _console(page, msg) -> None:
    """Collect console errors (CSP violations, script errors).

    Failed loads are judged by ``_response`` instead: a page answered 422 is expected.
    """
    if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
        page.console_errors.append(msg.text)


def _response(page, response) -> None:
    """A stylesheet, script or image that fails to load is an error (the favicon aside)."""
    request = response.request
    if (
        response.status >= 400
        and request.resource_type != "document"
        and not request.url.endswith("/favicon.ico")
    ):
        page.console_errors.append(f"{response.status} {request.url}")


WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def check_page(page, extra_tags: tuple[str, ...] = ()) -> None:
    """Structure every page must have; called after each navigation.

    ``extra_tags``: further axe rule tags in the same run (the sweep adds "best-practice").
    """
    where = page.url
    assert page.locator("h1").count() == 1, f"{where}: expected exactly one h1"
    assert page.locator("main, [role=main]").count() == 1, f"{where}: expected one main landmark"
    unlabelled = page.evaluate(UNLABELLED_JS)
    assert unlabelled == [], f"{where}: form controls without a label: {unlabelled}"
    # axe-core (WCAG 2.1 A/AA rules) on the rendered page; the library ships axe.min.js.
    results = AXE.run(page, options={"runOnly": {"type": "tag", "values": [*WCAG_TAGS, *extra_tags]},
                                     "resultTypes": ["violations"]})
    violations = [(v["id"], [n["target"] for n in v["nodes"]][:3])
                  for v in results.response["violations"]]
    assert violations == [], f"{where}: accessibility violations: {violations}"
    assert page.console_errors == [], f"{where}: browser console errors: {page.console_errors}"


def submit(page, button: str) -> None:
    """Click a submit button and wait for the page the server answers with."""
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()
    check_page(page)


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    check_page(page)
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill("demo")
    submit(page, "Anmelden")
    assert page.url == f"{base}/aufgaben"


def log_out(page, base: str) -> None:
    submit(page, "Abmelden")
    assert page.url.startswith(f"{base}/login")
    expect(page.get_by_role("status")).to_have_text("Sie wurden abgemeldet.")


def fill_bedarfsermittlung(page, *, bedarf: str) -> None:
    page.get_by_label("Familie", exact=True).check()
    page.get_by_label("Familienname / Name").fill("Familie Ahorn")
    page.get_by_label("Gesprochene Sprachen").fill("Arabisch, Deutsch")
    page.get_by_label("Festgestellter Bedarf").fill(bedarf)
    page.get_by_label("Ziel (detailliert und konkret)").first.fill("Kita-Platz ist beantragt")
    page.get_by_label("Frist").first.fill((date.today() + timedelta(days=60)).isoformat())
    page.get_by_label("Wie wird die Zielerreichung überprüft?").first.fill(
        "Antrag liegt dem Jugendamt vor"
    )


def test_case_from_start_to_the_coordination_inbox(live_server, page):
    base = live_server

    # fb36 starts a case.
    log_in(page, base, "fb36")
    page.get_by_role("navigation").get_by_role("link", name="Fälle").click()
    page.wait_for_url(f"{base}/faelle")
    check_page(page)
    page.get_by_role("link", name="Neuen Fall anlegen").click()
    page.wait_for_url(f"{base}/faelle/neu")
    check_page(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Neuen Fall anlegen")
    page.get_by_label("Verfahren").select_option("alltagsbegleitung")
    page.get_by_label("Anfragendes Team (Fallverantwortung)").select_option("asd")
    submit(page, "Fall anlegen")

    # The first task opens: Bedarfsermittlung.
    assert re.search(r"/aufgaben/\d+$", page.url), page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Bedarfsermittlung")
    created = page.get_by_role("status").filter(has_text="angelegt")
    expect(created).to_have_text(re.compile(r"Fall AB-\d{4}-\d{5} angelegt"))
    reference = re.search(r"AB-\d{4}-\d{5}", created.inner_text()).group(0)
    task_url = page.url

    # Negative: a required field left empty -> German error next to that field, nothing lost.
    fill_bedarfsermittlung(page, bedarf="")
    submit(page, "Abschließen")
    assert page.url == task_url
    expect(page.get_by_role("alert")).to_contain_text("Es wurde nichts gespeichert.")
    bedarf = page.get_by_label("Festgestellter Bedarf")
    expect(bedarf).to_have_attribute("aria-invalid", "true")
    expect(bedarf).to_have_attribute("aria-describedby", re.compile(r"\bbedarf-error\b"))
    error = page.locator("#bedarf-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(REQUIRED)
    # The error sits in the field's own group, right after the field.
    expect(page.locator(".field", has=bedarf).locator(".field-errors")).to_have_text(REQUIRED)
    expect(page.get_by_label("Familienname / Name")).to_have_value("Familie Ahorn")
    expect(page.get_by_label("Ziel (detailliert und konkret)").first).to_have_value(
        "Kita-Platz ist beantragt"
    )

    # Now complete it.
    bedarf.fill("Orientierung im Alltag, Begleitung zu Behörden und zur Kita-Anmeldung")
    submit(page, "Abschließen")
    assert page.url == f"{base}/aufgaben"
    expect(page.get_by_role("status")).to_have_text("Aufgabe „Bedarfsermittlung“ erledigt.")
    log_out(page, base)

    # k201 sees "Vermittlung" of that case in the group inbox.
    log_in(page, base, "k201")
    group = page.get_by_role("region", name="Aufgaben meiner Gruppe")
    row = group.get_by_role("row").filter(has_text=reference)
    expect(row).to_have_count(1)
    expect(row.get_by_role("link", name="Vermittlung", exact=True)).to_be_visible()
    mine = page.get_by_role("region", name="Meine Aufgaben")
    expect(mine.get_by_role("row").filter(has_text=reference)).to_have_count(0)
