"""Valid input for each MBE task and drivers through the engine service (helper of issue 3a)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.auth.models import Team, User
from app.cases.taskforms import build_form
from app.engine import service
from app.engine.models import ACTIVE_TASK_STATES, ProcessInstance, ProcessModel, Task
from app.extensions import db
from forms import form_errors, form_schema, validate_json
from tests.factories import today


def iso(d: date) -> str:
    return d.isoformat()


def years_ago(years: int, extra_days: int = 0) -> date:
    day = today()
    try:
        d = day.replace(year=day.year - years)
    except ValueError:
        d = day.replace(year=day.year - years, day=28)
    return d - timedelta(days=extra_days)


def erstkontakt(**overrides) -> dict:
    data = {
        "erstkontakt_datum": iso(today()), "zugangsweg": "persoenlich", "anliegen": "Fragen zum Aufenthalt",
        "beratungssprache": "arabisch", "alter": 35, "geschlecht": "w", "herkunftsland": "Syrien",
        "aufenthaltsstatus": "p44", "einreise_oder_titel_datum": iso(years_ago(1)), "krise": False,
        "ik_verpflichtet": False, "freie_kapazitaet": True,
    }
    return {**data, **overrides}


def beratung(weiter: str = "beratung_fortsetzen", themen=("aufenthalt", "arbeit"), **overrides) -> dict:
    return {"beratung_datum": iso(today()), "dauer_minuten": 45, "themen": list(themen),
            "naechste_schritte": "Unterlagen mitbringen", "weiter": weiter, **overrides}


def assessment(ik: bool = False) -> dict:
    return {"soziale_situation": "Alleinstehend", "kompetenzen": "Berufserfahrung als Schneiderin",
            "bedarfe_cm": "Sprachkurs, Anerkennung", "ik_begleitung_noetig": ik}


def foerderplan(*deadlines: int) -> dict:
    deadlines = deadlines or (40, 200)
    areas = ["sprache", "arbeit", "aufenthalt"]
    return {"ziele": [{"bereich": areas[i % 3], "ziel": f"Ziel {i + 1}", "frist": iso(today() + timedelta(days=d)),
                       "partner": "Jobcenter"} for i, d in enumerate(deadlines)],
            "termine": "Jeden ersten Montag im Monat"}


def vereinbarung() -> dict:
    return {"unterschrieben_klient": True, "unterschrieben_beratung": True, "unterschrieben_am": iso(today())}


def abschluss(**overrides) -> dict:
    return {"abschluss_datum": iso(today()), "abschlussgrund": "ziele_erreicht",
            "indikatoren": ["integrationskurs", "kurs_abschluss"], "reflexion": "Gut verlaufen",
            "nachhaltigkeit_geprueft": True, "nachhaltigkeit_notiz": "Kontakt zum Jobcenter stabil", **overrides}


def at(days: int) -> datetime:
    """A moment ``days`` days from now, 12:00 UTC (after the 08:00 timers of that day)."""
    d = today() + timedelta(days=days)
    return datetime(d.year, d.month, d.day, 12, 0, tzinfo=UTC)


def start(app, username: str = "mbe1") -> int:
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.username == username))
        model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == "mbe_beratung"))
        team = db.session.scalar(select(Team).where(Team.key == "mbe"))
        instance = service.start_instance(model, user, team)
        db.session.commit()
        return instance.id


def open_tasks(app, instance_id: int) -> list[str]:
    with app.app_context():
        return [t.bpmn_id for t in db.session.scalars(
            select(Task).where(Task.instance_id == instance_id, Task.status.in_(ACTIVE_TASK_STATES))
            .order_by(Task.id))]


def complete(app, instance_id: int, bpmn_id: str, data: dict, username: str = "mbe1") -> dict:
    """Validate ``data`` like the API does (schema, then WTForms) and complete the task.

    Returns the form errors (empty dict on success).
    """
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


def case(app, instance_id: int) -> ProcessInstance:
    with app.app_context():
        instance = db.session.get(ProcessInstance, instance_id)
        db.session.expunge(instance)
        return instance


def fire(app, moment: datetime) -> int:
    from app.timers.services import fire_due

    with app.app_context():
        return fire_due(moment)
