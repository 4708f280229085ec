"""The Alembic migrations build exactly the schema the models describe, and undo it."""

from __future__ import annotations

import json
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from tests.conftest import BASE_CONFIG


def test_migrations_match_models_and_downgrade_cleanly(tmp_path):
    uri = f"sqlite:///{tmp_path / 'migrated.db'}"  # always a fresh file, also when CI uses PG
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        upgrade()
        engine = create_engine(uri)
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        assert "task" in inspect(engine).get_table_names()
        downgrade(revision="base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        engine.dispose()
        db.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database(request, tmp_path):
    """A database without tables: a new SQLite file, and with DATABASE_URL (PostgreSQL) also a new
    PostgreSQL database next to the test database, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data-move.db'}"
        return
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("DATABASE_URL is not PostgreSQL")
    base = make_url(url)
    name = f"{base.database}_migrations_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


BEFORE_TABLES = "c4e1a9d2f7b3"  # last revision with roles_csv and the profile JSON on user_account
PROFILE = {"sprachen": ["Deutsch", "Arabisch"], "sprachniveaus": {"Arabisch": "Muttersprache"},
           "stunden_pro_woche": 2.5, "wochentage": ["di", "do"], "orte": ["Musterstadt"],
           "schulungen": {"a": "2024-02-10", "b": "2024-03-02"},
           "schweigepflicht_am": "2024-03-02", "fuehrungszeugnis_am": None, "status": "pausiert"}


def test_roles_and_volunteer_profiles_move_into_tables_and_back(fresh_database):
    """The data move of the roles and profile revisions, up and down, keeps every value."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": fresh_database})
    with app.app_context():
        upgrade(revision=BEFORE_TABLES)
        engine = create_engine(fresh_database)
        insert = text("INSERT INTO user_account (id, username, display_name, password_hash, roles_csv, "
                      "active, profile, session_version, is_demo) VALUES (:id, :name, :name, 'x', :roles, "
                      ":true, :profile, 0, :false)")
        with engine.begin() as connection:
            for user_id, roles, profile in [(1, "ehrenamt", PROFILE), (2, "fachkraft,leitung", None),
                                            (3, "", None)]:
                connection.execute(insert, {"id": user_id, "name": f"u{user_id}", "roles": roles,
                                            "profile": json.dumps(profile) if profile else None,
                                            "true": True, "false": False})

        upgrade()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT user_id, role FROM user_role ORDER BY user_id, role")).all() \
                == [(1, "ehrenamt"), (2, "fachkraft"), (2, "leitung")]
            assert connection.execute(text(
                "SELECT position, name, level FROM volunteer_language WHERE user_id = 1 ORDER BY position"
            )).all() == [(0, "Deutsch", None), (1, "Arabisch", "Muttersprache")]
            assert connection.scalar(text("SELECT count(*) FROM volunteer_profile")) == 1
        with app.test_request_context():
            from app.auth.models import User
            from app.volunteers.services import profile_of

            assert db.session.get(User, 2).roles == ["fachkraft", "leitung"]
            assert profile_of(db.session.get(User, 1)) == PROFILE
            assert profile_of(db.session.get(User, 2)) == {}
            db.session.rollback()

        downgrade(revision=BEFORE_TABLES)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, roles_csv, profile FROM user_account ORDER BY id")).all()
        assert [(r[0], r[1]) for r in rows] == [(1, "ehrenamt"), (2, "fachkraft,leitung"), (3, "")]
        assert [json.loads(r[2]) if isinstance(r[2], str) else r[2] for r in rows] == [PROFILE, None, None]
        engine.dispose()
        db.session.remove()
        db.engine.dispose()


