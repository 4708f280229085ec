"""Shared fixtures of the suite. Names here are stable: other test packages build on them.

Fixtures (all function-scoped unless noted)
-------------------------------------------
``app``            the app with its own clean database holding the demo accounts and the shipped
                   processes (demo data).
``make_app``       factory ``make_app(extra=None, demo=True)`` for an app with config overrides
                   (e.g. ``{"WTF_CSRF_ENABLED": True}``); ``demo=False``: schema only. Several
                   apps made in one test share that test's database.
``client``         ``app.test_client()``.
``ctx``            an app + request context for calling services directly.
``login_as``       ``login_as("fb36")`` -> a test client logged in (web session) as that user.
``api_client``     ``api_client("fb36")`` -> a JSON client sending that user's bearer token
                   (``.get/.post/.put/.patch/.delete(path, json=...)``; paths as given).
``start_case``     ``start_case("fb36", key="alltagsbegleitung", team="asd")`` -> instance id,
                   started through the engine service and committed.
``complete``       ``complete(instance_id, "bpmn_id", "fb36", data)`` -> the instance after the
                   open task ``bpmn_id`` was completed by that user (engine service, committed).
``clock``          a controllable clock for the engine: ``clock.set(moment)``,
                   ``clock.advance(hours=2)``; ``clock.now()``; engine timers and
                   ``engine_now()`` see it while the test runs.

Databases
---------
SQLite (no ``DATABASE_URL``): the schema and the demo data are built once per test process into a
template file; each test gets its own copy (a file copy, about a millisecond) in its tmp_path.

PostgreSQL (``DATABASE_URL`` set): each pytest-xdist worker has its own database
(``<name>_gw0`` ...). The schema and the demo data are built once per worker and copied into a
template schema ``fixture_template``; before each test the tables are emptied (DELETE) and
refilled from that template in one round trip, sequences set to the template's values. Every test
therefore sees real commits (the app commits, claims and concurrency tests use several
connections and threads) and starts from exactly the same rows.
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

from app import create_app, timeutil
from app.cli import load_demo, sync_processes
from app.engine import clock as engine_clock
from app.extensions import db
from tests import factories
from tests.factories import ApiClient, Clock, login  # noqa: F401 - re-exported for older imports


def _share_url_builders() -> None:
    """Test-only speed-up: every test creates its own app, and Werkzeug compiles a URL builder
    (``ast`` + ``compile()``) twice for each of the ~2,100 rules of every app: about 0.2 s of
    CPU per test, most of a simple test's cost. A builder is a plain function of the rule's
    trace and default names (it reads the converters from the rule it is bound to at call
    time), so identical rules of later apps reuse the function compiled for the first app.
    Rules with a default for a variable of their path (folded into a constant) are compiled
    as before."""
    from werkzeug.routing.rules import Rule

    original = Rule._compile_builder
    cache: dict[tuple, object] = {}

    def compile_builder(self, append_unknown: bool = True):
        defaults = self.defaults
        if defaults and any(is_dynamic and data in defaults for is_dynamic, data in self._trace):
            return original(self, append_unknown)
        key = (append_unknown, self.rule, tuple(self._trace), tuple(map(str, defaults)) if defaults else ())
        builder = cache.get(key)
        if builder is None:
            builder = cache[key] = original(self, append_unknown)
        return builder

    Rule._compile_builder = compile_builder


_share_url_builders()


def _share_rule_parsing() -> None:
    """Test-only speed-up, like ``_share_url_builders``: Werkzeug parses each rule's text with a
    large regular expression for every app (about 0.06-0.1 s per app, i.e. per test). What the
    parse gives is a function of the rule's text and the map's converter classes: the parts
    (plain regex text and weights), the trace, and which converter each variable uses. Later
    apps reuse the parts and the trace and get converter objects of their own (bound to their
    own map), exactly as the parse would have made them."""
    from werkzeug.routing.rules import Rule

    original = Rule._parse_rule
    cache: dict[tuple, tuple[list, list, list]] = {}

    def parse_rule(self, rule: str):
        key = (rule, tuple(sorted(self.map.converters.items())))
        hit = cache.get(key)
        if hit is None:
            calls: list[tuple] = []
            get_converter = self.get_converter

            def recording(variable, name, args, kwargs):
                calls.append((variable, name, args, kwargs))
                return get_converter(variable, name, args, kwargs)

            self.get_converter = recording
            start = len(self._trace)
            try:
                parts = list(original(self, rule))
            finally:
                del self.get_converter
            cache[key] = (parts, self._trace[start:], calls)
            return parts
        parts, trace, calls = hit
        for variable, name, args, kwargs in calls:
            self._converters[variable] = self.get_converter(variable, name, args, kwargs)
            self.arguments.add(variable)
        self._trace.extend(trace)
        return parts

    Rule._parse_rule = parse_rule


_share_rule_parsing()


def _share_compiled_templates() -> None:
    """Test-only speed-up: every test's app has its own Jinja environment, which parses and
    compiles each template it renders anew (base.html, the macros, the page: about half of the
    cost of a test that renders a few pages). Jinja's bytecode cache is the documented way to
    share the compiled templates between environments of the same configuration: the code of a
    template (checked against its source's checksum, so an edited template is compiled again)
    is kept for the test process. Rendering still runs in each app's own environment, with its
    own globals and filters."""
    from flask import Flask
    from jinja2 import BytecodeCache

    class ProcessBytecodeCache(BytecodeCache):
        def __init__(self) -> None:
            self.codes: dict[str, tuple[str, object]] = {}

        def load_bytecode(self, bucket) -> None:
            checksum, code = self.codes.get(bucket.key, (None, None))
            if code is not None and checksum == bucket.checksum:
                bucket.code = code

        def dump_bytecode(self, bucket) -> None:
            self.codes[bucket.key] = (bucket.checksum, bucket.code)

    Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": ProcessBytecodeCache()}


_share_compiled_templates()


def _share_compiled_statements() -> None:
    """Test-only speed-up: SQLAlchemy caches each statement's compiled SQL per engine, and every
    test's app has an engine of its own, so every test compiles the same few dozen statements
    again (the largest cost left in a test that renders pages). The engines of one test process
    are of the same kind (one backend, one server, the same SQLAlchemy options): their compiled
    statements go into one cache of the process, keyed as SQLAlchemy keys them, but with the
    dialect's class and settings in place of the engine's own dialect object. Execution still
    runs on each engine's own connections, parameters and dialect."""
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy.util import LRUCache

    shared = LRUCache(5000)

    class ProcessCompiledCache:
        def __init__(self, dialect) -> None:
            self.dialect = dialect

        def _key(self, key: tuple) -> tuple:
            dialect = self.dialect
            signature = (type(dialect), dialect.server_version_info, dialect.paramstyle, dialect.positional,
                         getattr(dialect, "_json_serializer", None), getattr(dialect, "_json_deserializer", None))
            return (signature, *key[1:]) if key and key[0] is dialect else (id(self), *key)

        def get(self, key, default=None):
            return shared.get(self._key(key), default)

        def __setitem__(self, key, value) -> None:
            shared[self._key(key)] = value

        def clear(self) -> None:
            shared.clear()

        def __len__(self) -> int:
            return len(shared)

    original = SQLAlchemy._make_engine

    def make_engine(self, bind_key, options, app):
        engine = original(self, bind_key, options, app)
        if engine._compiled_cache is not None:
            engine._compiled_cache = ProcessCompiledCache(engine.dialect)
        return engine

    SQLAlchemy._make_engine = make_engine


_share_compiled_statements()


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database (``<name>_gw0`` ...);
    it (or, without xdist, the database itself) is created on first use. The tables are emptied
    before every test, which must not hit another worker's running test."""
    if not url:
        return url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    name = f"{base.database}_{worker}" if worker else base.database
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


def _build(app, demo: bool) -> None:
    """Schema (and demo data): what every test's database starts from."""
    with app.app_context():
        db.create_all()
        if demo:
            load_demo()
            sync_processes()
        db.session.commit()


def _dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class _SqliteTemplates:
    """One template file per kind (schema only / schema + demo) and test process, built on first
    use; a test's database is a copy of it, so each test still has a database of its own."""

    def __init__(self) -> None:
        self.directory: Path | None = None
        self.files: dict[bool, Path] = {}

    def copy_to(self, target: Path, demo: bool) -> None:
        if demo not in self.files:
            if self.directory is None:
                self.directory = Path(tempfile.mkdtemp(prefix="fallwerk-db-templates-"))
                atexit.register(shutil.rmtree, self.directory, True)
            path = self.directory / ("demo.db" if demo else "schema.db")
            app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
            _build(app, demo)
            with app.app_context():  # one self-contained file: no -wal/-shm beside it
                db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
                db.session.execute(text("PRAGMA journal_mode=DELETE"))
            _dispose(app)
            self.files[demo] = path
        target.parent.mkdir(parents=True, exist_ok=True)
        for stale in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
            stale.unlink(missing_ok=True)
        shutil.copyfile(self.files[demo], target)


_sqlite_templates = _SqliteTemplates()


TEMPLATE_SCHEMA = "fixture_template"
APPEND_ONLY = {'"access_log"'}


class _PostgresTemplate:
    """The worker's database holds the schema once; the demo rows are kept in a template schema
    and put back before each test (DELETE, INSERT ... SELECT, sequences reset)."""

    def __init__(self) -> None:
        self.restore_sql: str | None = None
        self.empty_sql: str | None = None

    def prepare(self, app, demo: bool) -> None:
        with app.app_context():
            if self.restore_sql is None:
                self._build(app)
            db.session.remove()
            with db.engine.begin() as connection:
                connection.exec_driver_sql(self.restore_sql if demo else self.empty_sql)

    def _build(self, app) -> None:
        db.session.remove()
        with db.engine.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{TEMPLATE_SCHEMA}" CASCADE')
        db.drop_all()
        _build(app, demo=True)
        tables = [f'"{t.name}"' for t in db.metadata.sorted_tables]
        with db.engine.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{TEMPLATE_SCHEMA}"')
            for name in tables:
                connection.exec_driver_sql(f'CREATE TABLE "{TEMPLATE_SCHEMA}".{name} AS TABLE public.{name}')
            sequences = connection.execute(text(
                "SELECT schemaname, sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")).all()
            filled = [name for name in tables if connection.scalar(text(
                f'SELECT EXISTS (SELECT 1 FROM "{TEMPLATE_SCHEMA}".{name})'))]
        # DELETE, not TRUNCATE: on these small tables it is several times faster (TRUNCATE makes
        # new files for every table); the sequences are set back explicitly.
        # The append-only log refuses DELETE (a row trigger). As a superuser (CI's role) the reset
        # runs with triggers off (session_replication_role = replica, for this transaction only):
        # the log's rows are deleted like the others and no foreign key is checked for rows that
        # all go anyway. Otherwise the log is truncated (TRUNCATE fires no row trigger; it costs
        # about as much as all DELETEs together, so only when the log has rows).
        with db.engine.connect() as connection:
            superuser = connection.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
        if superuser:
            empty = ["SET LOCAL session_replication_role = replica"]
            empty += [f"DELETE FROM public.{name}" for name in reversed(tables)]
        else:
            empty = [f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM public.{name}) THEN TRUNCATE public.{name}; END IF; END $$"
                     if name in APPEND_ONLY else f"DELETE FROM public.{name}"
                     for name in reversed(tables)]
        # All sequences in one statement (one plan instead of one per sequence).
        reset = ["SELECT " + ", ".join(
            f"setval('\"{schema}\".\"{name}\"', {value or 1}, {'true' if value else 'false'})"
            for schema, name, value in sequences)] if sequences else []
        self.empty_sql = ";\n".join(empty + reset)
        # Only the template tables that hold demo rows are copied back (the others are empty).
        fill = [f'INSERT INTO public.{name} SELECT * FROM "{TEMPLATE_SCHEMA}".{name}' for name in filled]
        self.restore_sql = ";\n".join(empty + fill + reset)


