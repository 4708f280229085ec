"""Clients: searched before a new case, created only with consent, never duplicated."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from app.auth.models import Organisation, Team
from app.engine.models import ProcessInstance, Task
from app.extensions import db
from app.mbe import clients
from app.mbe.models import Client
from tests.conftest import login
from tests.mbe.conftest import complete, erstkontakt, start, with_consent


def _clients(app) -> list[tuple[str, str, date | None]]:
    with app.app_context():
        return [(c.vorname, c.nachname, c.geburtsdatum) for c in db.session.scalars(select(Client).order_by(Client.id))]


def _client_id(app, case_id) -> int | None:
    """The id of the case's client (app/mbe owns the link); None for an anonymous case."""
    with app.app_context():
        client = clients.client_of(db.session.get(ProcessInstance, case_id))
        return client.id if client is not None else None


def _case(app, case_id) -> ProcessInstance:
    with app.app_context():
        instance = db.session.get(ProcessInstance, case_id)
        db.session.expunge(instance)
        return instance


def test_without_consent_no_client_and_no_personal_data(mbe_app):
    with mbe_app.app_context():
        case = start("mbe1")
        complete(case, "erstkontakt", "mbe1", erstkontakt(einwilligung=False))
    instance = _case(mbe_app, case)
    assert _client_id(mbe_app, case) is None
    assert _clients(mbe_app) == []
    assert not {"vorname", "nachname", "geburtsdatum", "anschrift", "telefon"} & set(instance.data)
    assert instance.data["alter"] == 35 and instance.data["herkunftsland"] == "Syrien"  # anonymous facts stay


def test_consent_creates_one_client_and_a_second_case_reuses_it(mbe_app):
    app = mbe_app
    with app.app_context():
        first = start("mbe1")
        complete(first, "erstkontakt", "mbe1", with_consent("Leyla", "Müller-Demir", "1979-03-02"))
        # a second case started without searching: same person → linked, not duplicated
        second = start("mbe2")
        complete(second, "erstkontakt", "mbe2", with_consent(" leyla ", "MÜLLER-DEMIR", "1979-03-02"))
        # a different person with the same name but another date of birth is another client
        third = start("mbe1")
        complete(third, "erstkontakt", "mbe1", with_consent("Leyla", "Müller-Demir", "1985-07-07"))
    assert _clients(app) == [("Leyla", "Müller-Demir", date(1979, 3, 2)), ("Leyla", "Müller-Demir", date(1985, 7, 7))]
    assert _client_id(app, first) == _client_id(app, second) != _client_id(app, third)
    assert _client_id(app, first) is not None


