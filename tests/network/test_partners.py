"""Partner directory per organisation, permissions per role, referrals from the case view."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.engine.models import CaseEvent
from app.extensions import db
from app.network.models import Partner, PartnerYear, Referral
from tests.volunteers.helpers import running_case

PARTNER = {"name": "Jobcenter Musterstadt", "typ": "jobcenter", "anschrift": "Hauptstraße 1",
           "intensitaet": "3", "wichtigkeit": "2", "notiz": "",
           "kontakte-0-name": "Frau Beispiel", "kontakte-0-funktion": "Fallmanagement",
           "kontakte-0-telefon": "0000 123", "kontakte-0-email": "beispiel@example.org"}


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _partner_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Partner.id).where(Partner.name == name))


def test_201_creates_a_partner_with_contact_and_year_rating(app, login_as):
    k201 = login_as("k201")
    assert k201.post("/netzwerk/partner/neu", data=PARTNER).status_code == 302
    page = k201.get("/netzwerk/partner").get_data(as_text=True)
    assert "Jobcenter Musterstadt" in page and "Frau Beispiel (Fallmanagement)" in page and "eng (3)" in page
    with app.app_context():
        row = db.session.scalar(select(PartnerYear))
        assert (row.name, row.typ, row.intensitaet, row.wichtigkeit) == ("Jobcenter Musterstadt", "jobcenter", 3, 2)
    # the FB 36 colleague of the same organisation reads it, read-only
    fb36 = login_as("fb36")
    assert "Jobcenter Musterstadt" in fb36.get("/netzwerk/partner").get_data(as_text=True)
    detail = fb36.get(f"/netzwerk/partner/{_partner_id(app, 'Jobcenter Musterstadt')}").get_data(as_text=True)
    assert "Frau Beispiel" in detail and "<form method=\"post\" novalidate" not in detail


def test_directories_of_the_two_organisations_are_separate(app, login_as):
    login_as("k201").post("/netzwerk/partner/neu", data=PARTNER)
    login_as("mbe1").post("/netzwerk/partner/neu", data={**PARTNER, "name": "Sprachschule Beispiel",
                                                         "typ": "integrationskurs"})
    mbe = login_as("mbe1").get("/netzwerk/partner").get_data(as_text=True)
    assert "Sprachschule Beispiel" in mbe and "Jobcenter Musterstadt" not in mbe
    kommune = login_as("k201").get("/netzwerk/partner").get_data(as_text=True)
    assert "Jobcenter Musterstadt" in kommune and "Sprachschule Beispiel" not in kommune
    foreign = _partner_id(app, "Sprachschule Beispiel")
    k201 = login_as("k201")
    assert k201.get(f"/netzwerk/partner/{foreign}").status_code == 404
    assert k201.post(f"/netzwerk/partner/{foreign}", data={**PARTNER, "name": "Übernommen"}).status_code == 404
    assert _partner_id(app, "Übernommen") is None


@pytest.mark.parametrize("username", ["ehrenamt1", "prozess", "admin"])
def test_no_directory_for_volunteers_process_owners_admins(app, login_as, username):
    login_as("k201").post("/netzwerk/partner/neu", data=PARTNER)
    client = login_as(username)
    pid = _partner_id(app, "Jobcenter Musterstadt")
    for url in ("/netzwerk/partner", f"/netzwerk/partner/{pid}", "/netzwerk/karte", "/netzwerk/karte/2025.svg",
                "/netzwerk/karte/2025.csv"):
        assert client.get(url).status_code == 403, url
    assert client.post("/netzwerk/partner/neu", data={**PARTNER, "name": "X"}).status_code == 403
    assert "/netzwerk/partner" not in client.get("/aufgaben").get_data(as_text=True)
    assert _count(app, Partner) == 1


@pytest.mark.parametrize("username", ["fb36", "fb31"])
def test_fb_staff_read_but_may_not_edit(app, login_as, username):
    login_as("k201").post("/netzwerk/partner/neu", data=PARTNER)
    pid = _partner_id(app, "Jobcenter Musterstadt")
    client = login_as(username)
    assert client.get("/netzwerk/partner").status_code == 200
    assert client.get("/netzwerk/partner/neu").status_code == 403
    assert client.post("/netzwerk/partner/neu", data={**PARTNER, "name": "X"}).status_code == 403
    assert client.post(f"/netzwerk/partner/{pid}", data={**PARTNER, "intensitaet": "1"}).status_code == 403
    assert client.post("/netzwerk/karte/2025/uebernehmen").status_code == 403
    with app.app_context():
        assert db.session.get(Partner, pid).intensitaet == 3
    assert _count(app, Partner) == 1


def test_bad_partner_input(app, login_as):
    response = login_as("k201").post("/netzwerk/partner/neu", data={
        "name": "", "typ": "geheimdienst", "intensitaet": "7", "kontakte-0-name": "",
        "kontakte-0-email": "keine-adresse"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    for field in ("name", "typ", "intensitaet", "wichtigkeit"):
        assert f'id="{field}-error"' in text, field
    assert "Bitte eine gültige E-Mail-Adresse angeben." in text
    assert _count(app, Partner) == 0


def test_referral_from_the_case_view_goes_into_the_history(app, login_as):
    login_as("k201").post("/netzwerk/partner/neu", data=PARTNER)
    pid = _partner_id(app, "Jobcenter Musterstadt")
    case_id = running_case(login_as)
    fb36 = login_as("fb36")
    view = fb36.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Partner einbinden / Verweis" in view and f'value="{pid}"' in view
    response = fb36.post(f"/faelle/{case_id}/verweis", data={"partner": str(pid), "anlass": "Antrag Bürgergeld"})
    assert response.status_code == 302
    view = fb36.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Partner eingebunden: Jobcenter Musterstadt" in view and "Antrag Bürgergeld" in view
    with app.app_context():
        assert db.session.scalar(select(CaseEvent.kind).where(CaseEvent.instance_id == case_id)
                                 .order_by(CaseEvent.id.desc())) == "referral"
    # the volunteer (LIMITED) sees neither the section nor the history entry, and may not refer
    mira = login_as("ehrenamt1")
    limited = mira.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Partner einbinden" not in limited and "Jobcenter Musterstadt" not in limited
    assert mira.post(f"/faelle/{case_id}/verweis", data={"partner": str(pid)}).status_code == 403
    # outsiders: the case does not exist for them
    assert login_as("fb31").post(f"/faelle/{case_id}/verweis", data={"partner": str(pid)}).status_code == 404
    assert _count(app, Referral) == 1


def test_referral_to_a_foreign_partner_is_refused(app, login_as):
    login_as("mbe1").post("/netzwerk/partner/neu", data={**PARTNER, "name": "Fremd"})
    case_id = running_case(login_as)
    response = login_as("fb36").post(f"/faelle/{case_id}/verweis", data={"partner": str(_partner_id(app, "Fremd"))})
    assert response.status_code == 303
    assert _count(app, Referral) == 0
