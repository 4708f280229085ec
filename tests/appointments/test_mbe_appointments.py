"""Appointments of a confidential MBE case: the reviews are offered; only the counsellor and the
MBE lead book; the other counsellor does not see the case."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.engine.models import ProcessInstance
from app.extensions import db
from tests.mbe import mbe_steps as s


@pytest.fixture
def mbe_case(app):
    instance_id = s.start(app)
    assert s.complete(app, instance_id, "erstkontakt", s.erstkontakt()) == {}
    assert s.complete(app, instance_id, "beratung", s.beratung("case_management")) == {}
    assert s.complete(app, instance_id, "assessment", s.assessment()) == {}
    assert s.complete(app, instance_id, "foerderplan", s.foerderplan(40, 200)) == {}
    assert s.complete(app, instance_id, "vereinbarung", s.vereinbarung()) == {}
    return instance_id


def test_the_next_review_is_offered_while_the_case_waits_for_it(app, login_as, mbe_case):
    from app.appointments import services

    with app.test_request_context():
        instance = db.session.get(ProcessInstance, mbe_case)
        offered = {o.kind: o.day for o in services.offers(instance, [])}
        assert services.client_language(instance) == "Arabisch"
    assert offered == {"ueberpruefung": s.today() + timedelta(days=40)}
    html = login_as("mbe1").get(f"/faelle/{mbe_case}").get_data(as_text=True)
    assert "Termin für Überprüfung des Förderplans anlegen" in html

    with app.test_request_context():  # a review date of an earlier round: the armed timer dates it
        instance = db.session.get(ProcessInstance, mbe_case)
        instance.data = {**instance.data, "naechste_ueberpruefung": (s.today() - timedelta(days=3)).isoformat()}
        offered = {o.kind: o.day for o in services.offers(instance, [])}
        assert offered == {"ueberpruefung": services.local_day(instance.next_timer_due)}
        db.session.rollback()


@pytest.mark.parametrize("username, status", [("mbe1", 302), ("mbeleitung", 302), ("mbe2", 404), ("fb36", 404),
                                              ("leitung", 404)])
def test_only_the_counsellor_and_the_lead_book(app, login_as, mbe_case, username, status):
    data = {"kind": "ueberpruefung", "starts_at": "2030-03-04T10:00", "ends_at": "2030-03-04T11:00",
            "place": "Beratungsstelle", "participants": [username]}
    response = login_as(username).post(f"/faelle/{mbe_case}/termine/neu", data=data)
    assert response.status_code == status
