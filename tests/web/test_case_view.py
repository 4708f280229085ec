"""What people read: the case view (timeline, open tasks, goals) and the inbox rows."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.engine.models import ProcessInstance, Task
from app.extensions import db
from tests.flows import complete_web, future, open_task, start_case_web, valid_data

BERLIN = ZoneInfo("Europe/Berlin")
GOAL_1 = "Kita-Platz beantragt"
GOAL_2 = "Termin beim Kinderarzt selbst vereinbart"
BEDARF = "Orientierung im Alltag, Kita-Anmeldung"


def _section(page: str, heading_id: str) -> str:
    match = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', page, re.S)
    assert match, f"section {heading_id} missing"
    return match.group(1)


def _entries(page: str, title: str) -> list[str]:
    """The timeline entries whose heading is ``title`` (each starts with <p><strong>)."""
    timeline = _section(page, "timeline-h")
    parts = timeline.split("<p><strong>")[1:]
    return [p for p in parts if p.startswith(f"{title}</strong>")]


def _shows(entry: str, label: str, value: str) -> bool:
    """The entry lists ``value`` under the German ``label``."""
    return re.search(rf"<dt>{re.escape(label)}</dt>\s*<dd>\s*{re.escape(value)}\s*</dd>", entry) is not None


def _goal_rows(page: str) -> dict[str, str]:
    """Goal text -> status cell of the plan's goals table (app/plans)."""
    match = re.search(r'<section aria-labelledby="plan-h"[^>]*>(.*?)</section>', page, re.S)
    assert match, "plan section missing"
    rows = re.findall(r"<tr[^>]*>\s*<td>(.*?)</td>\s*<td>.*?</td>\s*<td>.*?</td>\s*<td>(.*?)</td>",
                      match.group(1).split('id="plan-history"')[0], re.S)
    return {goal.strip(): re.sub(r"\s+", " ", status).strip() for goal, status in rows}


def _german(d: date) -> str:
    return d.strftime("%d.%m.%Y")


def _bedarf() -> dict:
    return valid_data("bedarfsermittlung", ziele=[
        {"beschreibung": GOAL_1, "frist": future(60), "ueberpruefung": "Antrag liegt vor"},
        {"beschreibung": GOAL_2, "frist": future(90), "ueberpruefung": "Nachfrage beim Arzt"},
    ])


