"""Erasure of an MBE case (issue 14, items 3 and 4): the client's name, date of birth, address and
the counselling texts go from every table and from the workflow state; the MBE statistics stay the
same; the running case management goes on to its closing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.engine.models import ProcessInstance
from app.erasure import services as erasure
from app.extensions import db
from app.mbe.models import CaseClient, Client, MbeCaseStat, MbeStatFact
from tests.erasure import helpers as h
from tests.mbe import mbe_steps as s


def personal() -> dict:
    """Computed when used: its date is relative to today (see tests.factories.today)."""
    return {"einwilligung": True, "einwilligung_datum": s.iso(s.today()), "einwilligung_form": "schriftlich",
            "einwilligung_umfang": ["speicherung", "weitergabe", "kontakt"],
            "vorname": "Odalinde", "nachname": h.FAMILY,
            "geburtsdatum": "1988-02-03", "anschrift": "Quittenweg 17", "telefon": "0123 98765",
            "anliegen": "Kitageheimnis"}


@pytest.fixture
def store(tmp_path) -> Path:
    return tmp_path / "documents"


@pytest.fixture
def app(make_app, store):
    return make_app({"DOCUMENT_STORAGE_DIR": str(store)})


def _counts(app) -> tuple:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (MbeCaseStat, MbeStatFact))


def test_erasing_an_mbe_case_leaves_no_personal_value_and_the_case_management_goes_on(app, login_as, store):
    instance_id = s.start(app)
    assert s.complete(app, instance_id, "erstkontakt", s.erstkontakt(**personal())) == {}
    assert s.complete(app, instance_id, "beratung", s.beratung("case_management",
                                                                naechste_schritte="Schrittgeheimnis")) == {}
    assert s.complete(app, instance_id, "assessment", {**s.assessment(), "soziale_situation": "Kitageheimnis"}) == {}
    plan = s.foerderplan(40, 200)
    plan["ziele"][0]["ziel"] = "Zielgeheimnis Sprachkurs"
    assert s.complete(app, instance_id, "foerderplan", plan) == {}
    assert s.complete(app, instance_id, "vereinbarung", s.vereinbarung()) == {}
    with app.test_request_context():
        h.fill_case_file(instance_id, "mbe1")
    with app.app_context():
        assert db.session.get(CaseClient, instance_id) is not None
        text = h.database_text()
    assert {"Odalinde", h.FAMILY, "Quittenweg", "Zielgeheimnis", "Journalgeheimnis", "Termingeheimnis"} <= set(
        h.found_secrets(text))
    stats = _counts(app)
    with app.app_context():
        figures = h.statistics_figures(login_as("leitung"), login_as("mbeleitung"))
    assert len(h.stored_files(store)) == 1

    with app.test_request_context():
        instance = db.session.get(ProcessInstance, instance_id)
        erasure.erase_case(instance, reason=erasure.RETENTION)
        db.session.commit()

    with app.app_context():
        assert h.found_secrets(h.database_text()) == []
        instance = db.session.get(ProcessInstance, instance_id)
        assert "1988-02-03" not in instance.state and "0123 98765" not in instance.state
        assert db.session.get(CaseClient, instance_id) is None
        assert db.session.scalar(select(func.count()).select_from(Client).where(Client.nachname == h.FAMILY)) == 0
        assert instance.data["mbe_modus"] == "case_management" and instance.data["alter"] == 35
        assert [set(z) <= {"bereich", "frist", "status"} for z in instance.data["ziele"]] == [True, True]
        assert h.statistics_figures(login_as("leitung"), login_as("mbeleitung")) == figures
    assert _counts(app) == stats
    assert h.stored_files(store) == []
    page = login_as("mbe1").get(f"/faelle/{instance_id}").get_data(as_text=True)
    assert "Personenbezogene Daten gelöscht am" in page and h.found_secrets(page) == []

    # the timers still find their dates, the review its goals, the case closes
    assert s.fire(app, s.at(40)) == 1
    review = {"ueberpruefung_datum": s.iso(s.today()), "ueberpruefung_ergebnis": "abschliessen",
              "ziele": [{"status": "erreicht"}, {"status": "teilweise"}]}
    assert s.complete(app, instance_id, "ueberpruefung", review) == {}
    assert s.complete(app, instance_id, "abschluss", s.abschluss()) == {}
    instance = s.case(app, instance_id)
    assert instance.status == "completed" and instance.outcome == "abgeschlossen"
    with app.app_context():
        assert h.found_secrets(h.database_text()) == []
