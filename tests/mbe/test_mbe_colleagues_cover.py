"""Issue 14.7: MBE colleagues and substitutes see what they need, nothing more.

The duplicate check tells a colleague only that the person is a client and who is responsible;
a substitute during an absence works on the covered cases, with the client's contact data only
on the page of a task they work on in cover; after the absence, nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.absence.models import Absence
from app.engine.models import ACTIVE_TASK_STATES, ProcessInstance, Task
from app.extensions import db
from tests.conftest import login
from tests.mbe.conftest import api_login, complete, start, user, with_consent

ADDRESS, PHONE = "Lindenweg 7, 12345 Musterstadt", "0171 5550123"
LINE = "Diese Person ist bereits Klient/in der MBE, zuständig: Nora Rat (MBE)."


@pytest.fixture
def client_case(mbe_app):
    """mbe1's case of the client Jonas Ölberg (born 20.01.1970) with address and phone:
    (case id, reference)."""
    with mbe_app.app_context():
        case = start("mbe1")
        complete(case, "erstkontakt", "mbe1", with_consent("Jonas", "Ölberg", "1970-01-20",
                                                           anschrift=ADDRESS, telefon=PHONE))
        instance = db.session.get(ProcessInstance, case)
        assert instance.data["anschrift"] == ADDRESS and instance.data["telefon"] == PHONE
        return case, instance.reference


def _open_task(app, case_id) -> int:
    """The id of the case's open task after the Erstkontakt (mbe1's personal task)."""
    with app.app_context():
        task = db.session.scalar(select(Task).where(Task.instance_id == case_id,
                                                    Task.status.in_(ACTIVE_TASK_STATES)).order_by(Task.id))
        assert task is not None and task.assignee is not None and task.assignee.username == "mbe1"
        return task.id


def _absence(app, starts: date, ends: date) -> int:
    with app.app_context():
        absence = Absence(user=user("mbe1"), substitute=user("mbe2"), starts_on=starts, ends_on=ends,
                          created_by=user("mbe1"))
        db.session.add(absence)
        db.session.commit()
        return absence.id


def test_colleague_learns_only_who_is_responsible(mbe_app, client_case):
    case, reference = client_case
    page = login(mbe_app.test_client(), "mbe2").get("/mbe/klienten?name=jonas")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert LINE in html
    for secret in ("Ölberg", "20.01.1970", "1970-01-20", reference, "läuft", f"/faelle/{case}", ADDRESS):
        assert secret not in html
    by_date = login(mbe_app.test_client(), "mbe2").get("/mbe/klienten?geburtsdatum=1970-01-20").get_data(as_text=True)
    assert LINE in by_date and "Jonas" not in by_date and reference not in by_date

    # the API gives the colleague nothing either: the case does not exist for them, the search
    # finds neither name nor date of birth, the case list does not hold it
    api = api_login(mbe_app, "mbe2")
    assert api.get(f"/api/v1/process-instances/{case}").status_code == 404
    for q in ("Ölberg", "1970-01-20", "20.01.1970", reference):
        found = api.get(f"/api/v1/search?q={q}")
        assert found.status_code == 200
        body = found.get_data(as_text=True)
        assert reference not in body and "1970" not in body.replace(q, "") and "Ölberg" not in body.replace(q, "")
    listed = api.get("/api/v1/process-instances?process=mbe_beratung").get_data(as_text=True)
    assert reference not in listed and "running" not in listed


@pytest.mark.parametrize("username", ["mbe1", "mbeleitung"])
def test_responsible_counsellor_and_lead_see_the_full_row(mbe_app, client_case, username):
    case, reference = client_case
    html = login(mbe_app.test_client(), username).get("/mbe/klienten?name=jonas").get_data(as_text=True)
    assert "Jonas Ölberg" in html and "20.01.1970" in html and reference in html and "läuft" in html
    assert f'href="/faelle/{case}"' in html and LINE not in html
    api = api_login(mbe_app, username)
    assert api.get(f"/api/v1/process-instances/{case}").status_code == 200


@pytest.mark.parametrize("username", ["ehrenamt1", "fb36"])
def test_outside_mbe_the_pages_do_not_exist(mbe_app, client_case, username):
    case, _reference = client_case
    client = login(mbe_app.test_client(), username)
    response = client.get("/mbe/klienten?name=jonas")
    assert response.status_code == 404 and "Nora Rat" not in response.get_data(as_text=True)
    assert client.post("/mbe/faelle/neu", data={"team": "mbe"}).status_code == 404
    assert client.get(f"/faelle/{case}").status_code == 404


def test_colleague_cannot_start_a_case_for_another_counsellors_client(mbe_app, client_case):
    case, _reference = client_case
    with mbe_app.app_context():
        from app.mbe import clients

        client_id = clients.client_of(db.session.get(ProcessInstance, case)).id
        count = db.session.query(ProcessInstance).count()
    mbe2 = login(mbe_app.test_client(), "mbe2")
    assert mbe2.post("/mbe/faelle/neu", data={"client_id": str(client_id), "team": "mbe"}).status_code == 404
    with mbe_app.app_context():
        assert db.session.query(ProcessInstance).count() == count  # nothing started, no draft with the DOB


def test_substitute_sees_contact_data_only_on_the_cover_task(mbe_app, client_case):
    app = mbe_app
    case, reference = client_case
    task_id = _open_task(app, case)
    mbe2 = login(app.test_client(), "mbe2")
    # before the absence: the colleague's case does not exist for mbe2
    assert mbe2.get(f"/faelle/{case}").status_code == 404
    assert mbe2.get(f"/aufgaben/{task_id}").status_code == 404

    today = date.today()
    absence_id = _absence(app, today - timedelta(days=1), today + timedelta(days=5))
    view = mbe2.get(f"/faelle/{case}")
    assert view.status_code == 200
    html = view.get_data(as_text=True)
    assert reference in html and f"/aufgaben/{task_id}" in html  # the case and its task
    assert ADDRESS not in html and PHONE not in html
    data = api_login(app, "mbe2").get(f"/api/v1/process-instances/{case}").get_json()["data"]
    assert "anschrift" not in data and "telefon" not in data and data["herkunftsland"] == "Syrien"
    # the client search is not widened by the cover: still only the line
    search = mbe2.get("/mbe/klienten?name=jonas").get_data(as_text=True)
    assert LINE in search and ADDRESS not in search and PHONE not in search

    task_page = mbe2.get(f"/aufgaben/{task_id}")
    assert task_page.status_code == 200
    page = task_page.get_data(as_text=True)
    assert "Kontaktdaten (Vertretung)" in page and ADDRESS in page and PHONE in page

    # the responsible counsellor keeps everything on the case view; no cover section on her own task
    mbe1 = login(app.test_client(), "mbe1")
    own = mbe1.get(f"/faelle/{case}").get_data(as_text=True)
    assert ADDRESS in own and PHONE in own
    assert "Kontaktdaten (Vertretung)" not in mbe1.get(f"/aufgaben/{task_id}").get_data(as_text=True)

    # the absence ends: no access any more
    with app.app_context():
        from app.absence import services as absence_services

        absence_services.end_absence(db.session.get(Absence, absence_id))
        db.session.commit()
    mbe2 = login(app.test_client(), "mbe2")
    assert mbe2.get(f"/faelle/{case}").status_code == 404
    assert mbe2.get(f"/aufgaben/{task_id}").status_code == 404
    assert api_login(app, "mbe2").get(f"/api/v1/process-instances/{case}").status_code == 404


def test_absence_that_ended_by_itself_gives_no_access(mbe_app, client_case):
    case, _reference = client_case
    task_id = _open_task(mbe_app, case)
    today = date.today()
    _absence(mbe_app, today - timedelta(days=10), today - timedelta(days=1))
    mbe2 = login(mbe_app.test_client(), "mbe2")
    assert mbe2.get(f"/faelle/{case}").status_code == 404
    assert mbe2.get(f"/aufgaben/{task_id}").status_code == 404
