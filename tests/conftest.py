"""Shared fixtures: an app with a clean database per test, demo accounts, login helpers.

Set DATABASE_URL to run against PostgreSQL (the schema is created once per session and the
tables are emptied after every test); without it each test gets its own SQLite file.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from app import create_app
from app.cli import load_demo, sync_processes
from app.extensions import db


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database (``<name>_gw0`` ...),
    created on first use: the tables are emptied after every test, which must not hit another
    worker's running test."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


PG_URL = _worker_database(os.environ.get("DATABASE_URL", ""))

BASE_CONFIG = {
    "ENV_NAME": "testing",
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
}


def _config(tmp_path, extra: dict | None = None) -> dict:
    uri = PG_URL or f"sqlite:///{tmp_path / 'test.db'}"
    return {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": uri, **(extra or {})}


_pg_schema_ready = False


def _prepare_schema(app) -> None:
    global _pg_schema_ready
    with app.app_context():
        if PG_URL:
            if not _pg_schema_ready:
                db.drop_all()
                db.create_all()
                _pg_schema_ready = True
        else:
            db.create_all()


def _empty_tables(app) -> None:
    if not PG_URL:
        return
    with app.app_context():
        db.session.remove()
        names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        db.session.commit()


@pytest.fixture
def make_app(tmp_path):
    """Factory for an app with extra config (e.g. CSRF on); the database is clean."""
    apps = []

    def factory(extra: dict | None = None, demo: bool = True):
        app = create_app(_config(tmp_path, extra))
        _prepare_schema(app)
        if demo:
            with app.app_context():
                load_demo()
                sync_processes()
                db.session.commit()
        apps.append(app)
        return app

    yield factory
    for app in apps:
        _empty_tables(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ctx(app):
    """An app + request context for calling services directly."""
    with app.test_request_context():
        yield app


def login(client, username: str, password: str = "demo"):
    client.post("/logout")
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, f"login as {username} failed"
    return client


@pytest.fixture
def login_as(app):
    """login_as('fb36') -> a test client logged in as that demo user."""

    def factory(username: str):
        return login(app.test_client(), username)

    return factory
