"""Interventions as the browser and the API see them: the form for a case, and applying it.

The engine work is in ``app.engine.interventions``; this binds the forms to one case (which
tasks, people, teams and earlier steps are on offer) and calls the one engine function.
"""

from __future__ import annotations

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.auth.models import Team, User
from app.engine import interventions, service
from app.engine.models import ACTIVE_TASK_STATES, ProcessInstance, Task
from app.extensions import db
from app.monitor import services
from app.monitor.forms import INTERVENTION_FORMS, choices
from app.timeutil import aware


def open_tasks(instance: ProcessInstance) -> list[Task]:
    return list(db.session.scalars(select(Task).where(
        Task.instance_id == instance.id, Task.status.in_(ACTIVE_TASK_STATES)).order_by(Task.id)))


def _holder(task: Task) -> str:
    if task.assignee is not None:
        return task.assignee.display_name
    return task.candidate_team.name if task.candidate_team else "–"


def build_form(kind: str, instance: ProcessInstance, *, formdata: MultiDict | None = None,
               csrf: bool = True, targets: list[Task] | None = None) -> FlaskForm:
    """The intervention form ``kind`` for ``instance``; ``formdata`` None reads the request."""
    form_cls = INTERVENTION_FORMS[kind]
    kwargs: dict = {"prefix": kind}
    if not csrf:
        kwargs["meta"] = {"csrf": False}
    form = form_cls(**kwargs) if formdata is None else form_cls(formdata=formdata, **kwargs)
    if kind == "reassign":
        tasks = open_tasks(instance)
        options = services.reassign_options(tasks)
        form.aufgabe.choices = choices((str(t.id), f"{t.title} ({_holder(t)})") for t in tasks)
        form.person.choices = choices(options.people)
        form.team.choices = choices(options.teams)
        form.eligible = options.by_task  # ReassignForm's per-task check
    elif kind == "reset":
        if targets is None:
            targets = interventions.reset_targets(instance)
        form.schritt.choices = choices((str(t.id), f"{t.title} ({_done_label(t)})") for t in targets)
    return form


def _done_label(task: Task) -> str:
    who = task.completed_by.display_name if task.completed_by else ""
    when = format_datetime(aware(task.completed_at), "short") if task.completed_at else ""
    return ", ".join(x for x in (when, who) if x)


def apply(kind: str, instance: ProcessInstance, form: FlaskForm, actor: User) -> str:
    """Run the validated intervention; returns the German confirmation. Engine errors
    (``ConflictError``, ``EngineError``) pass to the caller, who rolls back; a write that lost
    against a concurrent change of the case (also one flushed early by a query) is a
    ``ConflictError`` too, the session already rolled back."""
    with service.write_conflicts():
        return _apply(kind, instance, form, actor)


def _apply(kind: str, instance: ProcessInstance, form: FlaskForm, actor: User) -> str:
    reason = form.grund.data
    if kind == "reassign":
        task = db.session.get(Task, int(form.aufgabe.data))
        assert task is not None  # the form's choices are this case's open task rows
        user = db.session.scalar(select(User).where(User.username == form.person.data)) if form.person.data else None
        team = db.session.scalar(select(Team).where(Team.key == form.team.data)) if form.team.data else None
        interventions.reassign(task, actor, reason, user=user, team=team)
        return _("Die Aufgabe „%(title)s“ wurde neu zugewiesen.", title=task.title)
    if kind == "suspend":
        interventions.suspend(instance, actor, reason)
        return _("Der Fall wurde angehalten.")
    if kind == "resume":
        interventions.resume(instance, actor, reason)
        return _("Der Fall wurde fortgesetzt.")
    if kind == "terminate":
        interventions.terminate(instance, actor, reason)
        return _("Der Fall wurde beendet.")
    if kind == "reset":
        target = db.session.get(Task, int(form.schritt.data))
        assert target is not None  # the form's choices are this case's earlier task rows
        interventions.reset(instance, target, actor, reason)
        return _("Der Fall wurde auf „%(title)s“ zurückgesetzt.", title=target.title)
    raise KeyError(kind)


def available(instance: ProcessInstance) -> list[str]:
    """Which interventions make sense in the case's current status."""
    if instance.status == "running":
        return ["reassign", "suspend", "terminate", "reset"]
    if instance.status == "suspended":
        return ["resume", "terminate"]
    return []
