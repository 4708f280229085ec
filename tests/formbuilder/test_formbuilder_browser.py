"""In real Chromium: a process owner builds a form in the form builder (two fields), saves it
and sees them in the preview, which the page's script also refreshes while typing. Reuses the
live server and page fixtures of tests/e2e/test_browser.py (CSRF on, axe and console checks)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.test_browser import check_page, live_server, log_in, page, submit  # noqa: F401


def test_owner_builds_a_form_and_sees_the_preview(live_server, page):  # noqa: F811
    base = live_server
    log_in(page, base, "prozess")
    page.get_by_role("navigation").get_by_role("link", name="Formulare").click()
    page.wait_for_url(f"{base}/formulare")
    check_page(page)
    page.get_by_role("link", name="Neues Formular").click()
    page.wait_for_url(f"{base}/formulare/neu")
    check_page(page)
    page.get_by_label("Schlüssel (formKey im Prozessmodell)").fill("probe.hausbesuch")
    page.get_by_label("Titel (Deutsch)", exact=True).fill("Hausbesuch")

    page.get_by_label("Feldtyp des neuen Feldes").select_option("number")
    submit(page, "Feld hinzufügen")
    page.locator("#f-0-label_de").fill("Anzahl Kinder")
    page.locator("#f-0-max").fill("12")
    page.get_by_label("Feldtyp des neuen Feldes").select_option("longtext")
    submit(page, "Feld hinzufügen")
    page.locator("#f-1-label_de").fill("Eindruck vom Besuch")
    page.locator("#f-1-name").fill("eindruck")

    page.get_by_label("Kommentar zur neuen Version").fill("erste Fassung")
    submit(page, "Als neue Version speichern")
    assert page.url == f"{base}/formulare/probe.hausbesuch"
    expect(page.get_by_role("status")).to_contain_text("Version 1 des Formulars gespeichert")
    preview = page.locator("#builder-preview")
    expect(preview.get_by_label("Anzahl Kinder")).to_be_visible()
    expect(preview.get_by_label("Eindruck vom Besuch")).to_be_visible()
    versions = page.get_by_role("region", name="Versionen")
    expect(versions.get_by_role("row").filter(has_text="erste Fassung")).to_have_count(1)

    # The script refreshes the preview while typing (nothing is saved).
    page.locator("#f-1-label_de").fill("Eindruck")
    expect(preview.get_by_label("Eindruck", exact=True)).to_be_visible()
    check_page(page, ("best-practice",))  # as the accessibility sweep checks pages