def test_search_page_finds_client_with_earlier_cases_and_starts_new_case(mbe_app):
    app = mbe_app
    with app.app_context():
        old = start("mbe1")
        complete(old, "erstkontakt", "mbe1", with_consent("Jonas", "Ölberg", "1970-01-20"))
        old_ref = db.session.get(ProcessInstance, old).reference
        client_id = clients.client_of(db.session.get(ProcessInstance, old)).id
        # a client of another organisation with the same name is never found
        other_org = Organisation(key="anderer", name="Anderer Träger")
        other_team = Team(key="mbe_x", name="MBE anderswo", department="MBE", organisation=other_org)
        db.session.add_all([other_org, other_team])
        db.session.flush()
        db.session.add(Client(organisation_id=other_org.id, team_id=other_team.id, vorname="Jonas",
                              nachname="Ölberg", vorname_norm="jonas", nachname_norm="olberg"))
        db.session.commit()

    mbe2 = login(app.test_client(), "mbe2")
    page = mbe2.get("/mbe/klienten?name=oelb").get_data(as_text=True)
    # a colleague learns only that the person is a client and who is responsible (issue 14.7)
    assert "Treffer (1)" in page and "Diese Person ist bereits Klient/in der MBE, zuständig: Nora Rat (MBE)." in page
    assert "Ölberg" not in page and old_ref not in page and "20.01.1970" not in page
    by_date = mbe2.get("/mbe/klienten?geburtsdatum=20.01.1970").get_data(as_text=True)
    assert "Treffer (1)" in by_date and "zuständig: Nora Rat" in by_date
    assert "Treffer (0)" in mbe2.get("/mbe/klienten?name=jonas&geburtsdatum=1970-01-21").get_data(as_text=True)
    lead_page = login(app.test_client(), "mbeleitung").get("/mbe/klienten?name=JON").get_data(as_text=True)
    assert f'href="/faelle/{old}"' in lead_page and "Jonas Ölberg" in lead_page  # the lead sees the team's cases
    mbe1 = login(app.test_client(), "mbe1")
    own = mbe1.get("/mbe/klienten?name=oelb").get_data(as_text=True)
    assert "Jonas Ölberg" in own and old_ref in own and "Nora Rat" in own and f'href="/faelle/{old}"' in own

    # a colleague cannot start a case for (and so read the data of) another counsellor's client
    assert mbe2.post("/mbe/faelle/neu", data={"client_id": str(client_id), "team": "mbe"}).status_code == 404
    started = mbe1.post("/mbe/faelle/neu", data={"client_id": str(client_id), "team": "mbe"})
    assert started.status_code == 302
    task_id = int(re.search(r"/aufgaben/(\d+)", started.headers["Location"]).group(1))
    with app.app_context():
        new_case = db.session.get(Task, task_id).instance
        assert clients.client_of(new_case).id == client_id and new_case.started_by.username == "mbe1"
        assert db.session.get(Task, task_id).draft == {"vorname": "Jonas", "nachname": "Ölberg",
                                                        "geburtsdatum": "1970-01-20"}
        complete(new_case.id, "erstkontakt", "mbe1", with_consent("Jonas", "Ölberg", "1970-01-20"))
        assert db.session.scalar(select(func.count()).select_from(Client)) == 2  # ours + the other org's
    after = mbe1.get("/mbe/klienten?name=olberg").get_data(as_text=True)  # accents and umlauts both ways
    assert "Treffer (1)" in after and after.count("/faelle/") >= 2


def test_anonymous_case_from_the_search_page(mbe_app):
    app = mbe_app
    mbe1 = login(app.test_client(), "mbe1")
    page = mbe1.get("/mbe/klienten").get_data(as_text=True)
    assert "Neuen Fall ohne vorhandene Person beginnen" in page
    response = mbe1.post("/mbe/faelle/neu", data={"team": "mbe"})
    assert response.status_code == 302
    with app.app_context():
        instance = db.session.scalar(select(ProcessInstance))
        assert clients.client_of(instance) is None and instance.started_by.username == "mbe1"


def test_search_needs_a_criterion(mbe_app):
    page = login(mbe_app.test_client(), "mbe1").get("/mbe/klienten?name=&geburtsdatum=")
    assert page.status_code == 422
    assert "Bitte einen Namen oder ein Geburtsdatum angeben." in page.get_data(as_text=True)
    bad = login(mbe_app.test_client(), "mbe1").get("/mbe/klienten?geburtsdatum=31.02.1990")
    assert bad.status_code == 422


def test_start_for_unknown_client_changes_nothing(mbe_app):
    mbe1 = login(mbe_app.test_client(), "mbe1")
    assert mbe1.post("/mbe/faelle/neu", data={"client_id": "9999", "team": "mbe"}).status_code == 404
    with mbe_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ProcessInstance)) == 0


@pytest.mark.parametrize("username", ["fb36", "fb36fh", "fb31", "k201", "ehrenamt1", "ehrenamt2", "leitung",
                                      "prozess", "admin"])
def test_client_pages_do_not_exist_outside_mbe(mbe_app, username):
    with mbe_app.app_context():
        case = start("mbe1")
        complete(case, "erstkontakt", "mbe1", with_consent("Rana", "Geheim", "1990-01-01"))
    client = login(mbe_app.test_client(), username)
    response = client.get("/mbe/klienten?name=geheim")
    assert response.status_code == 404 and b"Geheim" not in response.data
    assert client.post("/mbe/faelle/neu", data={"team": "mbe"}).status_code == 404
    assert b"Klient/innen" not in client.get("/aufgaben").data  # no menu entry


def test_mbe_lead_cannot_start_cases(mbe_app):
    lead = login(mbe_app.test_client(), "mbeleitung")
    page = lead.get("/mbe/klienten").get_data(as_text=True)
    assert "Neuen Fall ohne vorhandene Person beginnen" not in page
    assert lead.post("/mbe/faelle/neu", data={"team": "mbe"}).status_code == 403
