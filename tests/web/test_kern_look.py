"""The look of the German administration: the KERN UX standard (@kern-ux/native) on every page.

base.html links KERN's stylesheet (built into app/static/build/kern/ by `make assets`) before
app.css and keeps the page in KERN's light theme; the macros render forms and alerts in KERN
markup; data tables stack their rows at 320 CSS px, each cell showing its column name, so the
page never scrolls sideways and no column shrinks to one letter per line.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.factories import login

KERN_CSS = Path(__file__).resolve().parents[2] / "app" / "static" / "build" / "kern" / "kern.css"


def _require_build() -> None:
    if KERN_CSS.exists():
        return
    reason = f"{KERN_CSS} not built: run `make assets`"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI builds the assets before the tests", pytrace=False)
    pytest.skip(reason)


def test_every_page_links_the_kern_stylesheet_before_ours(client):
    for html in (client.get("/login").get_data(as_text=True),
                 login(client, "fb36").get("/aufgaben").get_data(as_text=True)):
        assert '<html lang="de" data-kern-theme="light">' in html
        kern = html.index('href="/static/build/kern/kern.css"')
        assert kern < html.index('href="/static/app.css"')
        assert '<script src="/static/tables.js" defer></script>' in html


def test_the_kern_stylesheet_and_its_fonts_are_served_from_our_own_origin(client):
    _require_build()
    with client.get("/static/build/kern/kern.css") as css:
        assert css.status_code == 200 and css.mimetype == "text/css"
        text = css.get_data(as_text=True)
    assert ".kern-btn" in text and ".kern-form-input" in text and ".kern-alert" in text
    assert "Fira Sans" in text
    fonts = re.findall(r'url\("?(\./fonts/[^")]+\.woff2)"?\)', text)
    assert fonts, "the stylesheet names its self-hosted fonts"
    for font in fonts:
        with client.get("/static/build/kern/" + font.removeprefix("./")) as response:
            assert response.status_code == 200, font
    assert "https://" not in "".join(fonts)  # no CDN: the CSP allows 'self' only
    with client.get("/static/build/kern/LICENSE.md") as licence:  # the EUPL-1.2 text ships along
        assert licence.status_code == 200


def test_forms_and_messages_use_kern_markup(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'class="kern-form-input__input"' in page
    login(client, "fb36")
    page = client.get("/faelle/neu").get_data(as_text=True)
    assert 'class="field kern-form-input"' in page and 'class="kern-form-input__select' in page
    html = client.post("/konto/passwort", data={}).get_data(as_text=True)  # nothing filled in
    assert 'class="error-summary kern-alert kern-alert--danger" role="alert"' in html
    assert "kern-form-input__input--error" in html and '<ul class="field-errors" id="current_password-error">' in html


# ---------------------------------------------------------------------------------------------
# In the browser: a page with a wide table at 320 CSS px.

STACK_JS = """() => {
  const table = document.querySelector('main table.stack');
  if (!table) return null;
  const cells = Array.from(table.querySelectorAll('tbody td')).filter(td => td.textContent.trim());
  return {
    columns: table.tHead.rows[0].cells.length,
    labels: cells.map(td => td.dataset.label),
    shown: cells.map(td => getComputedStyle(td, '::before').content),
    narrowest: Math.min(...cells.map(td => td.getBoundingClientRect().width)),
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  };
}"""


@pytest.fixture
def live_server(make_app):
    app = make_app({"WTF_CSRF_ENABLED": True})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="kern-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_wide_table_stacks_its_rows_at_320_px(live_server):
    from tests.e2e.test_browser import check_page, log_in, open_page

    _require_build()
    with open_page() as page:
        page.set_viewport_size({"width": 320, "height": 720})
        log_in(page, live_server, "admin")
        page.goto(f"{live_server}/admin/konten")  # the accounts: a table of six columns with buttons
        check_page(page)
        stack = page.evaluate(STACK_JS)
        assert stack is not None, "the accounts table is stacked at 320 px"
        assert stack["columns"] >= 4
        assert stack["scrollWidth"] <= stack["clientWidth"], stack  # no sideways scrolling (WCAG 1.4.10)
        assert all(stack["labels"]), "every cell names its column"
        assert '"Benutzername"' in stack["shown"] or any("Benutzername" in s for s in stack["shown"])
        # A stacked cell spans the row: its value is not squeezed into a column of a few letters.
        assert stack["narrowest"] > 200, stack["narrowest"]

        page.set_viewport_size({"width": 1280, "height": 720})
        columns = page.evaluate("() => getComputedStyle(document.querySelector('main table tbody td')).display")
        assert columns == "table-cell"  # on a wide screen the table keeps its columns


def test_the_statistics_period_is_shown_in_the_readers_date_format(login_as):
    html = login_as("leitung").get("/statistik?von=2026-01-01&bis=2026-03-31").get_data(as_text=True)
    assert "01.01.2026 – 31.03.2026" in html and "2026-01-01 –" not in html
