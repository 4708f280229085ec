"""The key that signs sessions and CSRF tokens when none is configured.

A key in the code or the README is a key everybody has: with it anyone can sign a session cookie
for ``admin``. So there is no default. Without ``SECRET_KEY`` the first process that starts
generates a random key and keeps it in ``INSTANCE_DIR/secret_key`` (mode 0600; ``instance/`` is
git-ignored); every later process — other gunicorn workers, the timer worker, a restart — reads
the same file, so sessions survive restarts and are valid across workers.

Several processes start at once (``gunicorn -w 4``): each writes its candidate to a private
temporary file and hard-links it to the final name. ``link`` fails when the name exists, so
exactly one candidate wins and nobody can read a half-written key; the losers read the winner's.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

KEY_FILE = "secret_key"


def _read(path: Path) -> str:
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable key; delete it to generate a new one.")
    return key


def installation_secret(instance_dir: str | Path) -> str:
    """The installation's generated key: read it, or create it once (race-free)."""
    directory = Path(instance_dir)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / KEY_FILE
    if not path.exists():
        candidate = directory / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(candidate, path)  # atomic; fails if another process won
            except FileExistsError:
                pass
        finally:
            candidate.unlink(missing_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:  # copied in or restored from a backup with loose rights
        os.chmod(path, 0o600)
    return _read(path)
