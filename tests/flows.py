"""Valid form data and drivers that walk an Alltagsbegleitung case through the web pages."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from app.engine.models import ACTIVE_TASK_STATES, CaseEvent, ProcessInstance, Task
from app.extensions import db


def future(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def valid_data(step: str, **overrides) -> dict:
    """JSON-plain valid input for each user task (API format)."""
    data = {
        "bedarfsermittlung": {
            "zielgruppe": "familie", "familienname": "Testfamilie Ahorn", "sprachen": "Arabisch",
            "bedarf": "Orientierung im Alltag, Kita-Anmeldung",
            "ziele": [{"beschreibung": "Kita-Platz beantragt", "frist": future(60),
                       "ueberpruefung": "Antrag liegt dem Jugendamt vor"}],
        },
        "vermittlung": {"ehrenamtliche": "ehrenamt1"},
        "vorgespraech": {"datum": date.today().isoformat(), "teilnehmende": ["eltern", "fachbereich"],
                         "stunden_pro_woche": 3, "beginn": date.today().isoformat(),
                         "ende": future(90)},
        "zwischengespraech": {"datum": date.today().isoformat(), "notizen": "Läuft gut.",
                              "abschluss_einleiten": False},
        "rueckmeldung": {"datum": date.today().isoformat(), "bericht": "Termin beim Amt wahrgenommen."},
        "abschluss": {"datum": date.today().isoformat(), "ergebnis": "beenden",
                      "zielbewertungen": [{"ziel": "Kita-Platz beantragt", "bewertung": "erreicht"}]},
    }[step]
    return {**data, **overrides}


def to_form(data: dict) -> dict:
    """API-style JSON -> browser form fields (ziele-0-beschreibung, booleans as 'y')."""
    out: dict = {}
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for i, entry in enumerate(value):
                for sub, v in entry.items():
                    out[f"{key}-{i}-{sub}"] = v
        elif value is True:
            out[key] = "y"
        elif value is False or value is None:
            continue
        else:
            out[key] = value
    return out


def open_task(app, instance_id: int, bpmn_id: str) -> Task | None:
    """The open task row of ``bpmn_id`` in the case (detached; read its columns only)."""
    with app.app_context():
        task = db.session.scalar(
            select(Task).where(Task.instance_id == instance_id, Task.bpmn_id == bpmn_id,
                               Task.status.in_(ACTIVE_TASK_STATES))
        )
        if task is not None:
            db.session.expunge(task)
        return task


def _situation(app, instance_id: int) -> str:
    """What the case looks like when an expected step is missing (for the failure message)."""
    with app.app_context():
        case = db.session.get(ProcessInstance, instance_id)
        tasks = db.session.execute(select(Task.bpmn_id, Task.status).where(Task.instance_id == instance_id)
                                   .order_by(Task.id)).all()
        events = db.session.scalars(select(CaseEvent.kind).where(CaseEvent.instance_id == instance_id)
                                    .order_by(CaseEvent.id)).all()
        return f"status={case.status if case else None} tasks={tasks} events={events}"


def start_case_web(client, team: str = "asd") -> int:
    """Start a case as the logged-in user; returns the instance id."""
    response = client.post("/faelle/neu", data={"verfahren": "alltagsbegleitung", "team": team})
    assert response.status_code == 302, response.data[:500]
    task_id = int(re.search(r"/aufgaben/(\d+)", response.headers["Location"]).group(1))
    with client.application.app_context():
        return db.session.get(Task, task_id).instance_id


def complete_web(client, instance_id: int, step: str, data: dict | None = None):
    """POST the task page of the open ``step`` task; returns the response."""
    task = open_task(client.application, instance_id, step)
    assert task is not None, f"no open task {step}; the case: {_situation(client.application, instance_id)}"
    return client.post(f"/aufgaben/{task.id}", data=to_form(data if data is not None else valid_data(step)))


def instance(app, instance_id: int) -> ProcessInstance:
    """The case row (detached; read its columns only)."""
    with app.app_context():
        case = db.session.get(ProcessInstance, instance_id)
        db.session.expunge(case)
        return case
