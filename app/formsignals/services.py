"""Turning fired signal rules (``rules.py``) into to-dos in the right team's inbox.

Listens to the engine's ``task_completed`` (task forms) and to the volunteer's question thread
(``app.volunteers.threads.question_posted``). The to-do is written by the engine's door
(``service.create_todo``): a group task of the recipient team, announced like every task, and
recorded in the case history with its source ``signal:<field>``.
"""

from __future__ import annotations

from flask_babel import force_locale
from sqlalchemy import select

from app.auth.models import Team, User
from app.engine import service, signals
from app.engine.models import ACTIVE_TASK_STATES, RUNNING, TODO_TASK, CaseParticipant, ProcessInstance, Task
from app.extensions import db
from app.formsignals.rules import COORDINATION, OWNER_TEAM, THREAD_QUESTION, SignalRule, fired
from app.volunteers.access import DEPARTMENT_201
from app.volunteers.threads import question_answered, question_posted
from forms import FORMS

TEXT_MAX = 4000


def recipient_team(instance: ProcessInstance, recipient: str) -> Team | None:
    """The team a rule's ``recipient`` names in ``instance`` (None: the case has none)."""
    if recipient == OWNER_TEAM:
        return instance.owner_team
    if recipient == COORDINATION:
        return db.session.scalar(
            select(Team).join(CaseParticipant, CaseParticipant.team_id == Team.id)
            .where(CaseParticipant.instance_id == instance.id, Team.department == DEPARTMENT_201)
            .order_by(CaseParticipant.id).limit(1))
    raise ValueError(f"unknown recipient {recipient!r}")


def open_signal_todos(instance: ProcessInstance, rule: SignalRule) -> list[Task]:
    rows = db.session.scalars(select(Task).where(
        Task.instance_id == instance.id, Task.kind == TODO_TASK, Task.status.in_(ACTIVE_TASK_STATES)))
    return [row for row in rows if (row.context or {}).get("signal") == rule.source]


def raise_signal(instance: ProcessInstance, rule: SignalRule, user: User | None, data: dict) -> Task | None:
    """Create the to-do ``rule`` asks for; None when the case has no such team or has ended."""
    team = recipient_team(instance, rule.recipient)
    if team is None or instance.status != RUNNING:
        return None
    context = {"signal": rule.source, "form": rule.form_key, "text": _text(rule, data)}
    return service.create_todo(instance, rule.title, created_by=user, team=team, context=context,
                               source=rule.source)


def _text(rule: SignalRule, data: dict) -> str:
    """What the user wrote in the rule's context fields, each under its label (German, as data)."""
    form_cls = FORMS.get(rule.form_key)
    labels: dict[str, str] = {}
    if form_cls is not None:
        with force_locale("de"):
            form = form_cls(formdata=None, meta={"csrf": False})
            labels = {field.name: str(field.label.text) for field in form}
    parts = []
    for name in rule.context_fields:
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            parts.append(f"{labels[name]}: {value.strip()}" if name in labels else value.strip())
    return "\n\n".join(parts)[:TEXT_MAX]


@signals.task_completed.connect
def _on_task_completed(instance, task=None, user=None, data=None, **_kwargs) -> None:
    if task is None or not data:
        return
    for rule in fired(task.form_key, data):
        raise_signal(instance, rule, user, data)


@question_posted.connect
def _on_question(instance, author=None, body: str = "", **_kwargs) -> None:
    """A volunteer's question reaches 201 as one open to-do (not one per message)."""
    for rule in fired(THREAD_QUESTION, {"nachricht": body}):
        if not open_signal_todos(instance, rule):
            raise_signal(instance, rule, author, {"nachricht": body})


@question_answered.connect
def _on_answer(instance, author=None, **_kwargs) -> None:
    """201 answered in the thread: the open question to-do is done."""
    for rule in fired(THREAD_QUESTION, {"nachricht": "x"}):
        for row in open_signal_todos(instance, rule):
            service.close_todo(row, author, "done")
