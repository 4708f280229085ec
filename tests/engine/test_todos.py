"""To-dos (app/engine/todos.py): task rows beside the workflow that the engine's sync leaves
alone, that end as done or dropped, and that nobody can complete through a form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.engine import service
from app.engine.models import CANCELLED, DONE, OPEN, TODO_TASK, CaseEvent, ProcessInstance, Task
from app.extensions import db
from app.notify.models import Notification
from app.timeutil import utcnow
from tests.engine.test_engine_service import complete, start, step_data, team, user

pytestmark = pytest.mark.usefixtures("engine_case")


def todo_rows(case_id: int) -> list[Task]:
    return list(db.session.scalars(select(Task).where(Task.instance_id == case_id, Task.kind == TODO_TASK)))


def test_a_todo_survives_engine_steps_and_is_done_once(ctx):
    case_id = start()
    instance = db.session.get(ProcessInstance, case_id)
    due = utcnow() + timedelta(days=3)
    todo = service.create_todo(instance, "Jobcenter anrufen", created_by=user("fb36"),
                               assignee=user("k201"), due_at=due, source="journal")
    db.session.commit()
    # The engine moves on; its sync cancels vanished BPMN rows, never the to-do.
    complete(case_id, "erfassung", "fb36", step_data("erfassung"))
    db.session.expire_all()
    (row,) = todo_rows(case_id)
    assert (row.status, row.assignee.username, row.bpmn_id) == (OPEN, "k201", "todo")
    # It is no form task: completing it through the engine is refused.
    with pytest.raises(service.EngineError):
        service.complete_task(row, user("k201"), {})
    service.close_todo(row, user("k201"), "done", "erledigt am Telefon")
    db.session.commit()
    assert (row.status, row.completed_by.username) == (DONE, "k201")
    with pytest.raises(service.ConflictError):
        service.close_todo(row, user("k201"), "dropped")
    kinds = [e.kind for e in db.session.scalars(
        select(CaseEvent).where(CaseEvent.instance_id == case_id).order_by(CaseEvent.id))]
    assert kinds.count("todo_created") == 1 and kinds.count("todo_done") == 1
    assert todo.id == row.id


def test_team_todo_is_a_group_task_and_can_be_dropped(ctx):
    case_id = start()
    instance = db.session.get(ProcessInstance, case_id)
    row = service.create_todo(instance, "FB einbeziehen", created_by=user("k201"), team=team("asd"))
    db.session.commit()
    assert row.assignee is None and row.candidate_team.key == "asd"
    service.close_todo(row, user("fb36"), "dropped")
    db.session.commit()
    assert (row.status, row.assignee.username) == (CANCELLED, "fb36")


def test_nobody_is_notified_of_a_todo_they_gave_themselves(ctx):
    case_id = start()
    instance = db.session.get(ProcessInstance, case_id)
    me = user("fb36")
    before = db.session.query(Notification).filter_by(user_id=me.id).count()
    service.create_todo(instance, "Selbst erinnern", created_by=me, assignee=me)
    db.session.commit()
    assert db.session.query(Notification).filter_by(user_id=me.id).count() == before
    service.create_todo(instance, "Für 201", created_by=me, assignee=user("k201"))
    db.session.commit()
    assert db.session.query(Notification).filter_by(user_id=user("k201").id).count() >= 1


def test_terminating_a_case_cancels_its_todos(ctx):
    from app.engine import interventions

    case_id = start()
    instance = db.session.get(ProcessInstance, case_id)
    row = service.create_todo(instance, "Rückruf", created_by=user("fb36"), assignee=user("fb36"))
    db.session.commit()
    interventions.terminate(instance, user("leitung"), "Test")
    db.session.commit()
    assert row.status == CANCELLED
