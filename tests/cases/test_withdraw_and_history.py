"""A case started by mistake can be withdrawn by its starter while nothing was done, and then
counts nowhere; a counselling contact is no case in the case lists; the history shows each
entry under its own form's labels with formatted values; nobody is told of a task they gave
themselves."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.engine.models import CaseEvent
from app.extensions import db
from app.notify.models import Notification
from tests.flows import complete_web, instance, open_task, start_case_web, valid_data
from tests.statistics.helpers import contact
from tests.volunteers.helpers import running_case, user_id

CONFIRM = {"bestaetigung": "y"}


def _withdraw(client, case_id: int, data=CONFIRM):
    return client.post(f"/faelle/{case_id}/zurueckziehen", data=data)


def test_starter_withdraws_a_case_started_by_mistake(app, login_as):
    fb36 = login_as("fb36")
    case_id = start_case_web(fb36)
    first = open_task(app, case_id, "bedarfsermittlung")
    assert "Fall zurückziehen" in fb36.get(f"/aufgaben/{first.id}").get_data(as_text=True)
    assert "Fall zurückziehen" in fb36.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert fb36.get(f"/faelle/{case_id}/zurueckziehen").status_code == 200
    # the confirmation is required: nothing changes without it
    response = _withdraw(fb36, case_id, {})
    assert response.status_code == 422 and "Bitte bestätigen" in response.get_data(as_text=True)
    assert instance(app, case_id).status == "running"

    assert _withdraw(fb36, case_id).status_code == 302
    case = instance(app, case_id)
    assert case.status == "terminated" and case.outcome == "zurueckgezogen"
    assert open_task(app, case_id, "bedarfsermittlung") is None
    with app.app_context():
        assert db.session.scalar(select(CaseEvent.kind).where(CaseEvent.instance_id == case_id)
                                 .order_by(CaseEvent.id.desc()).limit(1)) == "withdrawn"
    assert f"/faelle/{case_id}\"" not in fb36.get("/faelle").get_data(as_text=True)
    assert "Fall zurückgezogen" in fb36.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert f"/monitor/faelle/{case_id}\"" not in login_as("leitung").get("/monitor").get_data(as_text=True)


@pytest.mark.parametrize("username, status", [
    ("fb36fh", 404), ("k201", 403), ("fb31", 404), ("mbe1", 404), ("leitung", 403), ("ehrenamt1", 404)])
def test_others_may_not_withdraw(app, login_as, username, status):
    case_id = start_case_web(login_as("fb36"))
    assert _withdraw(login_as(username), case_id).status_code == status
    assert instance(app, case_id).status == "running"


def test_a_colleague_of_the_team_may_not_withdraw(app, login_as, ctx):
    """Another member of the starter's team sees the case but did not start it (403)."""
    from app.auth.models import Membership, Team
    from tests.factories import user

    team = db.session.scalar(select(Team).where(Team.key == "asd"))
    db.session.add(Membership(user_id=user("fb36fh").id, team_id=team.id, kind="member"))
    db.session.commit()
    case_id = start_case_web(login_as("fb36"))
    response = _withdraw(login_as("fb36fh"), case_id)
    assert response.status_code == 403
    assert instance(app, case_id).status == "running"


def test_no_withdrawal_after_work_was_done(app, login_as):
    fb36 = login_as("fb36")
    case_id = start_case_web(fb36)
    assert complete_web(fb36, case_id, "bedarfsermittlung").status_code == 302
    response = _withdraw(fb36, case_id)
    assert response.status_code == 409
    assert "bereits daran gearbeitet" in response.get_data(as_text=True)
    assert "Fall zurückziehen" not in fb36.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert instance(app, case_id).status == "running"


