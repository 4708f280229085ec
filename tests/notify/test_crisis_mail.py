"""A reported crisis reaches the owning team by e-mail (real SMTP server) and in the app,
with a link and without client data."""

from __future__ import annotations

from app.notify.mailer import wait_for_sending
from tests.conftest import login
from tests.crisis.test_crisis import _report_web, _running_case


def _login_factory(app):
    return lambda username: login(app.test_client(), username)


def test_crisis_mail_to_the_owner_team_without_client_data(smtp_app, smtp_server):
    app = smtp_app

    login_as = _login_factory(app)
    case_id = _running_case(login_as)
    assert wait_for_sending(10)
    before = len(smtp_server.messages)
    assert _report_web(login_as("ehrenamt1"), case_id, "hoch", "Kinder allein zu Hause").status_code == 302
    assert wait_for_sending(10)
    mails = smtp_server.messages[before:]
    assert [m["To"] for m in mails] == ["fb36@example.org"]  # the asd team (one member)
    body = mails[0].get_content()
    assert "https://fallwerk.test/aufgaben/" in body
    for secret in ("Testfamilie Ahorn", "Kinder allein zu Hause", "Arabisch"):
        assert secret not in body and secret not in mails[0]["Subject"]
    header = login_as("fb36").get("/aufgaben").get_data(as_text=True)
    assert "ungelesen" in header


def test_unacknowledged_crisis_mails_the_supervisor(smtp_app, smtp_server):
    from datetime import timedelta

    from app.timers.services import fire_due
    from app.timeutil import utcnow

    app = smtp_app

    login_as = _login_factory(app)
    case_id = _running_case(login_as)
    assert _report_web(login_as("k201"), case_id, "normal", "Termin abgesagt").status_code == 302
    assert wait_for_sending(10)
    before = len(smtp_server.messages)
    with app.app_context():  # advance the clock instead of sleeping
        assert fire_due(utcnow() + timedelta(hours=4, minutes=1)) == 1
    assert wait_for_sending(10)
    mails = smtp_server.messages[before:]
    assert [m["To"] for m in mails] == ["leitung@example.org"]
    assert "Termin abgesagt" not in mails[0].get_content()
