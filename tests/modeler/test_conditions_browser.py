"""In real Chromium: the process owner opens the condition of a flow leaving a gateway in the
properties panel; the guided editor reads the existing expression back (field, comparison,
value), the owner picks other values, takes them over, saves, and the draft's XML holds the
sandbox-checked expression. Reuses the live server and page fixtures of tests/e2e."""

from __future__ import annotations

import re

from lxml import etree
from playwright.sync_api import expect

from app.modeler.validation import B, spiff_properties
from tests.e2e.test_browser import check_page, live_server, log_in, page  # noqa: F401


def test_owner_builds_a_condition_with_the_guided_editor(live_server, page):  # noqa: F811
    base = live_server
    log_in(page, base, "prozess")
    page.goto(f"{base}/prozessmodelle/alltagsbegleitung")
    with page.expect_navigation():
        page.get_by_role("button", name="Neuer Entwurf aus Version 1").click()
    draft_url = page.url
    assert re.search(r"/entwuerfe/\d+$", draft_url), draft_url
    expect(page.locator("#fw-modeler-status")).to_have_text("Diagramm geladen.")
    # Select the flow "überleiten" (connections are thin: select it through the modeler).
    page.evaluate("""() => { const m = document.getElementById('fw-modeler').fallwerkModeler;
        m.get('selection').select(m.get('elementRegistry').get('flow_ueberleiten')); }""")
    panel = page.locator(".fw-panel")
    expect(panel.get_by_role("status").filter(has_text="Gilt, wenn")).to_contain_text("ist gleich")
    field = panel.get_by_label("Feld", exact=True)
    expect(field).to_have_value("ergebnis")
    expect(field.locator("option:checked")).to_contain_text("(Auswahl)")
    check_page(page)

    panel.get_by_label("Vergleich").select_option("ist_einer_von")
    panel.get_by_label("Werte").select_option(["beenden", "ueberleiten"])
    panel.get_by_role("button", name="Übernehmen").click()
    expect(panel.get_by_role("status").filter(has_text="Übernommen")).to_contain_text("ist einer von")
    expert = panel.get_by_label("Ausdruck für Fachleute")
    expect(expert).to_have_value('ergebnis in ("beenden", "ueberleiten")')


    # The deadline of "Abschluss": 14 days after the task began is read back from dueIn; the
    # owner sets "3 Tage vor <Ende> (Vorgespräch)" instead.
    page.evaluate("""() => { const m = document.getElementById('fw-modeler').fallwerkModeler;
        m.get('selection').select(m.get('elementRegistry').get('abschluss')); }""")
    expect(panel.get_by_label("Anzahl")).to_have_value("14")
    expect(panel.get_by_label("Frist", exact=True)).to_have_value("beginn")
    panel.get_by_label("Frist", exact=True).select_option("vor")
    panel.get_by_label("Anzahl").fill("3")
    panel.get_by_label("Datum", exact=True).select_option("ende")
    panel.get_by_role("button", name="Übernehmen").click()
    expect(panel.get_by_role("status").filter(has_text="Übernommen")).to_contain_text("3 Tage vor")
    check_page(page)

    with page.expect_navigation():
        page.get_by_role("button", name="Entwurf speichern und prüfen").click()
    xml = page.request.get(f"{draft_url}/bpmn").text()
    assert 'ergebnis in ("beenden", "ueberleiten")' in xml
    task = etree.fromstring(xml.encode()).find(f".//{B}userTask[@id='abschluss']")
    props = spiff_properties(task)
    assert props.get("dueDate") == "str(date.fromisoformat(ende) - timedelta(days=3))"
    assert "dueIn" not in props
