"""MBE cases leave no access behind (issue 14, item 2): a task reassigned to a colleague and
back or done, the handover, the end of an absence cover — each demo account sees the case exactly
as the rules say (the observer of tests/monitor/test_left_behind_access.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.absence import services as absence_services
from app.absence.models import Absence
from app.auth.models import User
from app.extensions import db
from tests.mbe.conftest import beratung, complete, erstkontakt, open_task, start
from tests.monitor.test_left_behind_access import Observer, reassign_select, url


@pytest.fixture
def observer(app, login_as, api_client):
    return Observer(login_as, api_client)


# --- MBE: reassigning to a colleague, the handover, an absence cover ------------------------

MBE_CASE = {"mbe1", "mbeleitung"}
THEMEN = ["arbeit"]


@pytest.fixture
def mbe_case(mbe_app):
    with mbe_app.app_context():
        case_id = start("mbe1")
        complete(case_id, "erstkontakt", "mbe1", erstkontakt())
    return case_id


def test_mbe_reassign_to_a_colleague_back_and_done(mbe_app, mbe_case, login_as, observer):
    case_id = mbe_case
    lead = login_as("mbeleitung")
    assert observer.who_sees(case_id) == MBE_CASE
    page = lead.get(f"/monitor/faelle/{case_id}").get_data(as_text=True)
    assert reassign_select(page) == ({"mbe1", "mbe2"}, set())  # counsellors of the MBE team, no group
    task = open_task_of(mbe_app, case_id, "beratung")

    def give(person: str) -> None:
        response = lead.post(url(case_id, "reassign"), data={"reassign-aufgabe": task.id,
                                                             "reassign-person": person, "reassign-grund": "Urlaub"})
        assert response.status_code == 302

    give("mbe2")
    assert observer.who_sees(case_id) == MBE_CASE | {"mbe2"}
    assert login_as("mbe2").get(f"/aufgaben/{task.id}").status_code == 200
    give("mbe1")
    assert observer.who_sees(case_id) == MBE_CASE  # taken off: gone at once

    give("mbe2")
    with mbe_app.app_context():
        complete(case_id, "beratung", "mbe2", beratung(THEMEN))
    assert observer.who_sees(case_id) == MBE_CASE  # done: the next step is mbe1's again

    give_next = open_task_of(mbe_app, case_id, "beratung")
    assert give_next.id != task.id and give_next.assignee_id == task.assignee_id  # mbe1's again
    assert lead.post(url(case_id, "reassign"), data={"reassign-aufgabe": give_next.id, "reassign-person": "mbe2",
                                                     "reassign-grund": "x"}).status_code == 302
    assert lead.post(url(case_id, "terminate"), data={"terminate-grund": "Ende"}).status_code == 302
    assert observer.who_sees(case_id) == MBE_CASE


def test_mbe_handover_and_back(mbe_app, mbe_case, login_as, observer):
    case_id = mbe_case
    mbe1 = login_as("mbe1")
    assert mbe1.post(f"/mbe/faelle/{case_id}/uebergabe", data={"an": "mbe2", "grund": "Wechsel"}).status_code == 302
    assert observer.who_sees(case_id) == {"mbe2", "mbeleitung"}
    mbe2 = login_as("mbe2")
    assert mbe2.post(f"/mbe/faelle/{case_id}/uebergabe", data={"an": "mbe1", "grund": "zurück"}).status_code == 302
    assert observer.who_sees(case_id) == MBE_CASE


def test_absence_cover_ends_and_the_substitute_sees_nothing_more(mbe_app, mbe_case, login_as, observer):
    case_id = mbe_case
    with mbe_app.app_context():
        mbe1 = db.session.scalar(select(User).where(User.username == "mbe1"))
        mbe2 = db.session.scalar(select(User).where(User.username == "mbe2"))
        absence = Absence(user=mbe1, substitute=mbe2, starts_on=date.today() - timedelta(days=1),
                          ends_on=date.today() + timedelta(days=3), created_by=mbe1)
        db.session.add(absence)
        db.session.commit()
        absence_id = absence.id
    assert observer.who_sees(case_id) == MBE_CASE | {"mbe2"}  # covering mbe1's open task
    with mbe_app.app_context():
        complete(case_id, "beratung", "mbe2", beratung(THEMEN))  # worked on it as the substitute
    assert observer.who_sees(case_id) == MBE_CASE | {"mbe2"}  # the next task is mbe1's: still covered
    with mbe_app.test_request_context():
        absence_services.end_absence(db.session.get(Absence, absence_id))
        db.session.commit()
    assert observer.who_sees(case_id) == MBE_CASE




def open_task_of(app, case_id: int, step: str):
    with app.app_context():
        task = open_task(case_id, step)
        db.session.expunge(task)
        return task