_pg_template = _PostgresTemplate()


def prepare_database(app, demo: bool = True) -> None:
    """Give ``app``'s database the clean start every test gets: the schema, with ``demo`` the
    demo accounts and shipped processes (for fixtures that build their own app, e.g. module-scoped
    ones). On PostgreSQL this is the worker's database, which the next test resets again."""
    if PG_URL:
        _pg_template.prepare(app, demo)
        return
    _dispose(app)  # no connection open while the file is replaced
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    _sqlite_templates.copy_to(Path(uri.removeprefix("sqlite:///")), demo)


def _prepare_schema(app) -> None:
    """Older name (fixtures written before the templates): an empty schema; the caller loads."""
    prepare_database(app, demo=False)


def _empty_tables(app) -> None:
    """Older name: on PostgreSQL empty the worker's tables now (the next test resets them anyway)."""
    if PG_URL and _pg_template.empty_sql:
        with app.app_context():
            db.session.remove()
            with db.engine.begin() as connection:
                connection.exec_driver_sql(_pg_template.empty_sql)


@pytest.fixture
def make_app(tmp_path):
    """Factory for an app with extra config (e.g. CSRF on); the database is clean.

    The first app of a test gets a fresh database from the template; further apps in the same
    test share it (a server app and a setup app, a second instance of the same installation)
    and, as before, load the idempotent demo data into it when ``demo`` is true."""
    apps = []

    def factory(extra: dict | None = None, demo: bool = True):
        app = create_app(_config(tmp_path, extra))
        if not apps:
            prepare_database(app, demo)
        elif demo:
            _build(app, demo)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        _dispose(app)


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