def test_case_view_timeline_tasks_and_goals(app, login_as):
    fb36, k201, volunteer = login_as("fb36"), login_as("k201"), login_as("ehrenamt1")
    case_id = start_case_web(fb36)
    assert complete_web(fb36, case_id, "bedarfsermittlung", _bedarf()).status_code == 302

    page = fb36.get(f"/faelle/{case_id}").data.decode()
    with app.app_context():
        reference = db.session.get(ProcessInstance, case_id).reference
    assert reference in page and "Testfamilie Ahorn" in page

    # timeline: who did which step, when, and what they entered (German labels)
    [entry] = _entries(page, "Bedarfsermittlung")
    assert "Jana Beispiel (ASD)" in entry
    assert re.search(r"\d{2}\.\d{2}\.\d{2}, \d{2}:\d{2}", entry)
    assert _shows(entry, "Festgestellter Bedarf", BEDARF)
    assert _shows(entry, "Familienname / Name", "Testfamilie Ahorn")
    assert _shows(entry, "Ziel (detailliert und konkret)", GOAL_1)
    assert _shows(entry, "Frist", _german(date.today() + timedelta(days=60)))
    assert _shows(entry, "Wie wird die Zielerreichung überprüft?", "Antrag liegt vor")
    assert "bedarf</dt>" not in entry and "ziele</dt>" not in entry  # no raw field names
    assert _entries(page, "Fall angelegt")

    # open tasks: the 201 group's Vermittlung, with its due date
    tasks = _section(page, "tasks-h")
    assert "Vermittlung" in tasks and "Koordinierungsstelle Migration und Teilhabe (201)" in tasks
    due = open_task(app, case_id, "vermittlung").due_at.replace(tzinfo=UTC)
    assert f"fällig {due.astimezone(BERLIN).strftime('%d.%m.%y')}" in tasks
    assert "Bedarfsermittlung" not in tasks

    # goals: both listed, not rated yet
    assert _goal_rows(page) == {GOAL_1: "offen", GOAL_2: "offen"}

    # the rest of the case
    assert complete_web(k201, case_id, "vermittlung").status_code == 302
    assert complete_web(fb36, case_id, "vorgespraech").status_code == 302
    rueckmeldung = {"datum": date.today().isoformat(), "bericht": "Kita besucht."}
    assert complete_web(volunteer, case_id, "rueckmeldung", rueckmeldung).status_code == 302
    page = fb36.get(f"/faelle/{case_id}").data.decode()
    tasks = _section(page, "tasks-h")
    assert "Zwischengespräch" in tasks and "Rückmeldung an 201" in tasks
    assert "Mira Helferin" in tasks  # the volunteer's task is hers, not a group's

    zg = valid_data("zwischengespraech", notizen="Familie kommt gut zurecht.", abschluss_einleiten=True)
    assert complete_web(k201, case_id, "zwischengespraech", zg).status_code == 302
    abschluss = valid_data("abschluss", ergebnis="beenden", zielbewertungen=[
        {"ziel": GOAL_1, "bewertung": "erreicht"},
        {"ziel": GOAL_2, "bewertung": "nicht_erreicht", "kommentar": "Arzt nicht erreichbar"},
    ])
    assert complete_web(fb36, case_id, "abschluss", abschluss).status_code == 302

    page = fb36.get(f"/faelle/{case_id}").data.decode()
    assert 'data-status="completed"' in page and "abgeschlossen" in page
    assert _goal_rows(page) == {GOAL_1: "erreicht",
                                GOAL_2: "nicht erreicht – Arzt nicht erreichbar"}
    assert "Keine offenen Aufgaben." in _section(page, "tasks-h")

    [vermittlung] = _entries(page, "Vermittlung")
    assert "Sam Koordinata (201)" in vermittlung
    assert _shows(vermittlung, "Ehrenamtliche Alltagsbegleitung", "Mira Helferin")
    [zwischen] = _entries(page, "Zwischengespräch")
    assert _shows(zwischen, "Gesprächsnotizen", "Familie kommt gut zurecht.")
    assert _shows(zwischen, "Abschlussgespräch einleiten", "ja")
    [rm] = _entries(page, "Rückmeldung an 201")
    assert "Mira Helferin" in rm and _shows(rm, "Was ist seit der letzten Rückmeldung passiert?",
                                            "Kita besucht.")
    [ab] = _entries(page, "Abschluss")
    assert "Jana Beispiel (ASD)" in ab and _shows(ab, "Ergebnis", "Einsatz beenden")
    assert _shows(ab, "Bewertung", "nicht erreicht") and _shows(ab, "Kommentar", "Arzt nicht erreichbar")
    assert _entries(page, "Fall abgeschlossen")

    # in the order it happened
    timeline = _section(page, "timeline-h")
    order = [timeline.index(f"<strong>{t}</strong>") for t in (
        "Fall angelegt", "Bedarfsermittlung", "Vermittlung", "Vorgespräch", "Zwischengespräch",
        "Abschluss", "Fall abgeschlossen")]
    assert order == sorted(order)


def test_case_view_not_for_outsiders_even_when_completed(app, login_as):
    fb36 = login_as("fb36")
    case_id = start_case_web(fb36)
    assert login_as("fb31").get(f"/faelle/{case_id}").status_code == 404
    assert login_as("mbe1").get(f"/faelle/{case_id}").status_code == 404


# --- inbox rows ----------------------------------------------------------------------------------

def _set_task(app, task_id: int, **values) -> None:
    with app.app_context():
        task = db.session.get(Task, task_id)
        for key, value in values.items():
            setattr(task, key, value)
        db.session.commit()


def _group_rows(client) -> list[str]:
    page = client.get("/aufgaben").data.decode()
    group = _section(page, "group-h")
    return re.findall(r"<tr class=\"[^\"]*\" data-task=.*?</tr>", group, re.S)


def test_inbox_row_shows_reference_step_and_due_date(app, login_as):
    fb36 = login_as("fb36")
    case_id = start_case_web(fb36)
    task = open_task(app, case_id, "bedarfsermittlung")
    _set_task(app, task.id, due_at=datetime(2099, 6, 7, 10, 0, tzinfo=UTC))
    with app.app_context():
        reference = db.session.get(ProcessInstance, case_id).reference
    [row] = _group_rows(fb36)
    assert reference in row
    assert f'href="/faelle/{case_id}"' in row
    assert "Bedarfsermittlung" in row and f'href="/aufgaben/{task.id}"' in row
    assert "FB 36 – Allgemeiner Sozialer Dienst" in row
    assert "07.06.99" in row  # due date (German short format)
    assert "überfällig" not in row and "overdue" not in row


