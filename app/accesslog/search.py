"""Searching the access log (the data protection officer's page and API) and the latest reads
of one case (the responsible counsellor's case panel).

Every query filters on one indexed column and sorts by ``at`` (indexes ``case_id, at``,
``client_id, at``, ``user_id, at`` and ``at``), newest first, and pages with LIMIT/OFFSET.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from app.accesslog.models import (
    APPOINTMENT,
    CASE,
    CLIENT,
    DOCUMENT,
    DOWNLOAD,
    EXPORT,
    JOURNAL,
    LIST,
    PLAN,
    TASK,
    VIEW,
    VOLUNTEER,
    AccessLogEntry,
)
from app.auth.models import User
from app.engine.models import ProcessInstance
from app.extensions import db

ACTION_LABELS = {VIEW: _l("angesehen"), DOWNLOAD: _l("heruntergeladen"), EXPORT: _l("exportiert"),
                 LIST: _l("Liste/Suche")}
OBJECT_LABELS = {CASE: _l("Fall"), CLIENT: _l("Klient/in"), DOCUMENT: _l("Dokument"), JOURNAL: _l("Journal"),
                 TASK: _l("Aufgabe"), PLAN: _l("Integrationsvereinbarung"), APPOINTMENT: _l("Termine (Kalender-Abo)"),
                 VOLUNTEER: _l("Ehrenamtliche/r")}
#: The pages (endpoints) that read personal data, in words; API calls are shown as "API: GET …".
VIA_LABELS = {
    "cases.view": _l("Fallansicht"),
    "cases.index": _l("Fallliste"),
    "inbox.index": _l("Posteingang"),
    "inbox.task_page": _l("Aufgabenformular"),
    "search.index": _l("Suche"),
    "mbe.client_search": _l("MBE-Klientensuche"),
    "mbeplan.vereinbarung": _l("Integrationsvereinbarung (Druck)"),
    "documents.download": _l("Dokument-Download"),
    "documents.case_documents": _l("Dokumente des Falls"),
    "documents.volunteer_documents": _l("Dokumente einer/eines Ehrenamtlichen"),
    "volunteers.my_assignments": _l("Meine Einsätze"),
    "volunteers.statement": _l("Aufwandsabrechnung"),
    "volunteers.my_statement": _l("Aufwandsabrechnung"),
    "appointments.feed": _l("Kalender-Abo"),
    "monitor.case": _l("Monitor: Fall"),
    "mbe.hand_over": _l("MBE: Fall übergeben"),
    "mbe.withdraw_consent": _l("MBE: Widerruf der Einwilligung"),
    "monitor.index": _l("Monitor: Fallliste"),
    "appointments.week": _l("Meine Termine"),
    "volunteers.thread": _l("Fragenverlauf"),
    "journal.correct": _l("Journaleintrag korrigieren"),
    "plans.change": _l("Ziel ändern"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def object_label(object_type: str) -> str:
    return str(OBJECT_LABELS.get(object_type, object_type))


def via_label(via: str) -> str:
    if via.startswith(("GET ", "POST ", "PUT ", "PATCH ", "DELETE ")):
        return str(_l("API: %(call)s", call=re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", via)))
    return str(VIA_LABELS.get(via, via))


@dataclass(frozen=True)
class Filters:
    """What the log is searched by; None = not filtered. ``user_id``/``case_id`` are resolved
    from the username and the case reference by :func:`resolve_user` and :func:`resolve_case`."""

    user_id: int | None = None
    case_id: int | None = None
    client_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def resolve_user(username: str) -> int | None:
    """The id of the user named ``username``; -1 (matches no row) when there is none."""
    found = db.session.scalar(select(User.id).where(User.username == username.strip()))
    return found if found is not None else -1


def resolve_case(text: str) -> int | None:
    """A case id from its id or its reference (e.g. "AB-2026-00012"); -1 when there is none."""
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) <= 9:
        return int(text)
    found = db.session.scalar(select(ProcessInstance.id).where(ProcessInstance.reference == text))
    return found if found is not None else -1


def filtered(filters: Filters) -> Select:
    query = select(AccessLogEntry)
    if filters.user_id is not None:
        query = query.where(AccessLogEntry.user_id == filters.user_id)
    if filters.case_id is not None:
        query = query.where(AccessLogEntry.case_id == filters.case_id)
    if filters.client_id is not None:
        query = query.where(AccessLogEntry.client_id == filters.client_id)
    if filters.since is not None:
        query = query.where(AccessLogEntry.at >= filters.since)
    if filters.until is not None:
        query = query.where(AccessLogEntry.at < filters.until)
    return query


def count(filters: Filters) -> int:
    """The number of matching rows."""
    return db.session.scalar(select(func.count()).select_from(filtered(filters).subquery())) or 0


def rows(filters: Filters, *, limit: int, offset: int = 0) -> list[AccessLogEntry]:
    """One page of the matching rows, newest first."""
    return list(db.session.scalars(page_query(filters, limit=limit, offset=offset)))


def page_query(filters: Filters, *, limit: int, offset: int = 0) -> Select:
    """The SQL of one page, newest first (in the order of the indexes, see tests/accesslog/test_indexed.py)."""
    return filtered(filters).order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc()).limit(limit).offset(offset)


def references(rows: list[AccessLogEntry]) -> dict[int, str]:
    """The references of the cases the rows name (one query for the page)."""
    ids = {r.case_id for r in rows if r.case_id is not None}
    if not ids:
        return {}
    found = db.session.execute(select(ProcessInstance.id, ProcessInstance.reference).where(ProcessInstance.id.in_(ids)))
    return {case_id: reference for case_id, reference in found}


def latest_for_case(case_id: int, limit: int = 20) -> list[AccessLogEntry]:
    """The latest reads of one case (the case panel of the responsible counsellor)."""
    return list(db.session.scalars(
        select(AccessLogEntry).where(AccessLogEntry.case_id == case_id)
        .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc()).limit(limit)))
