"""MBE's client link belongs to app/mbe (issue 12): the generic tables and modules never name
``client_id``; a case's client is read and written only through ``app.mbe.clients``."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from app.engine.models import ProcessInstance

ROOT = Path(__file__).resolve().parents[2]
# MBE's package and MBE's templates; app/translations only copies source text.
OWNERS = ("app/mbe/", "app/templates/mbe/", "app/translations/", "app/static/build/")
# Issue 14: the access log names whose data was read (a client's id, no foreign key), and the
# Art. 15 export of an MBE client reads the client only through app.mbe.clients and searches the
# access log by the client's id.
OWNERS += ("app/accesslog/", "app/templates/accesslog/", "app/disclosure/", "app/templates/disclosure/")
# Issue 17: OAuth 2's client_id (Fallwerk as the client registered at the OpenID Connect
# provider, Authlib's parameter name), not an MBE client.
OWNERS += ("app/directory/oidc.py",)
SUFFIXES = {".py", ".html", ".js", ".toml", ".json", ".txt", ".md"}


def test_no_module_outside_app_mbe_mentions_client_id():
    offenders = []
    for path in sorted((ROOT / "app").rglob("*")):
        relative = path.relative_to(ROOT).as_posix()
        if not path.is_file() or path.suffix not in SUFFIXES or relative.startswith(OWNERS):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if "client_id" in line:
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == [], "client_id belongs to app/mbe:\n" + "\n".join(offenders)


def test_the_scan_sees_the_mbe_link():
    """The scan is not vacuous: app/mbe does use the name."""
    assert "client_id" in (ROOT / "app/mbe/models.py").read_text(encoding="utf-8")


def test_process_instance_has_no_client_column():
    assert "client_id" not in {column.key for column in inspect(ProcessInstance).columns}
