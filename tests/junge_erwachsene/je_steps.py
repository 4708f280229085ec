"""Valid input for each step of junge_erwachsene and drivers through the engine service (as the
API validates: JSON Schema, then the WTForms class)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.auth.models import Team, User
from app.cases.taskforms import build_form
from app.engine import service
from app.engine.models import ACTIVE_TASK_STATES, BPMN_TASK, ProcessInstance, ProcessModel, Task
from app.extensions import db
from forms import form_errors, form_schema, validate_json
from tests.factories import today

KEY = "junge_erwachsene"


def iso(day: date) -> str:
    return day.isoformat()


def born(years: int, extra_days: int = 0) -> str:
    """A birth date ``years`` years (plus ``extra_days`` days) before today."""
    now = today()
    try:
        day = now.replace(year=now.year - years)
    except ValueError:
        day = now.replace(year=now.year - years, day=28)
    return iso(day - timedelta(days=extra_days))


def aufnahme(**overrides) -> dict:
    data = {"aufnahme_datum": iso(today()), "zugang": "uebergangswohnheim", "anliegen": "Ausbildungsplatz finden",
            "einwilligung": True, "einwilligung_datum": iso(today()),
            "einwilligung_umfang": ["speicherung", "weitergabe", "kontakt"],
            "einwilligung_partnerarten": ["jobcenter", "auslaenderbehoerde"], "einwilligung_form": "schriftlich",
            "vorname": "Tarek", "nachname": "Beispielmann", "geburtsdatum": born(21), "geschlecht": "m",
            "herkunftsland": "Guinea", "telefon": "0151 000000"}
    return {**data, **overrides}


def situation(**overrides) -> dict:
    data = {"aufenthaltsstatus": "gestattung", "leistungssystem": "asylblg",
            "stellen": [{"art": "sozialamt", "bezeichnung": "Sozialamt Musterstadt", "ansprechperson": "Frau Probe",
                         "kontakt": "0000 1234"}]}
    return {**data, **overrides}


def faehigkeiten() -> dict:
    return {"staerken": "Zuverlässig, handwerklich geschickt", "sprachkenntnisse": [
        {"sprache": "Französisch", "niveau": "C1"}, {"sprache": "Deutsch", "niveau": "A2"}],
        "schulbildung": "8 Jahre Schule", "anerkennung": "nicht_relevant", "interessen": "Kfz-Technik",
        "bedarfe": "Deutsch bis B1, Praktikum"}


def fallkonferenz() -> dict:
    return {"fallkonferenz_datum": iso(today()), "fallkonferenz_teilnehmende": "Die junge Person, JMD, Sozialamt",
            "zustaendigkeiten": [{"akteur": "JMD", "verantwortung": "Sprachkurs vermitteln"},
                                 {"akteur": "Sozialamt", "verantwortung": "Fahrtkosten klären"}]}


def integrationsplan(weeks: int = 8) -> dict:
    return {"ziele": [{"bereich": "sprache", "ziel": "B1 erreichen", "frist": iso(today() + timedelta(days=180)),
                       "verantwortlich": "JMD"},
                      {"bereich": "ausbildung", "ziel": "Praktikum in einer Kfz-Werkstatt",
                       "frist": iso(today() + timedelta(days=90)), "verantwortlich": "Die junge Person"}],
            "ueberpruefung_wochen": weeks}


def angebote() -> dict:
    return {"angebote": [{"art": "sprachkurs", "bezeichnung": "Berufssprachkurs B1", "traeger": "VHS",
                          "status": "angenommen", "datum": iso(today())}]}


def ueberpruefung(weiter: str = "fortsetzen", uebergaenge: list | None = None, weeks: int | None = 8,
                  goals: int = 2) -> dict:
    data = {"ueberpruefung_datum": iso(today()),
            "ziele": [{"status": "teilweise"} for _ in range(goals)],
            "angebote": [{"art": "sprachkurs", "bezeichnung": "Berufssprachkurs B1", "traeger": "VHS",
                          "status": "angenommen"}],
            "uebergaenge": uebergaenge or [], "weiter": weiter}
    if weeks is not None:
        data["ueberpruefung_wochen"] = weeks
    return data


def abschluss(ergebnis: str = "ausbildung") -> dict:
    data = {"abschluss_datum": iso(today()), "ergebnis": ergebnis, "anschluss": "Betrieb begleitet weiter"}
    if ergebnis == "sonstiges":
        data["ergebnis_sonstiges"] = "Freiwilliges soziales Jahr"
    return data


def start(app, username: str = "kim1", team: str = "kim") -> int:
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.username == username))
        model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == KEY))
        owner = db.session.scalar(select(Team).where(Team.key == team))
        instance = service.start_instance(model, user, owner)
        db.session.commit()
        return instance.id


def open_tasks(app, instance_id: int) -> list[str]:
    with app.app_context():
        return [t.bpmn_id for t in db.session.scalars(
            select(Task).where(Task.instance_id == instance_id, Task.status.in_(ACTIVE_TASK_STATES),
                               Task.kind == BPMN_TASK).order_by(Task.id))]


def complete(app, instance_id: int, bpmn_id: str, data: dict, username: str = "kim1") -> dict:
    """Validate like the API (schema, then WTForms) and complete the task; the errors or {}."""
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.username == username))
        task = db.session.scalar(select(Task).where(
            Task.instance_id == instance_id, Task.bpmn_id == bpmn_id, Task.status.in_(ACTIVE_TASK_STATES)))
        assert task is not None, f"no open task {bpmn_id}: {open_tasks(app, instance_id)}"
        errors = validate_json(form_schema(build_form(task, csrf=False)), data)
        if errors:
            return errors
        form = build_form(task, json_data=data, csrf=False)
        if not form.validate():
            return form_errors(form)
        service.complete_task(task, user, form.to_task_data())
        db.session.commit()
        return {}


def must(errors: dict) -> None:
    assert errors == {}, errors


def walk_to_review(app, weeks: int = 8) -> int:
    """A case started by kim1 and completed up to the Angebote: waiting for its first review."""
    case_id = start(app)
    must(complete(app, case_id, "aufnahme", aufnahme()))
    must(complete(app, case_id, "situation", situation()))
    must(complete(app, case_id, "faehigkeiten", faehigkeiten()))
    must(complete(app, case_id, "fallkonferenz", fallkonferenz()))
    must(complete(app, case_id, "integrationsplan", integrationsplan(weeks)))
    must(complete(app, case_id, "angebote", angebote()))
    return case_id


def case(app, instance_id: int) -> ProcessInstance:
    with app.app_context():
        instance = db.session.get(ProcessInstance, instance_id)
        db.session.expunge(instance)
        return instance


def fire(app, moment) -> int:
    from app.timers.services import fire_due

    with app.app_context():
        return fire_due(moment)
