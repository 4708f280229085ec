"""Consent that binds contact (issue 14, item 4): phone and address of an MBE client are stored
only with consent to "Kontaktaufnahme per Telefon oder Post", and shown only while it lasts."""

from __future__ import annotations

from datetime import timedelta

from app.engine.models import ProcessInstance
from app.extensions import db
from tests.mbe import mbe_steps as s


def consent() -> dict:
    """Computed when used: its date is relative to today (see tests.factories.today)."""
    return {"einwilligung": True, "einwilligung_datum": s.iso(s.today() - timedelta(days=200)),
            "einwilligung_form": "schriftlich", "vorname": "Lina", "nachname": "Beispielfrau"}


CONTACT = {"telefon": "0151 2345678", "anschrift": "Ahornweg 3, 12345 Musterstadt"}


def test_contact_data_without_contact_consent_are_refused_next_to_the_fields(app):
    instance_id = s.start(app)
    errors = s.complete(app, instance_id, "erstkontakt",
                        s.erstkontakt(**consent(), **CONTACT, einwilligung_umfang=["speicherung"]))
    assert set(errors) == {"telefon", "anschrift"}
    assert "Einwilligung in die Kontaktaufnahme" in str(errors["telefon"])
    assert s.open_tasks(app, instance_id) == ["erstkontakt"]  # nothing stored, the step is still open
    with app.app_context():
        assert "telefon" not in db.session.get(ProcessInstance, instance_id).data


def test_contact_consent_admits_and_shows_them(app, login_as):
    instance_id = s.start(app)
    assert s.complete(app, instance_id, "erstkontakt",
                      s.erstkontakt(**consent(), **CONTACT, einwilligung_umfang=["speicherung", "kontakt"])) == {}
    page = login_as("mbe1").get(f"/faelle/{instance_id}").get_data(as_text=True)
    assert "0151 2345678" in page and "Ahornweg 3" in page


def test_contact_data_are_no_longer_shown_when_the_consent_ended(app, login_as, api_client):
    instance_id = s.start(app)
    assert s.complete(app, instance_id, "erstkontakt", s.erstkontakt(
        **consent(), **CONTACT, einwilligung_umfang=["speicherung", "kontakt"],
        einwilligung_bis=s.iso(s.today() - timedelta(days=1)))) == {}
    page = login_as("mbe1").get(f"/faelle/{instance_id}").get_data(as_text=True)
    assert "Beispielfrau" in page  # the case is still the counsellor's to see ...
    assert "0151 2345678" not in page and "Ahornweg 3" not in page  # ... but no longer to contact
    data = api_client("mbe1").get(f"/api/v1/process-instances/{instance_id}").get_json()["data"]
    assert "telefon" not in data and "anschrift" not in data


def test_sharing_or_contact_without_consent_to_processing_is_refused(app):
    instance_id = s.start(app)
    errors = s.complete(app, instance_id, "erstkontakt",
                        s.erstkontakt(**consent(), einwilligung_umfang=["weitergabe", "kontakt"]))
    assert list(errors) == ["einwilligung_umfang"]
    assert "setzen die Einwilligung in die Speicherung voraus" in errors["einwilligung_umfang"][0]
    assert s.open_tasks(app, instance_id) == ["erstkontakt"]
