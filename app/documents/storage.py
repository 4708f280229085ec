"""The files of documents, outside the database rows.

- Where: ``DOCUMENT_STORAGE_DIR`` (empty: ``INSTANCE_DIR/documents``), each file under a random
  key (``<key[:2]>/<key>``), never under the name it was uploaded with.
- Writing never leaves half a file: the bytes go to a temporary file in the target folder,
  are synced, and renamed into place (``os.replace`` is atomic on one file system).
- The file and its row travel together: the file is written first, then the row is flushed.
  If the transaction rolls back afterwards (a later error, a 4xx answer), the file written in it
  is removed again; a file whose row was deleted is removed only once that deletion has been
  committed. Both through the session's transaction events (``init_app``), so no view has to
  remember it.
- Reading checks the content hash stored in the row (:func:`read_verified`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import tempfile
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import event

from app.extensions import db

log = logging.getLogger(__name__)
_KEY = re.compile(r"^[0-9a-f]{40}$")
_WRITTEN, _DROPPED = "documents_written", "documents_dropped"
_listening = False


class FileProblem(Exception):
    """The stored file is missing or is not the file that was uploaded (hash differs)."""


def root() -> Path:
    configured = current_app.config.get("DOCUMENT_STORAGE_DIR") or ""
    return Path(configured) if configured else Path(current_app.config["INSTANCE_DIR"]) / "documents"


def path_of(key: str) -> Path:
    if not _KEY.match(key):  # a key is ours (hex); never a path from outside
        raise FileProblem(f"invalid storage key {key!r}")
    return root() / key[:2] / key


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store(data: bytes) -> str:
    """Write ``data`` under a new random key (atomically) and return the key. The file is removed
    again if the current transaction does not commit."""
    key = secrets.token_hex(20)
    target = path_of(key)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    db.session.info.setdefault(_WRITTEN, []).append(str(target))
    return key


def drop_after_commit(key: str) -> None:
    """Remove the file of ``key`` once the current transaction has committed."""
    db.session.info.setdefault(_DROPPED, []).append(str(path_of(key)))


def read_verified(key: str, expected_sha256: str) -> bytes:
    """The stored bytes, if they still have the hash taken at upload; else :class:`FileProblem`."""
    try:
        data = path_of(key).read_bytes()
    except OSError as exc:
        raise FileProblem(f"file {key} cannot be read: {exc.strerror}") from None
    found = sha256(data)
    if found != expected_sha256:
        raise FileProblem(f"file {key} has sha256 {found}, expected {expected_sha256}")
    return data


def _unlink(paths: list[str], why: str) -> None:
    for name in paths:
        try:
            Path(name).unlink(missing_ok=True)
        except OSError:  # the row is right either way; the leftover file is harmless
            log.warning("document file %s could not be removed (%s)", name, why)


def _after_commit(session) -> None:
    if session.in_nested_transaction():
        return
    session.info.pop(_WRITTEN, None)  # committed with their rows: keep
    _unlink(session.info.pop(_DROPPED, []), "deleted")


def _after_transaction_end(session, transaction) -> None:
    if transaction.parent is not None:
        return
    # Still listed: the transaction ended without a commit, so no row points at these files.
    _unlink(session.info.pop(_WRITTEN, []), "rolled back")
    session.info.pop(_DROPPED, None)


def init_app(_app: Flask) -> None:
    """Listen to the end of ``db.session``'s transactions (once per process)."""
    global _listening
    if _listening:
        return
    event.listen(db.session, "after_commit", _after_commit)
    event.listen(db.session, "after_transaction_end", _after_transaction_end)
    _listening = True
