"""A generated data set with known answers: cases walked through the engine services, a crisis,
an MBE-owned case, and counselling contacts with known topics, kinds and minutes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.auth.models import Team, User
from app.counselling import services as counselling
from app.crisis.services import report_crisis
from app.engine import service
from app.engine.models import ACTIVE_TASK_STATES, ProcessModel, Task
from app.extensions import db
from app.timeutil import utcnow
from tests.flows import valid_data
from tests.statistics.helpers import contact

LEITUNG_TEAMS = {"asd", "fruehehilfen", "fd311", "k201"}

# (days ago, kind, topics, minutes, activity, participants, event type) — two outside the period
CONTACTS = [
    (0, "sprechstunde", ["behoerden", "wohnen"], 30, "beratung", None, None),
    (0, "telefon", ["behoerden"], 10, "beratung", None, None),
    (1, "hausbesuch", ["schule", "alltagsfragen"], 60, "case_management", None, None),
    (2, "hausbesuch", ["krisenintervention"], 90, "case_management", None, None),
    (9, "hausbesuch", ["wohnen"], 45, "beratung", None, None),
    (3, "sprechstunde", ["ausbildung_arbeit", "behoerden"], 20, "beratung", None, None),
    (4, "veranstaltung", [], 120, "gruppenarbeit", 14, "info_gespraechsrunde"),
    (5, "veranstaltung", [], 90, "netzwerkarbeit", 9, "netzwerktreffen"),
    (6, "telefon", ["aerztliche_vermittlung"], 15, "beratung", None, None),
    (45, "hausbesuch", ["wohnen"], 60, "beratung", None, None),
    (60, "veranstaltung", [], 60, "gruppenarbeit", 30, "erstorientierung"),
]
PERIOD_DAYS = 30


@dataclass
class DataSet:
    date_from: date
    date_to: date
    ids: dict


def _user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def _team(key: str) -> Team:
    return db.session.scalar(select(Team).where(Team.key == key))


def _complete(case, step: str, username: str, **overrides) -> None:
    task = db.session.scalar(select(Task).where(Task.instance_id == case.id, Task.bpmn_id == step,
                                                Task.status.in_(ACTIVE_TASK_STATES)))
    assert task is not None, f"no open {step}"
    service.complete_task(task, _user(username), valid_data(step, **overrides) if step in (
        "bedarfsermittlung", "vermittlung", "vorgespraech", "zwischengespraech", "abschluss") else overrides)


def _closed(model, starter: str, team: str, outcome: str):
    case = service.start_instance(model, _user(starter), _team(team))
    _complete(case, "bedarfsermittlung", starter)
    _complete(case, "vermittlung", "k201")
    _complete(case, "vorgespraech", starter)
    _complete(case, "zwischengespraech", "k201", abschluss_einleiten=True)
    extra = {"folgemassnahme": "Familienhilfe"} if outcome == "ueberleiten" else {}
    _complete(case, "abschluss", starter, ergebnis=outcome, **extra)
    assert case.status == "completed" and case.outcome == outcome
    return case


@pytest.fixture
def dataset(app) -> DataSet:
    with app.test_request_context():
        model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == "alltagsbegleitung"))
        waiting = service.start_instance(model, _user("fb36"), _team("asd"))
        at_201 = service.start_instance(model, _user("fb36"), _team("asd"))
        _complete(at_201, "bedarfsermittlung", "fb36")
        closed_a = _closed(model, "fb36", "asd", "beenden")
        closed_b = _closed(model, "fb31", "fd311", "ueberleiten")
        fd311_waiting = service.start_instance(model, _user("fb31"), _team("fd311"))
        crisis = service.start_instance(model, _user("fb36"), _team("asd"))
        _complete(crisis, "bedarfsermittlung", "fb36")
        _complete(crisis, "vermittlung", "k201")
        _complete(crisis, "vorgespraech", "fb36")
        report_crisis(crisis, _user("ehrenamt1"), "Streit in der Familie", "normal")
        _complete(crisis, "krise_quittieren", "fb36", erste_massnahme="Rückruf")
        old = service.start_instance(model, _user("fb36"), _team("asd"))
        mbe_case = service.start_instance(model, _user("mbe1"), _team("mbe"))
        _complete(mbe_case, "bedarfsermittlung", "mbe1")
        bk = counselling.process_model()
        for days, art, topics, minutes, activity, people, event in CONTACTS:
            counselling.capture(bk, _user("k201"), _team("k201"), contact(
                datum=(date.today() - timedelta(days=days)).isoformat(), art=art, themen=topics,
                dauer_minuten=minutes, taetigkeit=activity, teilnehmende=people, veranstaltungsart=event))
        db.session.flush()
        # Known durations: each completed task took (id % 7 + 1) hours; the crisis 90 minutes.
        for task in db.session.scalars(select(Task).where(Task.status == "completed")):
            hours = 1.5 if task.bpmn_id == "krise_quittieren" else task.id % 7 + 1
            task.created_at = task.completed_at - timedelta(hours=hours)
        overdue = db.session.scalar(select(Task).where(Task.instance_id == at_201.id, Task.bpmn_id == "vermittlung"))
        overdue.due_at = utcnow() - timedelta(days=2)
        old.started_at = utcnow() - timedelta(days=PERIOD_DAYS + 20)
        ids = {"waiting": waiting.id, "at_201": at_201.id, "closed_a": closed_a.id, "closed_b": closed_b.id,
               "fd311_waiting": fd311_waiting.id, "crisis": crisis.id, "old": old.id, "mbe": mbe_case.id}
        db.session.commit()
    today = date.today()
    return DataSet(date_from=today - timedelta(days=PERIOD_DAYS), date_to=today, ids=ids)
