"""Documents on cases and on volunteers' profiles: who may see and file them, filing, reading
(hash checked) and the recorded deletion.

Who may do what (checked per object, on the server):

- **Case documents.** Full participants of the case (the owning team, 201 staff of the case,
  supervisors, a deputy) see, upload and delete them. The case's volunteer (limited access) sees
  only documents a full participant marked as shared with them, and files none. Anyone else: 404,
  as for the case itself.
- **A volunteer's documents** (Führungszeugnis, Schweigepflichterklärung): 201 staff see, upload
  and delete them; the volunteer sees their own. Anyone else: 404.
"""

from __future__ import annotations

import logging
import re
import unicodedata

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.access import access_level
from app.auth.models import ROLE_EHRENAMT, User
from app.documents import storage
from app.documents.forms import CASE_CATEGORIES, CONSENT, VOLUNTEER_CATEGORIES
from app.documents.models import Document
from app.documents.sniff import EXTENSIONS, Sniffed
from app.engine.models import FULL, LIMITED, CaseEvent, ProcessInstance
from app.erasure.services import case_erasing
from app.extensions import db
from app.timeutil import utcnow
from app.volunteers.access import is_case_volunteer, is_coordinator

log = logging.getLogger(__name__)
ADDED, DELETED = "document_added", "document_deleted"
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
MAX_NAME = 200
#: Why the erasure of a case's personal data marked its documents deleted (stored, like every reason).
ERASED_REASON = "Personenbezogene Daten gelöscht"


class FileChanged(Exception):
    """The stored file is missing or differs from what was uploaded; nothing is sent."""


def changed_message() -> str:
    return _("Die gespeicherte Datei ist nicht mehr die hochgeladene (sie fehlt oder wurde verändert) und "
             "wird deshalb nicht ausgeliefert. Der Vorfall wurde protokolliert; bitte wenden Sie sich an die "
             "Administration.")


# --- names -------------------------------------------------------------------------------------

def clean_filename(raw: str | None, sniffed: Sniffed) -> str:
    """The name to show and to offer on download: the last path part, no control or reserved
    characters, no leading dots, at most 200 characters, ending with an extension of the type
    found in the content (``rechnung.exe`` holding a PDF is offered as ``rechnung.exe.pdf``)."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf"))  # also U+202E tricks
    name = _UNSAFE_NAME.sub("_", name).strip().lstrip(".").strip()
    name = re.sub(r"\s+", " ", name)
    extensions = EXTENSIONS[sniffed.content_type]
    if not name.lower().endswith(extensions):
        name = f"{name or _('Dokument')}{extensions[0]}"
    if len(name) > MAX_NAME:
        suffix = name[-len(next(e for e in extensions if name.lower().endswith(e))):]
        name = name[: MAX_NAME - len(suffix)] + suffix
    return name


def category_label(document: Document) -> str:
    labels = dict(CASE_CATEGORIES if document.instance_id else VOLUNTEER_CATEGORIES)
    return str(labels.get(document.category, document.category))


# --- case documents ------------------------------------------------------------------------------

def case_documents(instance: ProcessInstance, user: User, level: str) -> list[Document]:
    """The case's documents ``user`` (with ``level`` on the case) may see, newest first."""
    query = select(Document).where(Document.instance_id == instance.id, Document.deleted_at.is_(None))
    if level != FULL:
        if not is_case_volunteer(user, instance):
            return []
        query = query.where(Document.shared_with_volunteer.is_(True))
    return list(db.session.scalars(query.order_by(Document.uploaded_at.desc(), Document.id.desc())))


def has_signed_consent(instance: ProcessInstance) -> bool:
    return db.session.scalar(select(Document.id).where(
        Document.instance_id == instance.id, Document.category == CONSENT,
        Document.deleted_at.is_(None)).limit(1)) is not None


def consent_recorded(instance: ProcessInstance) -> bool:
    """Was consent recorded in the case's forms (MBE Erstkontakt: ``einwilligung``)?"""
    return bool((instance.data or {}).get("einwilligung"))


def can_file_on_case(level: str | None) -> bool:
    return level == FULL


def _add(document: Document, content: bytes) -> Document:
    document.storage_key = storage.store(content)  # the file first, then the row (storage.py)
    db.session.add(document)
    db.session.flush()
    return document


