"""To-dos: tasks a person (or a form's signal) gives, beside the workflow.

A journal follow-up ("Wiedervorlage: call the Jobcenter by Friday, Frau X") or a signal ticked in
a form ("FB 36/31 muss einbezogen werden") must reach someone's inbox like any other task: the
inbox, the counts, the overdue reminders, absence cover and the crisis-first order all work on
task rows. So a to-do is a task row of kind ``TODO_TASK``: the engine's sync never touches it (it is no
READY task of the workflow), it has no form, and it ends as *done* (``completed``) or *dropped*
(``cancelled``). Suspending and terminating a case pause and cancel to-dos with the workflow's
tasks. Creating and closing are recorded in the case history.

Who may give whom a to-do is the caller's rule (a feature checks participation); this module only
writes rows, history and the ``tasks_assigned`` announcement (app/notify tells the people).
"""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.models import Team, User
from app.engine import events
from app.engine.clock import engine_now
from app.engine.errors import ConflictError
from app.engine.locking import flush
from app.engine.models import (
    ACTIVE_TASK_STATES,
    CANCELLED,
    DONE,
    OPEN,
    RUNNING,
    TODO_TASK,
    ProcessInstance,
    Task,
)
from app.engine.participants import release_participants
from app.engine.runtime import announce_tasks, record
from app.extensions import db

TODO_BPMN_ID = "todo"  # the bpmn_id of every to-do row (statistics by step leave it out)
DONE_OUTCOME, DROPPED_OUTCOME = "done", "dropped"

events.register("todo_created", _l("Wiedervorlage angelegt"))
events.register("todo_done", _l("Wiedervorlage erledigt"))
events.register("todo_dropped", _l("Wiedervorlage verworfen"))


def create_todo(instance: ProcessInstance, title: str, *, created_by: User | None,
                assignee: User | None = None, team: Team | None = None, due_at: datetime | None = None,
                context: dict | None = None, crisis: bool = False, for_leads: bool = False,
                source: str = "") -> Task:
    """Put a to-do into ``assignee``'s inbox (or, unassigned, into ``team``'s group tasks).

    ``context`` is shown on the to-do's page (e.g. ``{"journal_entry": id, "text": ...}``);
    ``source`` names what created it (``"journal"``, ``"signal:<field>"``) for the history.
    """
    if assignee is None and team is None:
        raise ValueError("a to-do needs an assignee or a team")
    if instance.status != RUNNING:
        raise ConflictError(_("Der Fall ist nicht aktiv."))
    now = engine_now()
    row = Task(
        instance=instance, spiff_task_id=f"todo-{uuid4().hex}"[:36], bpmn_id=TODO_BPMN_ID,
        title=title[:200], lane=None, candidate_team=team, assignee=assignee, for_leads=for_leads,
        crisis=crisis, priority=1 if crisis else 0, context=context, form_key=None, due_at=due_at,
        status=OPEN, created_at=now, kind=TODO_TASK, created_by=created_by,
    )
    db.session.add(row)
    record(instance, "todo_created", row.title, created_by,
           {"fuer": assignee.username if assignee else (team.key if team else ""),
            **({"faellig": due_at.date().isoformat()} if due_at else {}),
            **({"quelle": source} if source else {})}, task=row)
    flush()
    # Nobody is told of a to-do they gave themselves.
    if assignee is None or created_by is None or assignee.id != created_by.id:
        announce_tasks(instance, [row], actor=created_by)
    return row


def close_todo(task: Task, user: User, outcome: str, note: str = "") -> None:
    """Mark a to-do done or dropped (``DONE_OUTCOME`` / ``DROPPED_OUTCOME``); 409 if it is closed."""
    if task.kind != TODO_TASK:
        raise ValueError("not a to-do")
    if outcome not in (DONE_OUTCOME, DROPPED_OUTCOME):
        raise ValueError(f"unknown outcome {outcome!r}")
    if task.status not in ACTIVE_TASK_STATES:
        raise ConflictError(_("Diese Aufgabe ist bereits erledigt."))
    task.status = DONE if outcome == DONE_OUTCOME else CANCELLED
    task.completed_at = engine_now()
    task.completed_by = user
    if task.assignee_id is None:
        task.assignee = user
    record(task.instance, "todo_done" if outcome == DONE_OUTCOME else "todo_dropped", task.title, user,
           {"notiz": note} if note else None, task=task)
    flush(task)
    release_participants(task.instance)  # a to-do kept a person's access to the case only while open
