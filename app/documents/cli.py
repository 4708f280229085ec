"""``flask documents check [--remove-orphans]``: the stored files against their rows.

Reports rows whose file is missing or changed (exit code 1), and files without a live row: left
behind when a process died between writing a file and committing its row, or when removing a
deleted document's file failed. ``--remove-orphans`` removes those older than ``--min-age``
minutes (younger ones may belong to an upload that is still being committed).
"""

from __future__ import annotations

import time

import click
from sqlalchemy import select

from app.documents import storage
from app.documents.models import Document
from app.documents.routes import bp
from app.extensions import db


@bp.cli.command("check")
@click.option("--remove-orphans", is_flag=True, help="Remove files without a live document row.")
@click.option("--min-age", default=60, show_default=True, help="Minutes a file must be old to count as orphan.")
def check(remove_orphans: bool, min_age: int) -> None:
    live = {key: (doc_id, digest) for doc_id, key, digest in db.session.execute(
        select(Document.id, Document.storage_key, Document.sha256).where(Document.deleted_at.is_(None)))}
    problems = 0
    for key, (doc_id, digest) in sorted(live.items(), key=lambda item: item[1][0]):
        try:
            storage.read_verified(key, digest)
        except storage.FileProblem as exc:
            problems += 1
            click.echo(f"document {doc_id}: {exc}")
    root = storage.root()
    cutoff = time.time() - min_age * 60
    orphans = [path for path in (root.glob("*/*") if root.exists() else [])
               if path.is_file() and path.name not in live and path.stat().st_mtime < cutoff]
    for path in orphans:
        click.echo(f"orphan file {path.relative_to(root)}" + (" (removed)" if remove_orphans else ""))
        if remove_orphans:
            path.unlink(missing_ok=True)
    click.echo(f"{len(live)} documents checked, {problems} with a missing or changed file, {len(orphans)} orphan files")
    if problems:
        raise SystemExit(1)
