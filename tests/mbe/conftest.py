"""MBE test helpers: the mbe_beratung model (the shipped one once it and its forms exist,
else the minimal stand-in in fixtures/), starting and driving cases through the engine service."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from app.engine import service
from app.engine.models import ProcessInstance, ProcessModel
from app.extensions import db
from app.mbe import clients
from app.mbe.models import Client
from tests import factories
from tests.factories import ApiClient, api_client

FIXTURE = Path(__file__).parent / "fixtures" / "mbe_minimal.bpmn"
ALL_ROLES = ["fb36", "fb36fh", "fb31", "k201", "ehrenamt1", "ehrenamt2", "mbe1", "mbe2", "mbeleitung",
             "leitung", "prozess", "admin"]


def _real_model_ready() -> bool:
    import forms

    model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == "mbe_beratung"))
    return model is not None and bool(model.versions) and "mbe.erstkontakt" in forms.FORMS


def _install_stand_in(monkeypatch) -> None:
    """The fixture BPMN under the key mbe_beratung, with a minimal Erstkontakt form (test only)."""
    from wtforms import StringField

    import forms
    from forms.base import TaskForm

    class StandIn(TaskForm):
        notiz = StringField("Notiz")

    for step in ("erstkontakt", "verweisberatung", "beratung", "ueberpruefung", "abschluss"):
        if f"mbe.{step}" not in forms.FORMS:
            monkeypatch.setitem(forms.FORMS, f"mbe.{step}", StandIn)
    model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == "mbe_beratung"))
    if model is None:
        model = ProcessModel(key="mbe_beratung", name="Migrationsberatung (MBE)", start_departments="MBE",
                             start_role="mbe", reference_prefix="MBE", confidential=True)
        db.session.add(model)
        db.session.flush()
    model.confidential = True
    service.import_version(model, FIXTURE.read_text(encoding="utf-8"), None, "Testmodell")
    db.session.commit()


@pytest.fixture
def mbe_app(app, monkeypatch):
    """The app with a startable, confidential mbe_beratung model."""
    with app.app_context():
        if not _real_model_ready():
            _install_stand_in(monkeypatch)
        model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == "mbe_beratung"))
        assert model.confidential
    return app


user = factories.user
open_task = factories.open_task
complete = factories.complete


def start(username: str = "mbe1", client_id: int | None = None) -> int:
    """Start an MBE case as ``username`` (in an app context); returns its id."""
    instance_id = factories.start_case(username, "mbe_beratung", "mbe")
    if client_id is not None:
        clients.set_client(db.session.get(ProcessInstance, instance_id), db.session.get(Client, client_id))
        db.session.commit()
    return instance_id


def erstkontakt(**overrides) -> dict:
    """Contract data of an Erstkontakt (personal data only with consent)."""
    data = {
        "erstkontakt_datum": date.today().isoformat(), "zugangsweg": "persoenlich",
        "anliegen": "Fragen zum Aufenthalt", "beratungssprache": "arabisch",
        "alter": 35, "geschlecht": "w", "herkunftsland": "Syrien", "aufenthaltsstatus": "p44",
        "einreise_oder_titel_datum": date(date.today().year - 1, 1, 15).isoformat(), "jahre_seit_einreise": 1.0,
        "krise": False, "ik_verpflichtet": False, "freie_kapazitaet": True,
        "einwilligung": False,
    }
    data.update(overrides)
    return data


def with_consent(vorname: str, nachname: str, geburtsdatum: str | None, **overrides) -> dict:
    personal = {"einwilligung": True, "einwilligung_datum": date.today().isoformat(),
                "einwilligung_umfang": ["speicherung", "kontakt"], "einwilligung_form": "schriftlich",
                "vorname": vorname, "nachname": nachname}
    if geburtsdatum:
        personal["geburtsdatum"] = geburtsdatum
    return erstkontakt(**personal, **overrides)


def beratung(themen: list[str], weiter: str = "beratung_fortsetzen", datum: str | None = None) -> dict:
    return {"datum": datum or date.today().isoformat(), "dauer_minuten": 45, "themen": themen,
            "naechste_schritte": "Unterlagen mitbringen", "weiter": weiter,
            "mbe_modus": "case_management" if weiter == "case_management" else "beratung"}


def abschluss(grund: str = "anliegen_geklaert") -> dict:
    return {"datum": date.today().isoformat(), "abschlussgrund": grund, "indikatoren": [],
            "nachhaltigkeit_geprueft": True, "mbe_ergebnis": "abgeschlossen"}


def api_login(app, username: str) -> ApiClient:
    """A client with the person's bearer token (full paths, ``/api/v1/...``)."""
    return api_client(app, username)