@pytest.fixture
def login_as(app):
    """login_as('fb36') -> a test client logged in as that demo user (``app=`` another app)."""

    def factory(username: str, password: str = "demo", app=app):
        return login(app.test_client(), username, password)

    return factory


@pytest.fixture
def api_client(app):
    """api_client('fb36') -> an ApiClient sending that user's bearer token (``prefix="/api/v1"``
    to give paths without it; ``app=`` another app)."""

    def factory(username: str, password: str = "demo", prefix: str = "", app=app) -> ApiClient:
        return factories.api_client(app, username, password, prefix)

    return factory


@pytest.fixture
def start_case(app):
    """start_case('fb36', key='alltagsbegleitung', team='asd') -> the id of a case started
    through the engine service (committed)."""

    def factory(username: str = "fb36", key: str = "alltagsbegleitung", team: str | None = "asd") -> int:
        with app.test_request_context():
            return factories.start_case(username, key, team)

    return factory


@pytest.fixture
def complete(app):
    """complete(case_id, 'bedarfsermittlung', 'fb36', data) -> the case's status after the open
    task was completed through the engine service (committed)."""

    def factory(instance_id: int, bpmn_id: str, username: str, data: dict) -> str:
        with app.test_request_context():
            return factories.complete(instance_id, bpmn_id, username, data).status

    return factory