def test_inbox_marks_overdue_tasks(app, login_as):
    fb36 = login_as("fb36")
    case_id = start_case_web(fb36)
    task = open_task(app, case_id, "bedarfsermittlung")
    _set_task(app, task.id, due_at=datetime(2020, 3, 4, 10, 0, tzinfo=UTC))
    [row] = _group_rows(fb36)
    assert "04.03.20" in row
    assert "(überfällig)" in row and 'class="overdue"' in row

    _set_task(app, task.id, due_at=datetime.now(UTC) - timedelta(minutes=5))
    [row] = _group_rows(fb36)
    assert "(überfällig)" in row

    _set_task(app, task.id, due_at=datetime.now(UTC) + timedelta(hours=2))
    [row] = _group_rows(fb36)
    assert "(überfällig)" not in row


def test_inbox_sorted_crisis_then_due_date(app, login_as):
    fb36 = login_as("fb36")
    ids = {}
    for name in ("spaet", "frueh", "ohne", "krise"):
        case_id = start_case_web(fb36)
        ids[name] = open_task(app, case_id, "bedarfsermittlung").id
    _set_task(app, ids["spaet"], due_at=datetime(2099, 1, 1, tzinfo=UTC))
    _set_task(app, ids["frueh"], due_at=datetime(2030, 1, 1, tzinfo=UTC))
    _set_task(app, ids["ohne"], due_at=None)
    _set_task(app, ids["krise"], due_at=datetime(2098, 1, 1, tzinfo=UTC), crisis=True)
    rows = _group_rows(fb36)
    found = [next(n for n, i in ids.items() if f'href="/aufgaben/{i}"' in row) for row in rows]
    assert found == ["krise", "frueh", "spaet", "ohne"]
    assert "Krise" in rows[0]


def test_task_page_shows_case_and_due_date(app, login_as):
    fb36 = login_as("fb36")
    case_id = start_case_web(fb36)
    task = open_task(app, case_id, "bedarfsermittlung")
    _set_task(app, task.id, due_at=datetime(2099, 6, 7, 10, 0, tzinfo=UTC))
    page = fb36.get(f"/aufgaben/{task.id}").data.decode()
    with app.app_context():
        reference = db.session.scalar(select(ProcessInstance.reference))
    assert reference in page and "fällig am 07.06.99" in page


def test_features_add_sections_to_the_case_view_through_case_panels(app, login_as, tmp_path):
    """A receiver of case_panels adds a section with its own context; the template sees the
    case, the reader and the panel's context (the view knows no feature)."""
    from jinja2 import ChoiceLoader, DictLoader

    from app.cases import services as case_services
    from tests.factories import start_case

    app.jinja_loader = ChoiceLoader([app.jinja_loader, DictLoader({
        "_probe_panel.html": '<section id="probe">{{ ctx.word }} {{ instance.reference }} '
                             '{{ current_user.username }} {{ level }}</section>'})])
    app.jinja_env.cache = {}

    def receiver(instance, user=None, level=None, **_kw):
        return case_services.CasePanel("_probe_panel.html", case_services.HISTORY, 10,
                                       {"word": f"Hallo-{user.username}"})

    with app.app_context():
        case_id = start_case()
    case_services.case_panels.connect(receiver)
    try:
        html = login_as("fb36").get(f"/faelle/{case_id}").get_data(as_text=True)
    finally:
        case_services.case_panels.disconnect(receiver)
    assert '<section id="probe">Hallo-fb36 ' in html and " fb36 full</section>" in html


def test_the_volunteer_reads_the_steps_not_the_staffs_records_beside_them(app, login_as):
    """A to-do's title is a staff note ("Jugendamt wegen Kindeswohl anrufen"): the case's volunteer
    sees the steps of the history, not the to-dos, referrals or plan changes beside them."""
    from app.auth.models import User
    from app.engine import service
    from app.engine.models import ProcessInstance
    from tests.volunteers.helpers import running_case

    case_id = running_case(login_as)
    with app.test_request_context():
        instance = db.session.get(ProcessInstance, case_id)
        fb36 = db.session.scalar(select(User).where(User.username == "fb36"))
        service.create_todo(instance, "Jugendamt wegen Kindeswohl anrufen", created_by=fb36, assignee=fb36)
        db.session.commit()
    staff = login_as("fb36").get(f"/faelle/{case_id}").get_data(as_text=True)
    volunteer = login_as("ehrenamt1").get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Jugendamt wegen Kindeswohl anrufen" in staff
    assert "Jugendamt wegen Kindeswohl anrufen" not in volunteer
    assert "Vorgespräch" in volunteer  # the steps stay visible
