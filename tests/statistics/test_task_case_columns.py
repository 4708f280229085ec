"""Task rows carry copies of their case's owner team and process model (the statistics read open
tasks per team from the task index alone): every way a task row is written sets them."""

from __future__ import annotations

from sqlalchemy import select, update

from app.auth.models import Team
from app.engine.models import ProcessInstance, ProcessVersion, Task
from app.engine.todos import create_todo
from app.extensions import db
from tests.factories import complete, start_case, user
from tests.flows import valid_data


def _mismatches(instance_id: int) -> list:
    rows = db.session.execute(
        select(Task.id, Task.owner_team_id, Task.model_id, ProcessInstance.owner_team_id, ProcessVersion.model_id)
        .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
        .where(Task.instance_id == instance_id)).all()
    assert rows
    return [row for row in rows if (row[1], row[2]) != (row[3], row[4]) or row[1] is None]


def test_engine_rows_and_todos_carry_the_cases_team_and_model(app):
    with app.app_context():
        case_id = start_case("fb36", team="asd")
        complete(case_id, "bedarfsermittlung", "fb36", valid_data("bedarfsermittlung"))
        instance = db.session.get(ProcessInstance, case_id)
        create_todo(instance, "Rückruf", created_by=user("fb36"), assignee=user("fb36"))
        db.session.commit()
        assert db.session.scalar(select(Task.owner_team_id).where(Task.instance_id == case_id).limit(1)) \
            == db.session.scalar(select(Team.id).where(Team.key == "asd"))
        assert _mismatches(case_id) == []


def test_a_row_written_without_its_case_loaded_gets_them_from_the_database(app):
    with app.app_context():
        case_id = start_case("fb36", team="asd")
        db.session.expunge_all()  # nothing of the case in this session
        db.session.add(Task(instance_id=case_id, spiff_task_id="x-1", bpmn_id="nachfrage", title="Nachfrage"))
        db.session.commit()
        assert _mismatches(case_id) == []


def test_the_rebuild_command_sets_rows_written_behind_the_app_again(app):
    with app.app_context():
        case_id = start_case("fb36", team="asd")
        db.session.execute(update(Task).where(Task.instance_id == case_id).values(owner_team_id=None, model_id=999))
        db.session.commit()
        assert _mismatches(case_id)
    result = app.test_cli_runner().invoke(args=["statistics", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "task rows with their case's team and model set again: 1" in result.output
    with app.app_context():
        assert _mismatches(case_id) == []
    again = app.test_cli_runner().invoke(args=["statistics", "rebuild"])
    assert "set again: 0" in again.output