@pytest.fixture
def clock(monkeypatch):
    """A controllable clock: ``clock.set(moment)``, ``clock.advance(minutes=5)``, ``clock.now``.

    ``app.timeutil.utcnow`` and the engine's time (``engine_now``, timer events) read it in the
    test's thread; nothing needs to sleep for time to pass."""
    clock = Clock()
    monkeypatch.setattr(timeutil, "utcnow", clock)
    token = engine_clock._now.set(clock.now)
    clock.on_change = engine_clock._now.set
    yield clock
    engine_clock._now.reset(token)


# Browser tests of the user interface (Playwright + Chromium): tests/e2e/ and every test file
# with "browser" in its name. They get the marker ``browser_ui``, so that a run can leave them out
# (CI's PostgreSQL phase: ``-m "not browser_ui"``; the SQLite phase runs them). A browser test
# that checks behaviour of the database (locks, concurrency) belongs in another file name.
BROWSER_UI = "browser_ui"


def pytest_configure(config):
    config.addinivalue_line("markers", f"{BROWSER_UI}: a Playwright test of the user interface")


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = Path(str(item.path))
        if "browser" in path.stem or path.parent.name == "e2e":
            item.add_marker(BROWSER_UI)


def pytest_sessionfinish(session, exitstatus):
    """Close the Chromium the browser tests share (tests/e2e/test_browser.py), if one started."""
    import sys

    browser = sys.modules.get("tests.e2e.test_browser")
    if browser is not None:
        browser.close_shared_browser()
