"""The counselling log of the coordination office 201: quick capture and the fact rows."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.access import startable_teams
from app.auth.models import Team, User
from app.counselling.models import ContactRecord, ContactTopic
from app.engine import service, signals
from app.engine.models import ProcessInstance, ProcessModel, Task
from app.extensions import db

PROCESS_KEY = "beratungskontakt"
CAPTURE_FORM = "beratungskontakt.erfassen"


def process_model() -> ProcessModel | None:
    model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == PROCESS_KEY))
    return model if model is not None and model.versions else None


def capture_teams(user: User, model: ProcessModel) -> list[Team]:
    """The teams on whose behalf ``user`` records contacts (empty: may not)."""
    return startable_teams(user, model)


def capture(model: ProcessModel, user: User, team: Team, data: dict) -> ProcessInstance:
    """Start a counselling-log case and complete its capture task with validated ``data``.

    One transaction (the caller commits): the case, the completed capture, the fact row and,
    when a follow-up was asked for, the follow-up task of 201.
    """
    instance = service.start_instance(model, user, team)
    first = db.session.scalar(select(Task).where(Task.instance_id == instance.id, Task.form_key == CAPTURE_FORM))
    if first is None:
        raise service.EngineError("Das Verfahren „Beratungskontakt“ beginnt nicht mit der Erfassung.")
    service.complete_task(first, user, data)
    return instance


def record_contact(instance: ProcessInstance, task: Task, user: User, data: dict) -> None:
    """Completion hook: the capture task's figures become a ContactRecord (for the statistics)."""
    if task.form_key != CAPTURE_FORM:
        return
    record = ContactRecord(
        instance_id=instance.id, team_id=instance.owner_team_id, recorded_by_id=user.id,
        datum=date.fromisoformat(str(data["datum"])), art=str(data["art"]),
        taetigkeit=str(data["taetigkeit"]), dauer_minuten=int(data["dauer_minuten"]),
        veranstaltungsart=data.get("veranstaltungsart") or None,
        teilnehmende=int(data["teilnehmende"]) if data.get("teilnehmende") is not None else None,
        nachverfolgung=bool(data.get("nachverfolgung")),
    )
    record.topics = [ContactTopic(topic=str(topic)) for topic in dict.fromkeys(data.get("themen") or [])]
    db.session.add(record)
    db.session.flush()


signals.task_completed.connect(record_contact)


def recent_contacts(team_ids: list[int], limit: int = 10) -> list[ContactRecord]:
    return list(db.session.scalars(
        select(ContactRecord).options(selectinload(ContactRecord.topics))
        .where(ContactRecord.team_id.in_(team_ids or [-1]))
        .order_by(ContactRecord.datum.desc(), ContactRecord.id.desc()).limit(limit)
    ))
