"""The suite's own fixtures keep their promises: each test starts from the same database, the
factories do what tests rely on, and the clock fixture moves the app's and the engine's time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app import timeutil
from app.auth.models import Organisation, User
from app.engine.clock import engine_now
from app.engine.models import ProcessInstance, ProcessModel
from app.extensions import db
from tests.conftest import prepare_database


def _snapshot(app) -> tuple:
    with app.app_context():
        return (db.session.scalar(select(func.count(User.id))),
                db.session.scalar(select(func.count(ProcessModel.id))),
                db.session.scalar(select(func.count(ProcessInstance.id))))


def _add_user(app, username: str) -> int:
    with app.app_context():
        org = db.session.scalar(select(Organisation))
        user = User(username=username, display_name=username, organisation=org)
        user.roles = []
        user.set_password("demo")
        db.session.add(user)
        db.session.commit()
        return user.id


def test_the_database_is_reset_to_the_demo_data_rows_and_ids(app, start_case):
    before = _snapshot(app)
    assert before[0] > 0 and before[1] > 0 and before[2] == 0
    first_id = _add_user(app, "nur_in_diesem_test")
    start_case("fb36")
    assert _snapshot(app) != before
    prepare_database(app)
    assert _snapshot(app) == before
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "nur_in_diesem_test")) is None
    assert _add_user(app, "wieder_neu") == first_id  # ids (sequences) start again where they did


def test_schema_only_database_has_no_rows(make_app):
    app = make_app(demo=False)
    assert _snapshot(app) == (0, 0, 0)


def test_start_case_and_complete_drive_the_engine(app, start_case, complete):
    from tests.flows import valid_data

    case_id = start_case("fb36")
    assert complete(case_id, "bedarfsermittlung", "fb36", valid_data("bedarfsermittlung")) == "running"
    with app.app_context():
        assert db.session.get(ProcessInstance, case_id).started_by.username == "fb36"


def test_api_client_sends_the_persons_token(api_client):
    me = api_client("k201").get("/api/v1/me")
    assert me.status_code == 200 and me.get_json()["username"] == "k201"
    assert api_client("fb36", prefix="/api/v1").get("/me").get_json()["username"] == "fb36"


def test_clock_moves_app_time_and_engine_time(clock):
    start = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
    clock.set(start)
    assert timeutil.utcnow() == start and engine_now() == start
    clock.advance(days=2)
    assert timeutil.utcnow() == engine_now() == start + timedelta(days=2)