BEFORE_CASE_CLIENT = "d2f6a8c1e904"  # last revision with process_instance.client_id
SEED = [
    "INSERT INTO organisation (id, key, name) VALUES (1, 'traeger', 'Träger')",
    "INSERT INTO team (id, key, name, department, organisation_id) VALUES (1, 'mbe', 'MBE', 'MBE', 1)",
    "INSERT INTO user_account (id, username, display_name, password_hash, active, session_version, is_demo) "
    "VALUES (1, 'mbe1', 'Nora Rat', 'x', :true, 0, :false)",
    "INSERT INTO process_model (id, key, name, start_departments, start_role, reference_prefix) "
    "VALUES (1, 'mbe_beratung', 'MBE', 'MBE', 'mbe', 'MBE')",
    "INSERT INTO process_version (id, model_id, number, bpmn_xml, content_hash, published_at, comment) "
    "VALUES (1, 1, 1, '<x/>', 'h', :now, '')",
    "INSERT INTO mbe_client (id, organisation_id, team_id, vorname, nachname, vorname_norm, nachname_norm, "
    "created_at) VALUES (7, 1, 1, 'Leyla', 'Demir', 'leyla', 'demir', :now)",
    # case 1 is about client 7, case 2 is anonymous
    "INSERT INTO process_instance (id, reference, version_id, status, owner_team_id, started_by_id, started_at, "
    "title, data, state, row_version, client_id) VALUES (1, 'MBE-1', 1, 'running', 1, 1, :now, '', '{}', '{}', 3, 7), "
    "(2, 'MBE-2', 1, 'running', 1, 1, :now, '', '{}', '{}', 1, NULL)",
    "INSERT INTO task (id, instance_id, spiff_task_id, bpmn_id, title, priority, crisis, status, created_at, "
    "iteration) VALUES (1, 1, 'a', 'erstkontakt', 'Erstkontakt', 0, :false, 'ready', :now, 0), "
    "(2, 2, 'b', 'erstkontakt', 'Erstkontakt', 0, :false, 'ready', :now, 0)",
    "INSERT INTO case_event (id, instance_id, kind, title, created_at) VALUES (1, 1, 'started', '', :now), "
    "(2, 1, 'mbe_client_linked', '', :now), (3, 2, 'started', '', :now)",
]


def _seeded_before_case_client(url: str):
    """The database at BEFORE_CASE_CLIENT with the SEED rows (inside the app's context); its engine."""
    from datetime import UTC, datetime

    upgrade(revision=BEFORE_CASE_CLIENT)
    engine = create_engine(url)
    values = {"true": True, "false": False, "now": datetime(2026, 12, 1, 9, 0, tzinfo=UTC)}
    with engine.begin() as connection:
        for statement in SEED:
            connection.execute(text(statement), values)
    return engine


def _process_instance_client_column(engine) -> tuple[bool, bool, bool]:
    """(column, index, foreign key) of process_instance.client_id present?"""
    schema = inspect(engine)
    return ("client_id" in {c["name"] for c in schema.get_columns("process_instance")},
            any(i["column_names"] == ["client_id"] for i in schema.get_indexes("process_instance")),
            any(f["constrained_columns"] == ["client_id"] for f in schema.get_foreign_keys("process_instance")))


def test_case_client_moves_into_mbe_table_and_back(fresh_database):
    """The client link moves into app/mbe's table and back without losing it or any row that
    references process_instance (on SQLite the column drop rebuilds that table)."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": fresh_database})
    with app.app_context():
        engine = _seeded_before_case_client(fresh_database)
        counts = "SELECT (SELECT count(*) FROM task), (SELECT count(*) FROM case_event), " \
                 "(SELECT count(*) FROM process_instance)"

        upgrade()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT instance_id, client_id FROM mbe_case_client")).all() == [(1, 7)]
            assert connection.execute(text(counts)).one() == (2, 3, 2)
            assert connection.execute(text("SELECT id, row_version FROM process_instance ORDER BY id")).all() \
                == [(1, 3), (2, 1)]
        assert _process_instance_client_column(engine) == (False, False, False)
        engine.dispose()  # a fresh reflection on SQLite
        with app.test_request_context():
            from app.engine.models import ProcessInstance
            from app.mbe import clients

            assert clients.client_of(db.session.get(ProcessInstance, 1)).nachname == "Demir"
            assert clients.client_of(db.session.get(ProcessInstance, 2)) is None
            assert [case.instance.id for case in clients.cases_of([7])[7]] == [1]
            db.session.rollback()

        downgrade(revision=BEFORE_CASE_CLIENT)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT id, client_id FROM process_instance ORDER BY id")).all() \
                == [(1, 7), (2, None)]
            assert connection.execute(text(counts)).one() == (2, 3, 2)
        assert "mbe_case_client" not in inspect(engine).get_table_names()
        assert _process_instance_client_column(engine) == (True, True, True)
        engine.dispose()
        db.session.remove()
        db.engine.dispose()


def test_task_rows_get_the_owner_team_and_model_of_their_case(fresh_database):
    """The statistics' copies of a case's team and model on its task rows are filled for the rows
    that exist at the upgrade, and go again at the downgrade."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": fresh_database})
    with app.app_context():
        engine = _seeded_before_case_client(fresh_database)
        upgrade()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT id, owner_team_id, model_id FROM task ORDER BY id")).all() \
                == [(1, 1, 1), (2, 1, 1)]
        downgrade(revision="7d2e9b4c1a68")
        engine.dispose()
        assert not {"owner_team_id", "model_id"} & {c["name"] for c in inspect(engine).get_columns("task")}
        assert "ix_task_open_by_team" not in {i["name"] for i in inspect(engine).get_indexes("task")}
        engine.dispose()
        db.session.remove()
        db.engine.dispose()
