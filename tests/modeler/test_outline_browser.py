"""In real Chromium, with the keyboard only (Tab, Enter, typing; no mouse): a process owner
reaches the diagram and selects with a shortcut, opens the text outline of a draft, inserts a
step with a form and the deadline "5 Tage" after another, saves and publishes. Every page passes
the strict checks of tests/e2e (axe WCAG 2.1 AA, labels, console errors). Reuses the live server
and page fixtures of tests/e2e/test_browser.py.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.test_browser import check_page, live_server, page  # noqa: F401

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


def test_owner_inserts_a_step_by_keyboard_and_publishes(live_server, page):  # noqa: F811
    base = live_server
    page.goto(f"{base}/login")
    tab_to(page, page.get_by_label("Benutzername"))
    page.keyboard.type("prozess")
    tab_to(page, page.get_by_label("Passwort"))
    page.keyboard.type("demo")
    press_enter_and_wait(page)
    assert page.url == f"{base}/aufgaben"

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
    page.keyboard.type("Situation")  # type-ahead in the closed list
    expect(form_select).to_have_value("junge_erwachsene.situation")
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
    expect(step.locator("dd").filter(has_text="junge_erwachsene.situation")).to_have_count(1)
    check_page(page)

    tab_to(page, page.get_by_label("Was ändert sich? (Kommentar zur Version)"))
    page.keyboard.press("Control+A")
    page.keyboard.type("Rückruf nach der Klärung der Situation")
    press_enter_and_wait(page)
    assert page.url == f"{base}/prozessmodelle/junge_erwachsene"
    expect(page.get_by_role("status")).to_contain_text("Version 2 veröffentlicht")
    check_page(page)
