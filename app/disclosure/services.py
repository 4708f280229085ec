"""The one door of the Art. 15 export, used by the page and the API: check, build, log.

``client_export`` / ``case_export`` check who may (``access.py``: 404 for whom the person or case
does not exist, 403 for whom it is not theirs to export), build the report in German
(``content.py``), pack the ZIP (``archive.py``) and write the one access log row of the export
(action ``export``) in the request's transaction. The documents inside are not logged one by one:
the export row covers them. The row is written after the report is built, so it appears in the
access log section of the next export, not of this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from flask import abort
from flask_babel import force_locale
from flask_babel import gettext as _

from app.accesslog.models import CASE, CLIENT, EXPORT
from app.accesslog.services import record
from app.auth.models import User
from app.disclosure import archive, content
from app.disclosure.access import Right, case_right, client_right
from app.engine.models import ProcessInstance
from app.extensions import db
from app.mbe import clients
from app.mbe.models import Client
from app.timeutil import office_zone, utcnow

LOCALE = "de"  # the summary is for the person asking, in German whatever the exporter's language


@dataclass
class Export:
    filename: str
    file: IO[bytes]


def _check(right: Right, message: str) -> None:
    if right is Right.HIDDEN:
        abort(404)
    if right is Right.FORBIDDEN:
        abort(403, message)


def forbidden_client_message() -> str:
    return _("Die Auskunft nach Art. 15 DSGVO erstellen nur die zuständige Beratung und die Leitung.")


def forbidden_case_message() -> str:
    return _("Die Auskunft nach Art. 15 DSGVO erstellen nur Fachkräfte und Leitung des fallverantwortlichen Teams.")


def client_or_404(user: User, client_id: int) -> Client:
    """The client, if ``user`` may export them; 404 / 403 otherwise."""
    client = clients.get_client(user, client_id) if user.is_authenticated else None
    _check(client_right(user, client), forbidden_client_message())
    assert client is not None
    return client


def case_client(instance: ProcessInstance) -> Client | None:
    """The MBE client of a case: their export covers the case (and their other cases)."""
    return clients.client_of(instance)


def _filename(label: str) -> str:
    day = utcnow().astimezone(office_zone()).date().isoformat()
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in label)
    return f"auskunft-{safe}-{day}.zip"


def _build(user: User, client: Client | None, cases: list[ProcessInstance]) -> IO[bytes]:
    with force_locale(LOCALE):
        report, files = content.report(exporter=user, now=utcnow(), client=client, cases=cases)
        return archive.build(report, files)


def client_export(user: User, client: Client) -> Export:
    """Everything held about ``client`` (checked by ``client_or_404``): master data, every case."""
    cases = [e.instance for e in reversed(clients.cases_of([client.id]).get(client.id, []))]  # oldest first
    file = _build(user, client, cases)
    record(user, EXPORT, CLIENT, client.id, client_id=client.id)
    return Export(_filename(f"klient-{client.id}"), file)


def case_export(user: User, instance: ProcessInstance) -> Export:
    """Everything held in one case without a client record; a case of an MBE client is answered
    with the client's export (404 / 403 by the client's rules)."""
    client = case_client(instance)
    if client is not None:
        _check(client_right(user, client), forbidden_client_message())
        return client_export(user, client)
    _check(case_right(user, instance), forbidden_case_message())
    file = _build(user, None, [instance])
    record(user, EXPORT, CASE, instance.id, case_id=instance.id)
    return Export(_filename(instance.reference), file)


def case_or_404(user: User, instance_id: int) -> ProcessInstance:
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None or case_right(user, instance) is Right.HIDDEN:
        abort(404)
    return instance


def may_export_client(user: User, client: Client) -> bool:
    return client_right(user, client) is Right.ALLOWED


def may_export_case(user: User, instance: ProcessInstance) -> bool:
    """May ``user`` export ``instance`` (through its client, if it has one)?"""
    client = case_client(instance)
    if client is not None:
        return client_right(user, client) is Right.ALLOWED
    return case_right(user, instance) is Right.ALLOWED
