"""The case journal in a real browser: write an entry with a follow-up, see the error summary,
correct the entry (the earlier text stays), the volunteer's narrow view, the to-do page; every
page passes the checks of the other browser tests (axe WCAG 2.1 AA + best practice, one h1,
labelled controls) and does not scroll sideways at 320 CSS px."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from app import create_app
from tests.conftest import _config, _dispose, login, prepare_database
from tests.e2e.test_a11y_sweep import assert_error_summary, sign_in, submit_form
from tests.e2e.test_browser import check_page, open_page
from tests.factories import today
from tests.flows import complete_web, start_case_web, valid_data


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("journal")
    server_app = create_app(_config(tmp, {"WTF_CSRF_ENABLED": True}))
    prepare_database(server_app, demo=True)
    setup_app = create_app(_config(tmp))
    fb36, k201 = login(setup_app.test_client(), "fb36"), login(setup_app.test_client(), "k201")
    case_id = start_case_web(fb36)
    assert complete_web(fb36, case_id, "bedarfsermittlung").status_code == 302
    assert complete_web(k201, case_id, "vermittlung", valid_data("vermittlung")).status_code == 302
    assert complete_web(fb36, case_id, "vorgespraech").status_code == 302
    server = make_server("127.0.0.1", 0, server_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-journal-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", case_id
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        for app in (server_app, setup_app):
            _dispose(app)


def _no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width, page.url


def test_journal_entry_follow_up_correction_and_to_do(site):
    base, case_id = site
    with open_page() as page:
        page.set_viewport_size({"width": 320, "height": 720})
        sign_in(page, base, "fb36")
        page.goto(f"{base}/faelle/{case_id}")
        with page.expect_navigation():
            page.get_by_role("link", name="Neuer Journaleintrag").click()
        check_page(page, extra_tags=("best-practice",))
        _no_sideways_scroll(page, 320)
        page.locator("#date").fill("")
        submit_form(page, "Speichern")
        assert_error_summary(page, at_least=2)

        page.get_by_label("Telefonat").check()
        page.locator("#date").fill(today().isoformat())
        page.get_by_label("Dauer (Minuten)").fill("20")
        page.get_by_label("Schule / Kita").check()
        page.locator("#text").fill("Telefonat mit der Kita: Platz ab Februar.")
        page.get_by_label("Für die Ehrenamtliche / den Ehrenamtlichen sichtbar").check()
        page.get_by_label("Wiedervorlage am").fill((today() + timedelta(days=2)).isoformat())
        page.get_by_label("Wiedervorlage für").select_option("k201")
        submit_form(page, "Speichern")
        journal = page.locator("#journal")
        expect(journal).to_contain_text("Telefonat mit der Kita: Platz ab Februar.")
        check_page(page, extra_tags=("best-practice",))

        with page.expect_navigation():
            journal.get_by_role("link", name=re.compile("Korrigieren")).click()
        check_page(page, extra_tags=("best-practice",))
        page.locator("#text").fill("Telefonat mit der Kita: Platz ab März.")
        page.get_by_label("Grund der Korrektur").fill("Monat verwechselt")
        submit_form(page, "Korrektur speichern")
        expect(journal).to_contain_text("korrigiert")
        journal.get_by_text("Frühere Fassungen anzeigen").click()
        expect(journal).to_contain_text("Platz ab Februar.")
        check_page(page, extra_tags=("best-practice",))
        _no_sideways_scroll(page, 320)

        page.context.clear_cookies()
        sign_in(page, base, "ehrenamt1")
        page.goto(f"{base}/faelle/{case_id}")
        expect(page.locator("#journal")).to_contain_text("Platz ab März.")
        check_page(page, extra_tags=("best-practice",))
        _no_sideways_scroll(page, 320)

        page.context.clear_cookies()
        page.set_viewport_size({"width": 1280, "height": 720})
        sign_in(page, base, "k201")
        with page.expect_navigation():
            page.get_by_role("link", name=re.compile("Wiedervorlage")).click()
        check_page(page, extra_tags=("best-practice",))
        expect(page.locator("main")).to_contain_text("Platz ab März.")
        submit_form(page, "Erledigt")
        assert page.url == f"{base}/aufgaben"
        expect(page.locator("table.tasks").first).not_to_contain_text("Wiedervorlage")
