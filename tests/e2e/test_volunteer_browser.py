"""In a real browser (Debian's Chromium, axe-core on every page): the expense allowance flow —
the volunteer records (first with a wrong number), 201 returns it with a comment, the volunteer
corrects it, 201 approves, the monthly statement shows the amount — plus the 201 pages and the
network map, each checked for structure, labels and WCAG 2.1 AA."""

from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from app.extensions import db
from app.network import services as network
from tests.e2e.test_browser import check_page, log_in, log_out, page, submit  # noqa: F401 - fixture
from tests.factories import today
from tests.volunteers.helpers import running_case


@pytest.fixture
def live(make_app):
    """(base URL, case id): the app with CSRF served on a free port, and a running assignment of
    ehrenamt1 prepared through a second app object on the same database (CSRF off)."""
    server_app = make_app({"WTF_CSRF_ENABLED": True})
    setup_app = make_app(demo=False)

    def login_as(username):
        from tests.conftest import login

        return login(setup_app.test_client(), username)

    case_id = running_case(login_as)
    with setup_app.app_context():
        from app.auth.models import User

        org = db.session.query(User.organisation_id).filter(User.username == "k201").scalar()
        network.save_partner(None, org, name="Jobcenter Musterstadt", typ="jobcenter", intensitaet=3, wichtigkeit=3)
        network.save_partner(None, org, name="Grundschule am Park", typ="schule", intensitaet=2, wichtigkeit=1)
        db.session.commit()
    server = make_server("127.0.0.1", 0, server_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", case_id
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_expense_flow_and_201_pages(live, page):  # noqa: F811 - page is the imported fixture
    base, case_id = live

    # The volunteer records an entry, first with a wrong number.
    log_in(page, base, "ehrenamt1")
    page.get_by_role("navigation").get_by_role("link", name="Meine Einsätze").click()
    page.wait_for_url(f"{base}/ehrenamt/einsaetze")
    check_page(page)
    page.get_by_role("link", name=re.compile("Aufwand erfassen")).first.click()
    page.wait_for_url(f"{base}/ehrenamt/einsaetze/{case_id}/aufwand")
    check_page(page)
    page.get_by_label("Datum").fill(today().isoformat())
    page.get_by_label("Stunden").fill("25")
    page.get_by_label("Fahrtkilometer").fill("12")
    submit(page, "Einreichen")
    expect(page.get_by_role("alert")).to_contain_text("Es wurde nichts gespeichert.")
    expect(page.locator("#stunden-error")).to_have_text("Bitte eine Zahl zwischen 0 und 24 angeben.")
    expect(page.get_by_label("Stunden")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Stunden").fill("3")
    submit(page, "Einreichen")
    expect(page.get_by_role("status")).to_have_text("Der Eintrag wurde zur Prüfung eingereicht.")
    expect(page.locator("tr[data-status=eingereicht]")).to_contain_text("27,60 €")  # 3 × 8 € + 12 × 0,30 €
    log_out(page, base)

    # 201 returns it: the comment is required.
    log_in(page, base, "k201")
    page.get_by_role("navigation").get_by_role("link", name="Aufwand prüfen").click()
    page.wait_for_url(f"{base}/aufwand/pruefen")
    check_page(page)
    submit(page, "Zurückgeben")
    expect(page.get_by_text("Bitte begründen Sie die Rückgabe")).to_be_visible()
    page.get_by_label("Begründung für die Rückgabe").fill("Laut Protokoll waren es 2 Stunden.")
    submit(page, "Zurückgeben")
    expect(page.get_by_role("status")).to_have_text("Eintrag mit Begründung zurückgegeben.")
    log_out(page, base)

    # The volunteer corrects and resubmits.
    log_in(page, base, "ehrenamt1")
    page.goto(f"{base}/ehrenamt/einsaetze/{case_id}/aufwand")
    check_page(page)
    expect(page.locator("tr[data-status=zurueckgegeben]")).to_contain_text("Laut Protokoll waren es 2 Stunden.")
    page.get_by_role("link", name=re.compile("Korrigieren")).click()
    check_page(page)
    page.get_by_label("Stunden").fill("2")
    submit(page, "Erneut einreichen")
    expect(page.locator("tr[data-status=eingereicht]")).to_contain_text("19,60 €")
    log_out(page, base)

    # 201 approves; the monthly statement shows the amount.
    log_in(page, base, "k201")
    page.goto(f"{base}/aufwand/pruefen")
    check_page(page)
    submit(page, "Genehmigen")
    expect(page.get_by_role("status")).to_have_text("Eintrag genehmigt.")
    page.get_by_role("link", name="Monatsabrechnung").click()
    check_page(page)
    page.get_by_label("Ehrenamtliche/r").select_option(label="Mira Helferin")
    submit(page, "Anzeigen")
    expect(page.locator("tfoot")).to_contain_text("19,60 €")

    # The other 201 pages and the network map pass the same checks.
    for path in ("/ehrenamtliche", "/schulungen", "/aufwand/summen", "/netzwerk/partner",
                 f"/netzwerk/karte?jahr={today().year}", f"/faelle/{case_id}/fragen", f"/faelle/{case_id}"):
        page.goto(f"{base}{path}")
        check_page(page)
    page.goto(f"{base}/netzwerk/karte?jahr={today().year}")
    expect(page.get_by_role("img", name=re.compile(f"Netzwerkkarte {today().year}"))).to_be_visible()
