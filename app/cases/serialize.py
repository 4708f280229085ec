"""Cases and tasks as JSON (API v1): the shapes of api-v1.md, used by every feature's API."""

from __future__ import annotations

from flask import g
from sqlalchemy import select

from app.auth.access import data_level
from app.cases.services import open_tasks_for, visible_data
from app.engine.models import FULL, CaseEvent, ProcessInstance, Task
from app.extensions import db
from app.timeutil import iso


def task_json(task: Task) -> dict:
    instance = task.instance
    return {
        "id": task.id,
        "process_instance_id": task.instance_id,
        "process": instance.version.model.key,
        "name": task.bpmn_id,
        "title": task.title,
        "lane": task.lane,
        "assignee": task.assignee.username if task.assignee else None,
        "candidate_group": task.candidate_team.key if task.candidate_team else None,
        "team": instance.owner_team.key if instance.owner_team else None,
        "due_at": iso(task.due_at),
        "priority": task.priority,
        "crisis": bool(task.crisis),
        "created_at": iso(task.created_at),
        "status": task.status,
    }


def instance_summary(instance: ProcessInstance) -> dict:
    """The list entry of a case: no case data, no tasks."""
    return {
        "id": instance.id,
        "reference": instance.reference,
        "title": instance.title,
        "process": instance.version.model.key,
        "version": instance.version.number,
        "status": instance.status,
        "outcome": instance.outcome,
        "started_at": iso(instance.started_at),
        "ended_at": iso(instance.ended_at),
        "started_by": instance.started_by.username,
        "owner_team": instance.owner_team.key if instance.owner_team else None,
    }


def instance_json(instance: ProcessInstance, level: str, reading: str | None = None) -> dict:
    """The case as the API caller, a participant of ``level``, may see it (``reading``: the
    caller's ``data_level`` if already known, saving its query)."""
    user = g.api_user
    open_tasks = open_tasks_for(instance, user, level)
    if reading is None:
        reading = data_level(user, instance) if level == FULL else level  # a substitute: COVER
    events = db.session.scalars(
        select(CaseEvent).where(CaseEvent.instance_id == instance.id,
                                CaseEvent.kind == "task_completed")
        .order_by(CaseEvent.id)
    ).all()
    return {
        **instance_summary(instance),
        "data": visible_data(instance.data, reading or level, instance.version.model.key),
        "open_tasks": [task_json(t) for t in open_tasks],
        "history": [
            {
                "task": e.task.bpmn_id if e.task else None,
                "title": e.title,
                "completed_by": e.actor.username if e.actor else None,
                "completed_at": iso(e.created_at),
            }
            for e in events
        ],
    }