def test_withdrawn_cases_and_contacts_are_not_begonnene_faelle(app, login_as, ctx):
    from app.counselling import services as counselling
    from app.statistics.services import _cases_closed, _cases_started
    from app.timeutil import utcnow
    from tests.factories import user

    fb36 = login_as("fb36")
    kept, gone = start_case_web(fb36), start_case_web(fb36)
    assert _withdraw(fb36, gone).status_code == 302
    from app.auth.models import Team

    k201 = db.session.scalar(select(Team).where(Team.key == "k201"))
    counselling.capture(counselling.process_model(), user("k201"), k201, contact())
    db.session.commit()
    from datetime import timedelta

    from app.engine.models import ProcessInstance

    start, end = utcnow() - timedelta(days=1), utcnow() + timedelta(days=1)
    started = _cases_started(ProcessInstance.id.is_not(None), start, end)
    assert started == [{"process": "alltagsbegleitung", "name": "Alltagsbegleitung", "count": 1}], started
    assert _cases_closed(ProcessInstance.id.is_not(None), start, end) == []
    assert kept
    # the counselling contact is no case in /faelle, but still a contact
    assert "BK-" not in login_as("k201").get("/faelle").get_data(as_text=True)


def test_history_uses_each_forms_own_labels_and_formats_values(app, login_as):
    case_id = running_case(login_as)
    assert login_as("k201").post(f"/faelle/{case_id}/krise",
                                 data={"beschreibung": "Streit", "dringlichkeit": "hoch"}).status_code == 302
    page = login_as("fb36").get(f"/faelle/{case_id}").get_data(as_text=True)
    timeline = page.split('id="timeline-h"', 1)[1]
    crisis = timeline.split("Krise gemeldet", 1)[1].split("</li>", 1)[0]
    assert "Was ist passiert?" in crisis and "Dringlichkeit" in crisis
    assert "Ziel (detailliert" not in crisis
    assert not re.search(r"\d{4}-\d\d-\d\dT", timeline)  # no ISO timestamps
    assert "hoch – sofortige Reaktion nötig" in crisis
    assert "Sam Koordinata (201)" in crisis  # the reporter by name, not by user name


def test_history_hides_technical_fields_and_formats_numbers(app, ctx):
    from app.cases.history import entry
    from app.engine.models import CaseEvent, Task

    task = Task(form_key="alltagsbegleitung.vorgespraech", title="Vorgespräch")
    event = CaseEvent(id=1, kind="task_completed", title="Vorgespräch", task=task)
    shown = entry(event, {"stunden_pro_woche": 1.5096, "jahre_seit_einreise": 1.5096,
                          "beginn": "2026-12-04", "teilnehmende": ["eltern"]}).data
    assert "jahre_seit_einreise" not in str(shown)
    assert shown[next(k for k in shown if "Stunden" in k)] == "1,51"
    assert "04.12.2026" in shown.values()


def test_nobody_is_told_of_a_task_they_gave_themselves(app, login_as):
    fb36 = login_as("fb36")
    case_id = start_case_web(fb36)  # the Bedarfsermittlung lands in fb36's own inbox
    with app.app_context():
        own = db.session.scalars(select(Notification).where(Notification.user_id == user_id(app, "fb36"))).all()
        assert own == []
    # the next step goes to 201, who are told
    assert complete_web(fb36, case_id, "bedarfsermittlung", valid_data("bedarfsermittlung")).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Notification).where(Notification.user_id == user_id(app, "k201"))).all()


def test_supervisor_reassigning_a_task_to_themself_is_not_told(app, login_as, ctx):
    from app.engine.interventions import reassign
    from tests.factories import open_task as open_row
    from tests.factories import user

    case_id = start_case_web(login_as("fb36"))
    task = open_row(case_id, "bedarfsermittlung")
    reassign(task, user("leitung"), "Urlaub", user=user("leitung"))
    reassign(task, user("leitung"), "zurück", user=user("fb36"))
    db.session.commit()
    mine = db.session.scalars(select(Notification).where(Notification.user_id == user("leitung").id)).all()
    told = db.session.scalars(select(Notification).where(Notification.user_id == user("fb36").id)).all()
    assert mine == [] and len(told) == 1
