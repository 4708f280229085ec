"""The database part of a backup.

PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists --no-owner`` run as
subprocesses. The SQLAlchemy URL is turned into a libpq connection string without the password;
the password goes to the subprocess in ``PGPASSWORD`` (never on a command line, where ``ps``
shows it to every user of the machine). The dump runs on a snapshot exported by a REPEATABLE READ
transaction, and the figures of the manifest are counted in that same snapshot: they describe
exactly the rows in the dump, while the app keeps running.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent state of a file
the app is writing to; a restore copies back the same way into the configured file.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.engine import URL

from app.auth.models import User
from app.backup.archive import BackupError
from app.documents.models import Document
from app.engine.models import ProcessInstance, Task

# The figures a backup reports and a restore checks: name -> table
KEY_TABLES = {"cases": ProcessInstance.__tablename__, "tasks": Task.__tablename__,
              "documents": Document.__tablename__, "users": User.__tablename__}
POSTGRESQL, SQLITE = "postgresql", "sqlite"


def kind_of(url: URL) -> str:
    backend = url.get_backend_name()
    if backend in (POSTGRESQL, SQLITE):
        return backend
    raise BackupError(f"Backups support PostgreSQL and SQLite, not {backend!r}.")


def facts(connection: Connection) -> dict[str, Any]:
    """Alembic revision(s), row counts of the key tables and a SHA-256 over the sorted case
    references (what a restore is checked against)."""
    tables = set(inspect(connection).get_table_names())
    revision = None
    if "alembic_version" in tables:
        revision = sorted(connection.scalars(text("SELECT version_num FROM alembic_version"))) or None
    counts = {key: (connection.scalar(text(f'SELECT count(*) FROM "{table}"')) if table in tables else None)
              for key, table in KEY_TABLES.items()}
    references = ""
    if KEY_TABLES["cases"] in tables:
        references = "\n".join(connection.scalars(text(
            f'SELECT reference FROM "{KEY_TABLES["cases"]}" ORDER BY reference')))
    return {"alembic_revision": revision, "counts": counts,
            "case_references_sha256": hashlib.sha256(references.encode()).hexdigest()}


def is_empty(connection: Connection) -> bool:
    return not inspect(connection).get_table_names()


# --- PostgreSQL ------------------------------------------------------------------------------------

def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq connection string of ``url`` (no password) and the environment for the tools."""
    parts: dict[str, Any] = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
    for key, value in url.query.items():  # e.g. sslmode, host=/run/postgresql for a socket
        parts[key] = value[-1] if isinstance(value, tuple) else value
    conninfo = " ".join(f"{key}={_quote(str(value))}" for key, value in parts.items() if value not in (None, ""))
    env = {key: value for key, value in os.environ.items() if key != "PGPASSWORD"}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return conninfo, env


def tool(name: str, bin_dir: str, server_major: int) -> str:
    """The path of ``pg_dump``/``pg_restore``, refused when missing or older than the server."""
    path = shutil.which(name, path=bin_dir or None)
    if path is None:
        raise BackupError(
            f"{name} nicht gefunden / not found (PATH{' or PG_BIN_DIR=' + bin_dir if bin_dir else ''}). "
            f"Bitte postgresql-client-{server_major} installieren / install postgresql-client-{server_major}.")
    output = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", output)
    if match is None:
        raise BackupError(f"{name}: Version nicht erkannt / version not recognised: {output.strip()!r}")
    if int(match.group(1)) < server_major:
        raise BackupError(
            f"{name} {match.group(1)} ist älter als der Server ({server_major}) / is older than the server "
            f"({server_major}): postgresql-client-{server_major} installieren oder PG_BIN_DIR setzen / "
            "install it or set PG_BIN_DIR.")
    return path


def server_major(connection: Connection) -> int:
    return int(connection.scalar(text("SHOW server_version_num")) or 0) // 10000


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        hint = " (is the app still running? stop the web service and the timer worker)" \
            if "lock timeout" in result.stderr else ""
        raise BackupError(f"{what} failed (exit {result.returncode}){hint}: {result.stderr.strip()[-2000:]}")


def pg_dump(engine: Engine, target: Path, bin_dir: str) -> dict[str, Any]:
    """Dump into ``target`` and return the figures counted in the dump's snapshot."""
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        path = tool("pg_dump", bin_dir, server_major(connection))
        snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
        figures = facts(connection)
        conninfo, env = libpq(engine.url)
        # the transaction stays open until pg_dump is done: it holds the exported snapshot
        _run([path, "--format=custom", f"--snapshot={snapshot}", f"--file={target}", f"--dbname={conninfo}"],
             env, "pg_dump")
    return figures


def pg_restore(engine_url: URL, tool_path: str, dump: Path) -> None:
    """Into the configured database, in one transaction (a failure leaves it as it was). A lock
    held by a still running app makes it fail after a minute instead of waiting for ever."""
    conninfo, env = libpq(engine_url)
    env["PGOPTIONS"] = (env.get("PGOPTIONS", "") + " -c lock_timeout=60s").strip()
    path = tool_path
    _run([path, "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
          f"--dbname={conninfo}", str(dump)], env, "pg_restore")


# --- SQLite ----------------------------------------------------------------------------------------

def sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError(f"SQLite backups need a database file, not {url.database!r}.")
    return Path(url.database)


def sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy with the online backup API (other connections may write meanwhile)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


@contextmanager
def sqlite_connection(path: Path) -> Iterator[Connection]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()
