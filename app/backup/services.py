"""Create, verify and restore backups: the work behind ``flask backup``.

A backup is the database first, then the document files: a document uploaded meanwhile is an
orphan file in the archive (harmless, ``flask documents check`` names it); the files are written
once under random keys and never changed, so each file read is whole.

A restore checks everything before it changes anything: the archive against its manifest (in a
private staging folder), the kind of database, the Alembic revision (a backup made by newer code is
refused: this code cannot know its schema), the client tools, and that the target is empty (or
``--yes``). Then the database, then the documents folder is made equal to the archive's; a backup
from older code is brought up to date with the migrations (``db upgrade``). The running app (web,
timer worker) must be stopped during a restore.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app

from app.backup import archive, database
from app.backup.archive import BackupError
from app.documents import storage
from app.extensions import db
from app.timeutil import utcnow


def app_version() -> str:
    try:
        return importlib.metadata.version("fallwerk")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def archive_name(now: datetime, gzip: bool = False) -> str:
    return f"fallwerk-backup-{now:%Y%m%dT%H%M%SZ}.tar" + (".gz" if gzip else "")


def target_path(output: str | None, now: datetime, gzip: bool = False) -> Path:
    """``output`` may be a folder (the archive gets its default name there) or a file name ending
    in .tar or .tar.gz; an existing file is never overwritten."""
    path = Path(output) if output else Path.cwd()
    if path.is_dir():
        return path / archive_name(now, gzip)
    if not path.name.endswith((".tar", ".tar.gz")):
        raise BackupError(f"The archive name must end in .tar or .tar.gz: {path}")
    if path.exists():
        raise BackupError(f"File exists, not overwritten: {path}")
    if not path.parent.is_dir():
        raise BackupError(f"Folder does not exist: {path.parent}")
    return path


def document_files(root: Path) -> list[Path]:
    """The stored files below ``root`` (not the hidden temporary files of running uploads)."""
    if not root.is_dir():
        return []
    return sorted(path for path in root.rglob("*")
                  if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts))


def _bin_dir() -> str:
    return current_app.config.get("PG_BIN_DIR") or ""


def create(output: str | None = None, gzip: bool = False) -> tuple[Path, dict[str, Any]]:
    """Write a backup archive; returns its path and its manifest."""
    now = utcnow()
    url = db.engine.url
    kind = database.kind_of(url)
    target = target_path(output, now, gzip)
    db.session.remove()  # no transaction of ours is open while the database is copied
    staging = Path(tempfile.mkdtemp(prefix=".fallwerk-backup-", dir=target.parent))  # mode 0700
    writer: archive.Writer | None = None
    try:
        if kind == database.POSTGRESQL:
            member = "database.dump"
            figures = database.pg_dump(db.engine, staging / member, _bin_dir())
        else:
            member = "database.sqlite"
            database.sqlite_copy(database.sqlite_file(url), staging / member)
            with database.sqlite_connection(staging / member) as connection:
                figures = database.facts(connection)
        writer = archive.Writer(target)
        writer.add_file(member, staging / member)
        root = storage.root()
        documents = sum(writer.add_file(f"{archive.DOCUMENTS}/{path.relative_to(root).as_posix()}", path)
                        for path in document_files(root))
        manifest = {"app_version": app_version(), "database": kind, "created_at": now.isoformat(),
                    "document_files": documents, **figures}
        writer.finish(manifest, now.timestamp())
        writer = None
    finally:
        if writer is not None:
            writer.abort()
        shutil.rmtree(staging, ignore_errors=True)
    return target, manifest


def verify(path: Path) -> dict[str, Any]:
    """The manifest of an archive whose every member matches its checksum (else BackupError)."""
    return archive.unpack(path, None)


def differences(manifest: dict[str, Any], figures: dict[str, Any]) -> list[str]:
    """What differs between a backup's figures and a database's (empty: the same cases)."""
    found = []
    for key, expected in manifest.get("counts", {}).items():
        actual = figures["counts"].get(key)
        if actual != expected:
            found.append(f"{key}: {actual} in the database, {expected} in the backup")
    if manifest.get("case_references_sha256") != figures["case_references_sha256"]:
        found.append("case references differ (checksum)")
    return found


def current_figures() -> dict[str, Any]:
    db.session.remove()
    with db.engine.connect() as connection:
        return database.facts(connection)


def migrations():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", current_app.extensions["migrate"].directory)
    return ScriptDirectory.from_config(config)


def unknown_revisions(revisions: list[str]) -> list[str]:
    """Revisions this code does not know: the backup was made by newer (or other) code."""
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    script = migrations()
    unknown = []
    for revision in revisions:
        try:
            if script.get_revision(revision) is None:
                unknown.append(revision)
        except (CommandError, RevisionError):
            unknown.append(revision)
    return unknown


@dataclass
class Restored:
    manifest: dict[str, Any]
    figures: dict[str, Any]
    upgraded: bool = False
    problems: list[str] = field(default_factory=list)


def restore(path: Path, yes: bool = False) -> Restored:
    url = db.engine.url
    kind = database.kind_of(url)
    staging = Path(tempfile.mkdtemp(prefix="fallwerk-restore-"))  # mode 0700; TMPDIR decides where
    try:
        manifest = archive.unpack(path, staging)  # every checksum first: nothing is changed before
        if manifest.get("database") != kind:
            raise BackupError(f"The backup holds a {manifest.get('database')} database; "
                              f"the configured database is {kind}.")
        revisions = list(manifest.get("alembic_revision") or [])
        unknown = unknown_revisions(revisions)
        if unknown:
            raise BackupError(f"The backup is from a newer version (Alembic revision {', '.join(unknown)} is "
                              "unknown to this code): restore it with that version of Fallwerk.")
        db.session.remove()
        with db.engine.connect() as connection:
            empty = database.is_empty(connection)
            restore_tool = (database.tool("pg_restore", _bin_dir(), database.server_major(connection))
                            if kind == database.POSTGRESQL else "")
        root = storage.root()
        if not yes and not (empty and not document_files(root)):
            raise BackupError("The target is not empty (database tables or document files exist): "
                              "it would be replaced. Add --yes to restore over it.")
        db.engine.dispose()  # none of our connections holds a lock the restore waits for
        if kind == database.POSTGRESQL:
            database.pg_restore(url, restore_tool, staging / "database.dump")
        else:
            live = database.sqlite_file(url)
            live.parent.mkdir(parents=True, exist_ok=True)
            database.sqlite_copy(staging / "database.sqlite", live)
        db.engine.dispose()
        _restore_documents(staging / archive.DOCUMENTS, root)
        upgraded = False
        if revisions and set(revisions) != set(migrations().get_heads()):
            from flask_migrate import upgrade

            upgrade()
            upgraded = True
            db.engine.dispose()
        figures = current_figures()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    problems = [] if upgraded else differences(manifest, figures)
    return Restored(manifest, figures, upgraded, problems)


def _restore_documents(source: Path, root: Path) -> None:
    """Make ``root`` hold exactly the archive's files (each written under a temporary name and
    renamed, mode 0600; folders 0700)."""
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    wanted = {path.relative_to(source) for path in document_files(source)}
    for path in document_files(root):
        if path.relative_to(root) not in wanted:
            path.unlink()
    for relative in sorted(wanted):
        target = root / relative
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".restore-")
        try:
            with os.fdopen(handle, "wb") as out, (source / relative).open("rb") as src:
                shutil.copyfileobj(src, out)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o600)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
