"""``flask backup create | verify | restore``: for the operations team (messages in English)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup

from app.backup import services
from app.backup.archive import BackupError


def _counts(counts: dict[str, Any]) -> str:
    return ", ".join(f"{key} {value if value is not None else '-'}" for key, value in counts.items())


def register_backup_cli(app: Flask) -> None:
    backup = AppGroup("backup", help="Backups of the database and the documents (one archive).")

    @backup.command("create")
    @click.option("--output", "-o", default=None,
                  help="Folder or file (.tar / .tar.gz) to write; default: the current folder.")
    @click.option("--gzip", is_flag=True, help="Compress the archive (.tar.gz) when --output is a folder.")
    def backup_create(output, gzip):
        """Write fallwerk-backup-<UTC time>.tar (mode 0600): the database, the documents and a
        manifest with checksums. Safe while the app runs."""
        try:
            path, manifest = services.create(output, gzip)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"backup written: {path}")
        click.echo(f"revision {','.join(manifest['alembic_revision'] or ['-'])}; {_counts(manifest['counts'])}; "
                   f"document files {manifest['document_files']}")

    @backup.command("verify")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--database", "against_database", is_flag=True,
                  help="Also compare the backup's counts and case references with the configured database.")
    def backup_verify(path, against_database):
        """Check every member of an archive against its manifest (and, with --database, the
        configured database against the backup: exit code 1 when they differ)."""
        try:
            manifest = services.verify(path)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"archive intact: {len(manifest['files'])} members, created {manifest['created_at']}, "
                   f"{manifest['database']}; {_counts(manifest['counts'])}")
        if against_database:
            problems = services.differences(manifest, services.current_figures())
            for problem in problems:
                click.echo(f"differs: {problem}", err=True)
            if problems:
                raise SystemExit(1)
            click.echo("database matches the backup (counts and case references)")

    @backup.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Replace a database/documents folder that is not empty.")
    def backup_restore(path, yes):
        """Restore an archive into the configured database and documents folder (stop the web app
        and the timer worker first). Checks the archive before changing anything."""
        try:
            result = services.restore(path, yes)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"restored {path} (created {result.manifest['created_at']})"
                   + ("; database upgraded to the current revision" if result.upgraded else ""))
        click.echo(f"now: {_counts(result.figures['counts'])}")
        for problem in result.problems:
            click.echo(f"differs from the backup: {problem}", err=True)
        if result.problems:
            raise SystemExit(1)

    app.cli.add_command(backup)
