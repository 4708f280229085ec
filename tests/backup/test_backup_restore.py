"""Backups (issue 17, item 4): ``flask backup create`` and ``restore`` round trip with the real
tools (pg_dump/pg_restore on PostgreSQL, the SQLite backup API on SQLite).

The restore target is a fresh database of its own: on SQLite a new file, on PostgreSQL a scratch
database created and dropped by the test. A case started and a document uploaded are back with
their tasks and bytes after the target was changed; a tampered archive and one from newer code are
refused with nothing changed; the archive has mode 0600.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import stat
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.engine import make_url

from app.auth.models import User
from app.backup import database, services
from app.documents import storage
from app.documents.models import Document
from app.engine.models import ProcessInstance, Task
from app.extensions import db
from tests.conftest import PG_URL
from tests.documents import samples
from tests.factories import start_case as start_case_now

ON_PG = bool(PG_URL)


@pytest.fixture
def source(make_app, tmp_path):
    return make_app({"DOCUMENT_STORAGE_DIR": str(tmp_path / "documents")})


@pytest.fixture
def target_url(tmp_path):
    """A database of its own for the restore: a new SQLite file, or a scratch PostgreSQL database."""
    if not ON_PG:
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    base = make_url(PG_URL)
    name = f"{base.database}_restore"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def target(make_app, source, target_url, tmp_path):
    """The installation a backup is restored into (empty: no tables, no document files)."""
    return make_app({"SQLALCHEMY_DATABASE_URI": target_url, "DOCUMENT_STORAGE_DIR": str(tmp_path / "restored")},
                    demo=False)


def run(app, *args):
    return app.test_cli_runner().invoke(args=["backup", *args])


def state(app) -> dict:
    """What a user would check after a restore: the cases, their tasks, the document bytes."""
    with app.app_context():
        db.session.remove()
        cases = db.session.execute(select(ProcessInstance.reference, ProcessInstance.status)
                                   .order_by(ProcessInstance.reference)).all()
        tasks = db.session.execute(select(Task.id, Task.instance_id, Task.bpmn_id, Task.status)
                                   .order_by(Task.id)).all()
        documents = {doc.filename: storage.read_verified(doc.storage_key, doc.sha256)
                     for doc in db.session.scalars(select(Document).where(Document.deleted_at.is_(None)))}
        names = dict(db.session.execute(select(User.username, User.display_name)).all())
        db.session.remove()
        return {"cases": [tuple(c) for c in cases], "tasks": [tuple(t) for t in tasks],
                "documents": documents, "names": names}


@pytest.fixture
def backup(source, login_as, tmp_path) -> Path:
    """Two cases, one of them with an uploaded PDF, then ``flask backup create``."""
    fb36 = login_as("fb36", app=source)
    with source.test_request_context():
        case = start_case_now("fb36")
        start_case_now("fb36")
    response = fb36.post(f"/faelle/{case}/dokumente", content_type="multipart/form-data",
                         data={"file": (io.BytesIO(samples.PDF), "bescheid.pdf"), "category": "schreiben"})
    assert response.status_code == 302, response.data[:300]
    out = tmp_path / "backups"
    out.mkdir()
    result = run(source, "create", "--output", str(out))
    assert result.exit_code == 0, result.output
    (archive,) = out.glob("fallwerk-backup-*.tar")
    assert "backup written" in result.output
    return archive


def change_everything(app) -> None:
    """After the backup: a new case (with its tasks), the document and its file deleted, a name changed."""
    with app.test_request_context():
        start_case_now("fb36")
        doc = db.session.scalars(select(Document)).one()
        storage.path_of(doc.storage_key).unlink()
        db.session.delete(doc)
        db.session.execute(update(User).where(User.username == "fb36").values(display_name="Geändert"))
        db.session.commit()


def test_round_trip_brings_cases_tasks_and_document_bytes_back(source, target, backup):
    before = state(source)
    assert before["documents"] == {"bescheid.pdf": samples.PDF}
    assert len(before["cases"]) >= 2 and before["tasks"]
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600

    result = run(target, "restore", str(backup))  # the target is empty: no --yes needed
    assert result.exit_code == 0, result.output
    assert f"cases {len(before['cases'])}" in result.output
    assert state(target) == before

    change_everything(target)
    assert state(target) != before
    refused = run(target, "restore", str(backup))
    assert refused.exit_code == 1 and "--yes" in refused.output
    assert state(target)["names"]["fb36"] == "Geändert"  # nothing changed

    result = run(target, "restore", str(backup), "--yes")
    assert result.exit_code == 0, result.output
    assert state(target) == before
    verified = run(target, "verify", str(backup), "--database")
    assert verified.exit_code == 0 and "database matches the backup" in verified.output


def _rewrite(archive: Path, change) -> Path:
    """A copy of ``archive`` with ``change(name, data) -> data`` applied to every member."""
    copy = archive.with_name("changed-" + archive.name)
    with tarfile.open(archive) as old, tarfile.open(copy, "w") as new:
        for member in old:
            data = change(member.name, old.extractfile(member).read())
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))
    return copy


def _restored(target, backup) -> dict:
    assert run(target, "restore", str(backup)).exit_code == 0
    return state(target)


def test_a_tampered_archive_is_refused_and_nothing_changes(source, target, backup):
    before = _restored(target, backup)
    tampered = _rewrite(backup, lambda name, data: data.replace(b"/Count 0", b"/Count 9")
                        if name.startswith("documents/") else data)
    result = run(target, "restore", str(tampered), "--yes")
    assert result.exit_code == 1
    assert "checksum mismatch: documents/" in result.output
    assert state(target) == before
    assert run(target, "verify", str(tampered)).exit_code == 1

    cut = backup.with_name("cut.tar")
    cut.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])
    result = run(target, "restore", str(cut), "--yes")
    assert result.exit_code == 1 and "Archive" in result.output
    assert state(target) == before


def test_a_backup_from_newer_code_is_refused(source, target, backup):
    before = _restored(target, backup)

    def newer(name, data):
        if name != "manifest.json":
            return data
        return json.dumps({**json.loads(data), "alembic_revision": ["ffffffffffff"]}).encode()

    result = run(target, "restore", str(_rewrite(backup, newer)), "--yes")
    assert result.exit_code == 1
    assert "newer version" in result.output and "ffffffffffff" in result.output
    assert state(target) == before


def test_an_existing_file_is_not_overwritten_and_a_wrong_name_refused(source, backup):
    assert run(source, "create", "--output", str(backup)).exit_code == 1
    result = run(source, "create", "--output", str(backup.with_name("backup.zip")))
    assert result.exit_code == 1 and ".tar" in result.output


def test_a_gzip_archive_round_trips(source, target, tmp_path):
    archive = tmp_path / "nightly.tar.gz"
    assert run(source, "create", "--output", str(archive)).exit_code == 0
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert run(target, "restore", str(archive)).exit_code == 0
    assert state(target) == state(source)


@pytest.mark.skipif(not ON_PG, reason="PostgreSQL only")
def test_postgres_password_never_on_the_command_line():
    url = make_url("postgresql+psycopg://app:s3cret@db.example:5433/fallwerk?sslmode=require")
    conninfo, env = database.libpq(url)
    assert "s3cret" not in conninfo
    assert conninfo == "host='db.example' port='5433' user='app' dbname='fallwerk' sslmode='require'"
    assert env["PGPASSWORD"] == "s3cret"


@pytest.mark.skipif(not ON_PG, reason="PostgreSQL only")
def test_postgres_missing_tools_are_named_and_nothing_is_written(make_app, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    app = make_app({"PG_BIN_DIR": str(empty)})
    result = run(app, "create", "--output", str(tmp_path))
    assert result.exit_code == 1
    assert "pg_dump nicht gefunden / not found" in result.output and "postgresql-client-" in result.output
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(("fallwerk-backup", ".fallwerk"))]


@pytest.mark.skipif(ON_PG, reason="SQLite only")
def test_sqlite_backup_is_consistent_while_another_connection_writes(source, target, tmp_path):
    """The online backup API copies the committed state; a write still open in another
    connection (the running app) is neither in the backup nor blocked by it."""
    path = database.sqlite_file(make_url(source.config["SQLALCHEMY_DATABASE_URI"]))
    writer = sqlite3.connect(path)
    writer.execute("BEGIN")
    writer.execute("UPDATE user_account SET display_name = 'halb geschrieben' WHERE username = 'fb36'")
    try:
        result = run(source, "create", "--output", str(tmp_path / "live.tar"))
    finally:
        writer.close()  # never committed
    assert result.exit_code == 0, result.output
    assert run(target, "restore", str(tmp_path / "live.tar")).exit_code == 0
    assert state(target)["names"]["fb36"] != "halb geschrieben"
    assert os.path.exists(tmp_path / "live.tar")
    with target.app_context():
        assert services.current_figures()["counts"]["users"] == len(state(source)["names"])


@pytest.mark.skipif(ON_PG, reason="SQLite only: on PostgreSQL the worker's schema is shared by the suite")
def test_a_backup_from_older_code_is_brought_up_to_date(source, target, tmp_path):
    from flask_migrate import downgrade, stamp

    with source.app_context():
        db.session.remove()
        stamp()  # the schema of the test database is the head's
        downgrade(revision="-1")  # what the previous version of the code had
        db.engine.dispose()
        figures = services.current_figures()  # counts and case references (any schema)
        older = figures["alembic_revision"]
        heads = sorted(services.migrations().get_heads())
    assert older and older != heads
    assert run(source, "create", "--output", str(tmp_path / "older.tar")).exit_code == 0

    result = run(target, "restore", str(tmp_path / "older.tar"))
    assert result.exit_code == 0, result.output
    assert "upgraded to the current revision" in result.output
    with target.app_context():
        restored = services.current_figures()
    assert restored["alembic_revision"] == heads
    assert services.differences(figures, restored) == []
