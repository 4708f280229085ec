"""The write hot path stays lean: one API task completion issues a bounded number of SQL
statements (deterministic, unlike a timing); the case's state and version come with the task
in one query."""

from __future__ import annotations

from sqlalchemy import event

from app.extensions import db
from tests.flows import open_task, valid_data

# 30 when written (36 before issue 17), 33 after issue 17's first round, 24 after its second:
# the token comes with its user; no fresh read of the task row when it came in one statement
# with the case (the optimistic lock covers it); the case title in the one UPDATE of the case row
# (signal ``task_completing``); no roles loaded for notification recipients; the support plan
# not read twice; the answer's teams joined; no reload of the user after the commit for the log
# line. 22 since the third: the token's user comes with roles and memberships in the same
# statement. What is left: auth 1 (token with user, roles, memberships), task with case,
# version, model, owner team and state 1, access 1, lane rules 1, open rows 1, routing 2, writes
# 4, participants 1, notification 2, plan 4, statistics 1, answer 3. More means a lazy load or a
# reload crept into the hot path: look at the statements before raising this.
MAX_STATEMENTS_API_COMPLETION = 22


def _count_statements(app):
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return engine, record, statements


def test_api_completion_issues_a_bounded_number_of_statements(app, start_case, api_client):
    case_id = start_case("fb36")
    task = open_task(app, case_id, "bedarfsermittlung")
    fb36 = api_client("fb36")
    engine, listener, statements = _count_statements(app)
    try:
        response = fb36.post(f"/api/v1/tasks/{task.id}/complete", json={"data": valid_data("bedarfsermittlung")})
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert all(t["name"] != "bedarfsermittlung" for t in answer["open_tasks"])
    assert answer["history"][-1]["task"] == "bedarfsermittlung"
    assert open_task(app, case_id, "vermittlung") is not None
    # the case's state and version come with the task: no separate SELECT of either
    assert not [s for s in statements if s.lstrip().startswith("SELECT process_instance.state")]
    assert not [s for s in statements if "FROM process_version" in s and "JOIN" not in s]
    # task and case came in one snapshot: the optimistic lock needs no fresh read of the task row
    assert not [s for s in statements if s.lstrip().startswith("SELECT task.status, task.assignee_id")]
    # one UPDATE of the case row (title, data, state together), no reload of anything after it
    assert len([s for s in statements if s.lstrip().startswith("UPDATE process_instance")]) == 1
    assert len(statements) <= MAX_STATEMENTS_API_COMPLETION, "\n".join(s[:120] for s in statements)
