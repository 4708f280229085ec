"""Context where the decision is made: each task page shows what its step needs (the need, the
goals, place and language of the family; the chosen volunteer; the Rückmeldungen since the last
Zwischengespräch; every goal with deadline and check), within the reader's access; the case
header shows volunteer, period and hours."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.auth.models import User
from app.casecontext.sections import sections_for
from app.engine.models import LIMITED, Task
from app.extensions import db
from app.volunteers.expenses import save_entry
from tests.flows import complete_web, future, instance, open_task, start_case_web, valid_data

FAMILY = valid_data("bedarfsermittlung", anschrift="Lindenweg 3, 12345 Musterstadt",
                    sprachen="Dari, Paschtu", bedarf="Begleitung zu Behörden und Kita-Suche")


def _name(app, username: str) -> str:
    with app.app_context():
        return db.session.scalar(select(User.display_name).where(User.username == username))


def _case(app, login_as, to: str) -> int:
    fb36, k201 = login_as("fb36"), login_as("k201")
    case_id = start_case_web(fb36)
    assert complete_web(fb36, case_id, "bedarfsermittlung", FAMILY).status_code == 302
    steps = [("vermittlung", k201), ("vorgespraech", fb36)]
    for step, client in steps:
        if step == to:
            break
        assert complete_web(client, case_id, step).status_code == 302
    return case_id


def _page(client, app, case_id: int, step: str) -> str:
    task = open_task(app, case_id, step)
    assert task is not None, step
    response = client.get(f"/aufgaben/{task.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _context(page: str) -> str:
    """The task page's context section (between its heading and the task form)."""
    start = page.index('id="task-context-h"')
    return page[start:page.index('class="task-form"', start)]


def test_vermittlung_shows_need_goals_place_and_languages(app, login_as):
    case_id = _case(app, login_as, "vermittlung")
    page = _page(login_as("k201"), app, case_id, "vermittlung")
    context = _context(page)
    for text in ("Begleitung zu Behörden und Kita-Suche", "Kita-Platz beantragt", "Antrag liegt dem Jugendamt vor",
                 "Lindenweg 3, 12345 Musterstadt", "Dari, Paschtu", "Testfamilie Ahorn"):
        assert text in context, text


def test_vorgespraech_shows_goals_and_the_chosen_volunteer(app, login_as):
    case_id = _case(app, login_as, "vorgespraech")
    page = _page(login_as("fb36"), app, case_id, "vorgespraech")
    context = _context(page)
    assert "Ausgewählte Alltagsbegleitung" in context and _name(app, "ehrenamt1") in context
    assert "Kita-Platz beantragt" in context


def test_zwischengespraech_shows_the_rueckmeldungen_since_the_last_one(app, login_as):
    case_id = _case(app, login_as, "")
    k201, volunteer = login_as("k201"), login_as("ehrenamt1")
    assert complete_web(volunteer, case_id, "rueckmeldung",
                        valid_data("rueckmeldung", bericht="Erster Besuch beim Kinderarzt")).status_code == 302
    page = _page(k201, app, case_id, "zwischengespraech")
    assert "Rückmeldungen seit Beginn des Einsatzes" in page and "Erster Besuch beim Kinderarzt" in page
    assert complete_web(k201, case_id, "zwischengespraech").status_code == 302
    assert complete_web(volunteer, case_id, "rueckmeldung",
                        valid_data("rueckmeldung", bericht="Kita-Anmeldung abgegeben", fragen="Wer zahlt?")
                        ).status_code == 302
    page = _page(k201, app, case_id, "zwischengespraech")
    context = _context(page)
    assert "Rückmeldungen seit dem letzten Zwischengespräch" in context
    assert "Kita-Anmeldung abgegeben" in context and "Wer zahlt?" in context
    assert "Erster Besuch beim Kinderarzt" not in context


def test_abschluss_shows_every_goal_with_deadline_and_check(app, login_as):
    case_id = _case(app, login_as, "")
    k201 = login_as("k201")
    assert complete_web(k201, case_id, "zwischengespraech",
                        valid_data("zwischengespraech", abschluss_einleiten=True)).status_code == 302
    page = _page(login_as("fb36"), app, case_id, "abschluss")
    context = _context(page)
    deadline = date.fromisoformat(future(60)).strftime("%d.%m.%Y")
    assert "Kita-Platz beantragt" in context and "Antrag liegt dem Jugendamt vor" in context
    assert deadline in context


def test_a_volunteer_gets_only_the_limited_fields(app, login_as):
    case_id = _case(app, login_as, "vermittlung")
    with app.test_request_context():
        task = db.session.scalar(select(Task).where(Task.instance_id == case_id, Task.bpmn_id == "vermittlung"))
        volunteer = db.session.scalar(select(User).where(User.username == "ehrenamt1"))
        sections = dict(sections_for(task, volunteer, LIMITED))
    assert "bedarf" not in sections  # the need is the professionals' part of the file
    assert sections["familie"]["sprachen"] == "Dari, Paschtu"
    # the team's task page is not theirs; their own report shows the goals, not the need
    volunteer = login_as("ehrenamt1")
    assert volunteer.get(f"/aufgaben/{task.id}").status_code == 404
    assert complete_web(login_as("k201"), case_id, "vermittlung").status_code == 302
    assert complete_web(login_as("fb36"), case_id, "vorgespraech").status_code == 302
    context = _context(_page(volunteer, app, case_id, "rueckmeldung"))
    assert "Kita-Platz beantragt" in context and "Begleitung zu Behörden" not in context


def test_case_header_shows_volunteer_period_and_hours(app, login_as):
    case_id = _case(app, login_as, "")
    with app.test_request_context():
        volunteer = db.session.scalar(select(User).where(User.username == "ehrenamt1"))
        case = instance(app, case_id)
        save_entry(None, db.session.merge(case), volunteer, datum=date.today(), stunden=Decimal("2.5"),
                   kilometer=0, auslagen=0, notiz="")
        db.session.commit()
    start, end = date.today().strftime("%d.%m.%Y"), date.fromisoformat(future(90)).strftime("%d.%m.%Y")
    for username in ("fb36", "k201", "ehrenamt1"):
        page = login_as(username).get(f"/faelle/{case_id}").get_data(as_text=True)
        header = page[page.index('class="facts assignment"'):]
        header = header[:header.index("</dl>")]
        assert _name(app, "ehrenamt1") in header, username
        assert f"{start} – {end}" in header and "3 Stunden pro Woche" in header and "erfasst: 2,5 Stunden" in header
