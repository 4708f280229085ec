"""The backup archive: one tar file (optionally gzip) holding ``database.dump`` (PostgreSQL custom
format) or ``database.sqlite``, ``documents/<key[:2]>/<key>`` and ``manifest.json``.

Why the manifest holds a SHA-256 of every member: a restore must not begin on an archive that
was cut short on its way to tape or changed by anyone; the archive is unpacked into a private
staging folder while hashing, and only an archive whose every member matches is used.

The file holds social data (Sozialdaten): it is created with mode 0600 under a temporary name in
the target folder and renamed into place when complete, so a half-written backup never carries
the final name. Encryption at rest is the operator's job (README, "Backups").
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
from pathlib import Path, PurePosixPath
from typing import IO, Any

MANIFEST = "manifest.json"
DATABASE_MEMBERS = ("database.dump", "database.sqlite")
DOCUMENTS = "documents"
FORMAT = 1
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup could not be made, or an archive is refused (the message says why)."""


class _Hashing:
    """A file object that hashes what is read through it (tarfile reads members in chunks)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        return data


def _info(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(mtime), 0o600
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


class Writer:
    """Writes the archive to ``<target>.partial`` (mode 0600) and renames it on :meth:`finish`."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.partial = target.with_name(target.name + ".partial")
        descriptor = os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.fchmod(descriptor, 0o600)  # whatever the umask says
        self.file = os.fdopen(descriptor, "wb")
        self.tar = tarfile.open(fileobj=self.file, mode="w:gz" if target.name.endswith(".gz") else "w")
        self.files: dict[str, str] = {}

    def add_file(self, name: str, path: Path) -> bool:
        """Add ``path`` as member ``name``; False if the file vanished meanwhile (a document
        removed after its deletion was committed)."""
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            return False
        with handle:
            stat = os.fstat(handle.fileno())
            reader = _Hashing(handle)
            self.tar.addfile(_info(name, stat.st_size, stat.st_mtime), reader)
        self.files[name] = reader.digest.hexdigest()
        return True

    def finish(self, manifest: dict[str, Any], mtime: float) -> Path:
        data = json.dumps({**manifest, "format": FORMAT, "files": self.files}, indent=2, sort_keys=True).encode()
        from io import BytesIO

        self.tar.addfile(_info(MANIFEST, len(data), mtime), BytesIO(data))
        self.tar.close()
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.partial, self.target)
        return self.target

    def abort(self) -> None:
        try:
            self.tar.close()
        except (OSError, tarfile.TarError):
            pass
        self.file.close()
        self.partial.unlink(missing_ok=True)


def _checked_name(name: str) -> str:
    """Only the members a backup has; never an absolute path or one that climbs out."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"Archive member with an unsafe name refused: {name!r}")
    if name in DATABASE_MEMBERS or name == MANIFEST:
        return name
    if path.parts[0] == DOCUMENTS and len(path.parts) >= 2:
        return path.as_posix()
    raise BackupError(f"Unexpected archive member: {name!r} (not a Fallwerk backup?)")


def unpack(archive: Path, staging: Path | None) -> dict[str, Any]:
    """Read the archive, hash every member (writing it below ``staging`` unless None) and return
    the manifest once every member matches its SHA-256. Raises :class:`BackupError` otherwise."""
    digests: dict[str, str] = {}
    manifest_bytes: bytes | None = None
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            for member in tar:
                name = _checked_name(member.name)
                if not member.isfile():
                    raise BackupError(f"Archive member is not a regular file: {name!r}")
                if name in digests or (name == MANIFEST and manifest_bytes is not None):
                    raise BackupError(f"Archive member appears twice: {name!r}")
                source = tar.extractfile(member)
                assert source is not None  # a regular file
                if name == MANIFEST:
                    manifest_bytes = source.read(10 * 1024 * 1024)
                    continue
                digest = hashlib.sha256()
                out: IO[bytes] | None = None
                if staging is not None:
                    target = staging / name
                    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                    out = open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")
                try:
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        if out is not None:
                            out.write(chunk)
                finally:
                    if out is not None:
                        out.close()
                digests[name] = digest.hexdigest()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"Archive unreadable or incomplete: {archive}: {exc}") from exc
    if manifest_bytes is None:
        raise BackupError("Archive has no manifest.json (not a Fallwerk backup?)")
    try:
        manifest = json.loads(manifest_bytes)
        files = dict(manifest["files"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"manifest.json unreadable: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r} (this code reads {FORMAT}).")
    missing = sorted(set(files) - set(digests))
    extra = sorted(set(digests) - set(files))
    changed = sorted(name for name in set(files) & set(digests) if files[name] != digests[name])
    if missing or extra or changed:
        parts = [f"{label}: {', '.join(names[:5])}" + (" …" if len(names) > 5 else "")
                 for label, names in (("checksum mismatch", changed), ("missing", missing),
                                      ("not in the manifest", extra)) if names]
        raise BackupError("Archive refused, it does not match its manifest (" + "; ".join(parts) + ").")
    if not any(name in digests for name in DATABASE_MEMBERS):
        raise BackupError("Archive holds no database.")
    return manifest
