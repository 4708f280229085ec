"""/healthz and /readyz: the process, the database, the migrations and the timer worker's
heartbeat, with a controlled clock; no login, no session, no case data."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from app import create_app
from app.extensions import db
from app.ops.models import WorkerHeartbeat
from app.ops.routes import script_heads
from app.timers import services as timer_services
from tests.conftest import BASE_CONFIG


@pytest.fixture
def stamped(app):
    """stamped(revisions): the database's alembic_version (the test schema is made by create_all)."""

    def stamp(revisions) -> None:
        with app.app_context():
            db.session.execute(text("CREATE TABLE IF NOT EXISTS alembic_version "
                                    "(version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
            db.session.execute(text("DELETE FROM alembic_version"))
            for revision in revisions:
                db.session.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": revision})
            db.session.commit()

    yield stamp
    with app.app_context():
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()


def _beat(app) -> None:
    with app.app_context():
        timer_services._heartbeat()


def test_healthz_answers_without_login_session_or_database(tmp_path):
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://app:app@127.0.0.1:1/down",
                      "INSTANCE_DIR": str(tmp_path)})
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers and response.headers["Cache-Control"] == "no-store"


def test_ready_when_database_migrations_and_worker_are_fine(app, client, clock, stamped):
    stamped(script_heads())
    _beat(app)
    clock.advance(seconds=60)
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True, "migrations": True, "timer_worker": True}
    assert "Set-Cookie" not in response.headers


def test_a_stopped_timer_worker_makes_readyz_fail(app, client, clock, stamped):
    stamped(script_heads())
    _beat(app)
    clock.advance(seconds=app.config["WORKER_HEARTBEAT_STALE_SECONDS"] + 1)  # no round since
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["timer_worker"]["ok"] is False
    assert "heartbeat older than" in body["checks"]["timer_worker"]["reason"]
    assert body["checks"]["database"]["ok"] and body["checks"]["migrations"]["ok"]


def test_a_worker_that_never_ran_makes_readyz_fail(client, stamped):
    stamped(script_heads())
    body = client.get("/readyz").get_json()
    assert body["checks"]["timer_worker"] == {
        "ok": False, "reason": "timer worker never reported (flask --app wsgi timers run)"}


def test_the_worker_loop_beats_each_round(app, clock):
    class OneRound:
        rounds = 0

        def is_set(self):
            self.rounds += 1
            return self.rounds > 1

        def wait(self, _seconds):
            return None

    with app.app_context():
        timer_services.run_worker(OneRound())  # type: ignore[arg-type]
        row = db.session.scalars(select(WorkerHeartbeat).where(WorkerHeartbeat.name == "timers")).one()
        assert row.beat_at.replace(tzinfo=clock.now.tzinfo) == clock.now
        clock.advance(minutes=1)
        timer_services.run_worker(OneRound())  # type: ignore[arg-type]
        db.session.expire_all()
        rows = db.session.scalars(select(WorkerHeartbeat)).all()
        assert len(rows) == 1 and rows[0].beat_at.replace(tzinfo=clock.now.tzinfo) == clock.now


def test_migrations_behind_make_readyz_fail(app, client, clock, stamped):
    stamped(["9c4d2e6f1a30"])  # an older revision than the code's head
    _beat(app)
    body = client.get("/readyz")
    assert body.status_code == 503
    check = body.get_json()["checks"]["migrations"]
    assert check["ok"] is False and check["database"] == ["9c4d2e6f1a30"] and check["code"] == sorted(script_heads())


def test_an_unstamped_database_is_not_ready(app, client, clock):
    _beat(app)
    check = client.get("/readyz").get_json()["checks"]["migrations"]
    assert check["ok"] is False and "not stamped" in check["reason"]


def test_database_down_makes_readyz_fail(tmp_path):
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://app:app@127.0.0.1:1/down",
                      "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}},
                      "INSTANCE_DIR": str(tmp_path)})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"]["ok"] is False and checks["database"]["reason"].startswith("database unreachable")
    assert checks["timer_worker"]["ok"] is False
    with app.app_context():
        db.engine.dispose()


def test_the_heartbeat_check_can_be_switched_off(make_app, clock, stamped):
    app = make_app({"WORKER_HEARTBEAT_STALE_SECONDS": 0})
    stamped(script_heads())
    assert app.test_client().get("/readyz").status_code == 200


def test_script_heads_are_read_once():
    assert script_heads() is script_heads()
    assert len(script_heads()) >= 1

