"""In a real browser (Chromium, axe-core): fb36 files a PDF on a case from the case view, a renamed
program is refused with the message next to the field, the download is an attachment, and the
documents pages pass the accessibility checks, also at 320 CSS px without horizontal scrolling."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.documents import samples
from tests.e2e.test_browser import check_page, log_in, page, submit  # noqa: F401 - fixture


@pytest.fixture
def live(make_app, tmp_path):
    """(base URL, case id): the app with CSRF on a free port, and a case of team asd."""
    config = {"WTF_CSRF_ENABLED": True, "DOCUMENT_STORAGE_DIR": str(tmp_path / "documents")}
    server_app = make_app(config)
    from tests.factories import start_case

    with server_app.test_request_context():
        case_id = start_case("fb36")
    server = make_server("127.0.0.1", 0, server_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", case_id
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_upload_and_download_a_pdf(live, page):  # noqa: F811 - page is the imported fixture
    base, case_id = live
    log_in(page, base, "fb36")
    page.goto(f"{base}/faelle/{case_id}")
    check_page(page)
    section = page.locator("section#documents")
    section.get_by_text("Dokument hochladen").click()
    page.get_by_label("Datei").set_input_files(
        files=[{"name": "Bescheid.pdf", "mimeType": "application/pdf", "buffer": samples.ELF}])
    page.get_by_label("Art des Dokuments").select_option("schreiben")
    submit(page, "Hochladen")
    expect(page.get_by_role("alert")).to_contain_text("Es wurde nichts gespeichert.")
    expect(page.locator("#doc-file-error")).to_contain_text("Programm oder Skript")
    page.get_by_label("Datei").set_input_files(
        files=[{"name": "Einwilligung Müller.pdf", "mimeType": "application/pdf", "buffer": samples.PDF}])
    page.get_by_label("Art des Dokuments").select_option("einwilligung")
    page.get_by_label("Notiz").fill("unterschrieben am Empfang")
    submit(page, "Hochladen")
    expect(page.get_by_role("status")).to_contain_text("„Einwilligung Müller.pdf“ wurde abgelegt")
    row = page.locator("section#documents tr[data-document]")
    expect(row).to_contain_text("Einwilligung (unterschrieben)")
    link = row.get_by_role("link", name="Einwilligung Müller.pdf", exact=True)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "Einwilligung Müller.pdf"
    delete_page = f"{link.get_attribute('href')}/loeschen"
    page.set_viewport_size({"width": 320, "height": 800})
    for path in (f"/faelle/{case_id}", f"/faelle/{case_id}/dokumente", delete_page):
        page.goto(f"{base}{path}")
        check_page(page)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 320, path
