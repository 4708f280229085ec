"""MBE test helpers: the mbe_beratung model (the shipped one once it and its forms exist,
else the minimal stand-in in fixtures/), starting and driving cases through the engine service."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from app.auth.models import Team, User
from app.engine import service
from app.engine.models import ACTIVE_TASK_STATES, ProcessInstance, ProcessModel, Task
from app.extensions import db

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


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def start(username: str = "mbe1", client_id: int | None = None) -> int:
    """Start an MBE case as ``username`` (in an app context); returns its id."""
    model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == "mbe_beratung"))
    team = db.session.scalar(select(Team).where(Team.key == "mbe"))
    instance = service.start_instance(model, user(username), team)
    instance.client_id = client_id
    db.session.commit()
    return instance.id


def open_task(instance_id: int, bpmn_id: str) -> Task | None:
    return db.session.scalar(select(Task).where(Task.instance_id == instance_id, Task.bpmn_id == bpmn_id,
                                                Task.status.in_(ACTIVE_TASK_STATES)))


def complete(instance_id: int, bpmn_id: str, username: str, data: dict) -> ProcessInstance:
    task = open_task(instance_id, bpmn_id)
    assert task is not None, f"no open task {bpmn_id}"
    instance = service.complete_task(task, user(username), data)
    db.session.commit()
    return instance


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
                "einwilligung_umfang": ["speicherung"], "einwilligung_form": "schriftlich",
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


class Api:
    """A test client sending one person's bearer token."""

    def __init__(self, client, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, path: str):
        return self.client.get(path, headers=self.headers)

    def post(self, path: str, json=None):
        return self.client.post(path, json=json, headers=self.headers)


def api_login(app, username: str) -> Api:
    client = app.test_client()
    response = client.post("/api/v1/tokens", json={"username": username, "password": "demo"})
    assert response.status_code == 201
    return Api(client, response.get_json()["token"])
