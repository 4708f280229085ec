"""The monthly expense statement printed (Chromium with print media): navigation, footer, filter
form, buttons and the CSV link are gone; the statement table with its total and the signature
lines are shown."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from app.auth.models import User
from app.engine.models import ProcessInstance
from app.extensions import db
from app.volunteers import expenses
from tests.e2e.test_browser import log_in, page  # noqa: F401 - page is a fixture
from tests.volunteers.helpers import running_case


@pytest.fixture
def live(make_app):
    server_app = make_app({"WTF_CSRF_ENABLED": True})
    setup_app = make_app(demo=False)

    def login_as(username):
        from tests.conftest import login

        return login(setup_app.test_client(), username)

    case_id = running_case(login_as)
    with setup_app.test_request_context():
        mira = db.session.scalar(select(User).where(User.username == "ehrenamt1"))
        k201 = db.session.scalar(select(User).where(User.username == "k201"))
        entry = expenses.save_entry(None, db.session.get(ProcessInstance, case_id), mira, datum=date.today(),
                                    stunden=Decimal("3"), kilometer=Decimal("12"), auslagen=Decimal("0"), notiz="")
        expenses.decide(entry, k201, approve=True)
        db.session.commit()
        mira_id = mira.id
    server = make_server("127.0.0.1", 0, server_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-print-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", mira_id
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_printed_statement_shows_only_the_statement(live, page):  # noqa: F811
    base, mira_id = live
    log_in(page, base, "k201")
    page.goto(f"{base}/aufwand/abrechnung?ehrenamtliche={mira_id}&monat={date.today():%Y-%m}")
    statement = page.locator("table.statement")
    # on screen: navigation, filter form and CSV link are there, the signature lines are not
    expect(page.locator(".site-header")).to_be_visible()
    expect(page.get_by_role("button", name="Anzeigen")).to_be_visible()
    expect(page.get_by_role("link", name="Als CSV herunterladen")).to_be_visible()
    expect(page.locator("[data-print=signature]")).to_be_hidden()

    page.emulate_media(media="print")
    for hidden in (page.locator(".site-header"), page.get_by_role("navigation"), page.locator(".site-footer"),
                   page.locator("form.filters"), page.get_by_role("link", name="Als CSV herunterladen")):
        expect(hidden.first).to_be_hidden()
    assert page.locator("button:visible").count() == 0
    expect(page.get_by_role("heading", level=1)).to_have_text("Abrechnung Aufwandsentschädigung")
    expect(statement).to_be_visible()
    expect(statement.locator("tfoot")).to_contain_text("27,60 €")  # 3 h × 8 € + 12 km × 0,30 €
    expect(page.locator("[data-print=signature]")).to_be_visible()
    expect(page.locator("[data-print=signature]")).to_contain_text("Sachlich richtig")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")

    page.emulate_media(media="screen")
    expect(page.locator(".site-header")).to_be_visible()
