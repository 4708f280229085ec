"""A crisis shows who reported it, tells the reporter once the team acknowledged it, and stays on
top of the inbox (above my own tasks), the case list and the monitor."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.notify.models import Notification, OutboxMail
from tests.flows import complete_web, open_task, start_case_web
from tests.volunteers.helpers import running_case, user_id


def _report(client, case_id: int, text: str = "Streit eskaliert"):
    return client.post(f"/faelle/{case_id}/krise", data={"beschreibung": text, "dringlichkeit": "hoch"})


def _notices(app, username: str, kind: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Notification.title).where(
            Notification.user_id == user_id(app, username), Notification.kind == kind)))


def test_crisis_page_names_the_reporter_and_the_reporter_hears_back_once(app, login_as):
    case_id = running_case(login_as)
    assert _report(login_as("ehrenamt1"), case_id).status_code == 302
    fb36 = login_as("fb36")
    task = open_task(app, case_id, "krise_quittieren")
    page = fb36.get(f"/aufgaben/{task.id}").get_data(as_text=True)
    assert "Gemeldet von" in page and "Mira Helferin" in page and "Erreichbar unter" in page
    assert _notices(app, "ehrenamt1", "quittiert") == []

    assert complete_web(fb36, case_id, "krise_quittieren", {"erste_massnahme": "Hausbesuch morgen"}).status_code == 302
    [notice] = _notices(app, "ehrenamt1", "quittiert")
    assert "zur Kenntnis genommen" in notice
    assert "Krise zur Kenntnis genommen" in login_as("ehrenamt1").get("/benachrichtigungen").get_data(as_text=True)
    with app.app_context():
        mails = db.session.scalars(select(OutboxMail).where(OutboxMail.subject.contains("zur Kenntnis"))).all()
        assert all("Streit" not in m.body for m in mails)  # no client data in mails
    # handling the crisis afterwards does not tell the reporter a second time; nobody else is told
    handled = {"krisen_ergebnis": "geloest", "massnahmen": "Gespräch geführt"}
    assert complete_web(fb36, case_id, "krise_bearbeiten", handled).status_code == 302
    assert len(_notices(app, "ehrenamt1", "quittiert")) == 1
    assert _notices(app, "k201", "quittiert") == [] and _notices(app, "fb36", "quittiert") == []


def test_crisis_is_on_top_of_the_inbox_above_my_own_tasks(app, login_as):
    fb36 = login_as("fb36")
    mine = start_case_web(fb36)  # its Bedarfsermittlung is fb36's own task
    case_id = running_case(login_as)
    assert _report(login_as("k201"), case_id).status_code == 302
    page = fb36.get("/aufgaben").get_data(as_text=True)
    assert 'id="crises"' in page
    crisis, own = page.index('data-task="krise_quittieren"'), page.index('data-task="bedarfsermittlung"')
    assert crisis < page.index('id="mine-h"') < own
    assert 'id="crises"' not in login_as("fb36fh").get("/aufgaben").get_data(as_text=True)
    # the case list and the monitor put the crisis case first, though it is not the newest
    later = start_case_web(fb36)
    listing = fb36.get("/faelle").get_data(as_text=True)
    assert listing.index(f"/faelle/{case_id}\"") < listing.index(f"/faelle/{later}\"")
    assert listing.index(f"/faelle/{case_id}\"") < listing.index(f"/faelle/{mine}\"")
    monitor = login_as("leitung").get("/monitor").get_data(as_text=True)
    assert monitor.index(f"/monitor/faelle/{case_id}") < monitor.index(f"/monitor/faelle/{later}")
