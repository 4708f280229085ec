"""Documents: files on cases (signed consent, Integrationsvereinbarung, letters, proofs) and on
volunteers' profiles (Führungszeugnis, Schweigepflichterklärung).

- ``sniff``: the type by content, never by name; programs, macros and unknown types refused.
- ``storage``: the files outside the rows, under random keys, written atomically, removed again
  when the transaction does not commit; the SHA-256 checked on every download.
- ``services``: who may see and file what, filing, the recorded (soft) deletion.
- ``routes`` / ``api``: the pages, the case view's section (``case_panels``), API v1.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from app.documents import cli, storage  # noqa: F401 - cli: flask documents check
    from app.documents.routes import bp
    from app.documents.services import ADDED, DELETED
    from app.engine import events as event_kinds

    storage.init_app(app)
    event_kinds.register(ADDED, _l("Dokument abgelegt"))
    event_kinds.register(DELETED, _l("Dokument gelöscht"))
    app.register_blueprint(bp)