def file_on_case(instance: ProcessInstance, user: User, *, content: bytes, sniffed: Sniffed, filename: str | None,
                 category: str, note: str = "", shared_with_volunteer: bool = False) -> Document:
    """File a checked upload on the case and record it in the case history."""
    document = _add(Document(
        instance_id=instance.id, category=category, filename=clean_filename(filename, sniffed),
        content_type=sniffed.content_type, size=len(content), sha256=storage.sha256(content),
        note=(note or "").strip(), shared_with_volunteer=shared_with_volunteer, uploaded_by_id=user.id,
        uploaded_at=utcnow()), content)
    # The history shows the kind, not the name (volunteers read the history, not every document).
    db.session.add(CaseEvent(instance_id=instance.id, kind=ADDED, title=category_label(document), actor_id=user.id,
                             data={"document_id": document.id}))
    return document


# --- volunteers' documents -----------------------------------------------------------------------

def volunteer_or_404(user_id: int) -> User:
    volunteer = db.session.get(User, user_id)
    if volunteer is None or not volunteer.has_role(ROLE_EHRENAMT):
        abort(404)
    return volunteer


def may_see_volunteer_documents(user: User, volunteer: User) -> bool:
    return user.id == volunteer.id or is_coordinator(user)


def may_file_volunteer_documents(user: User) -> bool:
    return is_coordinator(user)


def volunteer_documents(volunteer: User) -> list[Document]:
    return list(db.session.scalars(
        select(Document).where(Document.volunteer_id == volunteer.id, Document.deleted_at.is_(None))
        .order_by(Document.uploaded_at.desc(), Document.id.desc())))


def file_on_volunteer(volunteer: User, user: User, *, content: bytes, sniffed: Sniffed, filename: str | None,
                      category: str, note: str = "") -> Document:
    return _add(Document(
        volunteer_id=volunteer.id, category=category, filename=clean_filename(filename, sniffed),
        content_type=sniffed.content_type, size=len(content), sha256=storage.sha256(content),
        note=(note or "").strip(), uploaded_by_id=user.id, uploaded_at=utcnow()), content)


# --- one document ----------------------------------------------------------------------------------

def visible_document_or_404(user: User, document_id: int) -> tuple[Document, bool]:
    """The document and whether ``user`` may delete it; 404 for anyone who may not see it (also
    for a deleted one: it is gone for readers)."""
    document = db.session.get(Document, document_id)
    if document is None or document.deleted:
        abort(404)
    if document.instance_id is not None:
        instance = db.session.get(ProcessInstance, document.instance_id)
        level = access_level(user, instance) if instance is not None else None
        if level == FULL:
            return document, True
        if (level == LIMITED and document.shared_with_volunteer and instance is not None
                and is_case_volunteer(user, instance)):
            return document, False
        abort(404)
    volunteer = document.volunteer
    if volunteer is None or not may_see_volunteer_documents(user, volunteer):
        abort(404)
    return document, may_file_volunteer_documents(user)


def content_of(document: Document) -> bytes:
    """The file's bytes, checked against the hash taken at upload. A missing or changed file is
    logged and raised as :class:`FileChanged` (never sent)."""
    try:
        return storage.read_verified(document.storage_key, document.sha256)
    except storage.FileProblem as exc:
        log.error("document %s refused on download: %s", document.id, exc)
        raise FileChanged(str(exc)) from None


def delete(document: Document, user: User, reason: str) -> None:
    """Mark the document deleted (who, when, why) and remove its file after the commit; a case
    document's deletion is recorded in the case history."""
    document.deleted_at = utcnow()
    document.deleted_by_id = user.id
    document.delete_reason = reason.strip()[:500]
    storage.drop_after_commit(document.storage_key)
    if document.instance_id is not None:
        db.session.add(CaseEvent(instance_id=document.instance_id, kind=DELETED, title=category_label(document),
                                 actor_id=user.id, data={"document_id": document.id}))
    db.session.flush()


@case_erasing.connect
def _erase_documents(instance: ProcessInstance, actor=None, **_kw) -> dict[str, int]:
    """Erasure of the case's personal data (app/erasure): every document of the case is marked
    deleted, its name and note go, and its file is removed once the transaction has committed
    (a rolled-back erasure keeps the files). The rows stay as the record that a file existed."""
    count = 0
    for document in db.session.scalars(select(Document).where(Document.instance_id == instance.id)):
        if not document.deleted:
            document.deleted_at = utcnow()
            document.deleted_by_id = getattr(actor, "id", None)
            document.delete_reason = ERASED_REASON
            count += 1
        if document.filename or document.note:
            document.filename, document.note = "", ""
        storage.drop_after_commit(document.storage_key)
    db.session.flush()
    return {"dokumente": count}
