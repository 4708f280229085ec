"""In real Chromium, the process owner's whole path of issue 16: build a form in the form builder
(two fields, saved as version 1, seen in the live preview, which the page's script refreshes while
typing), then with the keyboard only (Tab, Enter, typing; no mouse) reach the diagram and select
with a shortcut, open the text outline of a draft, insert a step with the new builder form and the
deadline "5 Tage" after another, and publish. Every page passes the strict checks of tests/e2e
(axe WCAG 2.1 AA, labels, console errors). Reuses the live server and page fixtures of
tests/e2e/test_browser.py.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.test_browser import check_page, live_server, log_in, page, submit  # noqa: F401

IS_FOCUSED = "el => el === document.activeElement"


def tab_to(page, target, limit: int = 250, key: str = "Tab") -> None:  # noqa: F811 - the page, not the fixture
    """Press Tab until ``target`` has the focus (it must be reachable by keyboard)."""
    for _ in range(limit):
        page.keyboard.press(key)
        if target.evaluate(IS_FOCUSED):
            return
    raise AssertionError(f"not reachable with Tab: {target}")


def press_enter_and_wait(page) -> None:  # noqa: F811
    with page.expect_navigation():
        page.keyboard.press("Enter")


def build_form(page, base: str) -> None:  # noqa: F811
    """The form builder: a form of two fields, saved, shown in the preview."""
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


def test_owner_builds_a_form_and_inserts_it_as_a_step_by_keyboard_and_publishes(live_server, page):  # noqa: F811
    base = live_server
    log_in(page, base, "prozess")
    build_form(page, base)

    page.goto(f"{base}/prozessmodelle/junge_erwachsene")
    tab_to(page, page.get_by_role("button", name="Neuer Entwurf aus Version 1"))
    press_enter_and_wait(page)
    assert re.search(r"/entwuerfe/\d+$", page.url), page.url
    expect(page.locator("#fw-modeler-status")).to_have_text("Diagramm geladen.")
    check_page(page)  # incl. the list of shortcuts
    # The diagram's keyboard bindings: Tab reaches the canvas, Ctrl+A selects every element.
    tab_to(page, page.locator(".fw-canvas .djs-container > svg"))
    page.keyboard.press("Control+a")
    expect(page.locator(".djs-element.selected[data-element-id='situation']")).to_have_count(1)
    page.keyboard.press("Escape")

    tab_to(page, page.get_by_role("link", name="Ablauf als Text bearbeiten"), key="Shift+Tab")
    press_enter_and_wait(page)
    assert page.url.endswith("/gliederung")
    check_page(page)

    tab_to(page, page.get_by_role("link", name="Schritt danach einfügen (nach Situation klären)"))
    press_enter_and_wait(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Neuer Schritt nach „Situation klären“")
    check_page(page)

    tab_to(page, page.get_by_label("Name des Schritts"))
    page.keyboard.type("Rückruf vereinbaren")
    form_select = page.get_by_label("Formular")
    tab_to(page, form_select)
    page.keyboard.type("Hausbesuch")  # type-ahead in the closed list: the form just built
    expect(form_select).to_have_value("probe.hausbesuch")
    expect(page.get_by_label("Bahn (wer die Aufgabe bekommt)")).to_have_value("Integrationsmanagement")
    tab_to(page, page.get_by_label("Anzahl"))
    page.keyboard.type("5")
    expect(page.get_by_label("Einheit")).to_have_value("tage")
    tab_to(page, page.get_by_role("button", name="Schritt einfügen"))
    press_enter_and_wait(page)

    assert page.url.endswith("/gliederung#step-rueckruf_vereinbaren"), page.url
    expect(page.get_by_role("status")).to_contain_text(
        "Schritt „Rückruf vereinbaren“ nach „Situation klären“ eingefügt.")
    expect(page.get_by_text("Keine Probleme gefunden.")).to_be_visible()
    step = page.locator("li", has=page.locator("#step-rueckruf_vereinbaren"))
    expect(step.locator("dd").filter(has_text="5 Tage")).to_have_count(1)
    expect(step.locator("dd").filter(has_text="Hausbesuch")).to_have_count(1)
    check_page(page)

    tab_to(page, page.get_by_label("Was ändert sich? (Kommentar zur Version)"))
    page.keyboard.press("Control+A")
    page.keyboard.type("Rückruf nach der Klärung der Situation")
    press_enter_and_wait(page)
    assert page.url == f"{base}/prozessmodelle/junge_erwachsene"
    expect(page.get_by_role("status")).to_contain_text("Version 2 veröffentlicht")
    check_page(page)
