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
