"""Drafts, publishing (with optional four-eyes approval) and rollback of process models.

Services only flush; routes commit. Refused actions raise ``ModelerError`` (German message) or
``PublishRefused`` (with the validation problems) and change nothing.
"""

from __future__ import annotations

import hashlib

from blinker import Namespace
from flask import current_app
from flask_babel import gettext as _
from lxml import etree
from sqlalchemy import select, update

from app.auth.models import ROLE_PROZESS, User
from app.engine.models import RUNNING, ProcessInstance, ProcessModel, ProcessVersion
from app.engine.service import latest_version
from app.extensions import db
from app.modeler.adopt import adopt_process_id
from app.modeler.models import DRAFT, OPEN_DRAFT_STATES, PUBLISHED, SUBMITTED, ProcessDraft
from app.modeler.validation import Problem, validate_bpmn
from app.modeler.xmlsafe import read_bpmn
from app.timeutil import utcnow

_signals = Namespace()
#: ``(sender=app, version=ProcessVersion, draft=ProcessDraft)`` after a draft became a version
#: (flushed, not committed): features pin what the version uses (e.g. builder form versions).
version_published = _signals.signal("process-version-published")
#: ``(sender=app, draft=ProcessDraft, user=User)`` after a draft was submitted for four-eyes
#: approval (flushed, not committed): app/modeler/approval.py records it and tells the approvers.
draft_submitted = _signals.signal("process-draft-submitted")


class ModelerError(Exception):
    """A refused action; ``str()`` is a German message."""


class NotAllowed(ModelerError):
    """This person may not do this (e.g. approve their own draft): 403."""


class PublishRefused(ModelerError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(_("Das Modell hat Probleme und kann nicht veröffentlicht werden."))
        self.problems = problems


def max_bytes() -> int:
    return current_app.config["MODELER_MAX_BPMN_BYTES"]


def four_eyes(model: ProcessModel | None = None) -> bool:
    """Whether publishing ``model`` needs a second process owner's approval: the model's own
    setting, else (and without a model) the installation's default FOUR_EYES_PUBLISHING."""
    if model is not None and model.four_eyes is not None:
        return bool(model.four_eyes)
    return bool(current_app.config.get("FOUR_EYES_PUBLISHING"))


def digest(xml: str) -> str:
    return hashlib.sha256(xml.encode("utf-8")).hexdigest()


def normalise(data: bytes | str) -> str:
    """Checked BPMN text (raises ``UnsafeXml``); stored as UTF-8 text, whatever the upload's encoding."""
    raw, root = read_bpmn(data, max_bytes())
    encoding = (root.getroottree().docinfo.encoding or "UTF-8").upper().replace("_", "-")
    if encoding in ("UTF-8", "UTF8", "US-ASCII", "ASCII"):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True).decode("utf-8")


def _check(draft: ProcessDraft) -> list[Problem]:
    problems = validate_bpmn(draft.bpmn_xml, draft.model.key, max_bytes())
    draft.problems = [p.as_dict() for p in problems]
    draft.valid = not problems
    return problems


def open_drafts(model: ProcessModel) -> list[ProcessDraft]:
    return list(db.session.scalars(select(ProcessDraft).where(
        ProcessDraft.model_id == model.id, ProcessDraft.status.in_(OPEN_DRAFT_STATES)
    ).order_by(ProcessDraft.id.desc())))


def create_draft(model: ProcessModel, user: User, data: bytes | str | None = None,
                 comment: str = "") -> ProcessDraft:
    """A new draft from ``data`` (upload / API body) or from the newest version."""
    newest = latest_version(model)
    if data is None:
        if newest is None:
            raise ModelerError(_("Es gibt noch keine Version, auf der ein Entwurf aufbauen kann."))
        xml = newest.bpmn_xml
    else:
        xml = normalise(data)
        if newest is None:  # a new model takes the process of its first file (app/modeler/adopt.py)
            xml = adopt_process_id(xml, model.key)
    now = utcnow()
    draft = ProcessDraft(model=model, base_version_number=newest.number if newest else None, bpmn_xml=xml,
                         content_hash=digest(xml), status=DRAFT, comment=comment[:500], created_by=user,
                         created_at=now, updated_by=user, updated_at=now, problems=[])
    db.session.add(draft)
    _check(draft)
    db.session.flush()
    return draft


def update_draft(draft: ProcessDraft, user: User, data: bytes | str) -> list[Problem]:
    """Replace the draft's content (a submitted draft goes back to draft: the approval was for
    the old content)."""
    if draft.status not in OPEN_DRAFT_STATES:
        raise ModelerError(_("Dieser Entwurf ist bereits veröffentlicht oder verworfen."))
    _hold(draft)
    xml = normalise(data)
    if xml != draft.bpmn_xml:
        draft.bpmn_xml, draft.content_hash = xml, digest(xml)
        draft.status, draft.submitted_by, draft.submitted_at = DRAFT, None, None
    draft.updated_by, draft.updated_at = user, utcnow()
    problems = _check(draft)
    db.session.flush()
    return problems


def discard_draft(draft: ProcessDraft, user: User) -> None:
    if draft.status not in OPEN_DRAFT_STATES:
        raise ModelerError(_("Dieser Entwurf ist bereits veröffentlicht oder verworfen."))
    _hold(draft)
    draft.status, draft.updated_by, draft.updated_at = "discarded", user, utcnow()
    db.session.flush()


def request_publish(draft: ProcessDraft, user: User, comment: str | None) -> ProcessVersion | None:
    """Publish the draft, or (four-eyes publishing) submit it for approval: returns None then."""
    if draft.status not in OPEN_DRAFT_STATES:
        raise ModelerError(_("Dieser Entwurf ist bereits veröffentlicht oder verworfen."))
    _hold(draft)
    comment = (comment or draft.comment or "").strip()[:500]
    if not comment:
        raise ModelerError(_("Bitte beschreiben Sie kurz, was sich ändert (Kommentar)."))
    draft.comment = comment
    problems = _check(draft)
    if problems:
        raise PublishRefused(problems)
    _refuse_unchanged(draft)
    if four_eyes(draft.model):
        draft.status, draft.submitted_by, draft.submitted_at = SUBMITTED, user, utcnow()
        db.session.flush()
        draft_submitted.send(current_app._get_current_object(), draft=draft, user=user)  # type: ignore[attr-defined]
        return None
    return _publish(draft, author=user, approver=None)


def approve(draft: ProcessDraft, user: User) -> ProcessVersion:
    """The second process owner's approval publishes a submitted draft."""
    if draft.status != SUBMITTED:
        raise ModelerError(_("Dieser Entwurf wartet nicht auf eine Freigabe."))
    if not user.has_role(ROLE_PROZESS):
        raise NotAllowed(_("Nur Prozessverantwortliche können freigeben."))
    if draft.submitted_by_id == user.id:
        raise NotAllowed(_("Das Vier-Augen-Prinzip verlangt die Freigabe durch eine zweite Person."))
    _hold(draft)
    problems = _check(draft)
    if problems:
        raise PublishRefused(problems)
    _refuse_unchanged(draft)
    return _publish(draft, author=draft.submitted_by, approver=user)


def republish(version: ProcessVersion, user: User) -> tuple[ProcessDraft, ProcessVersion | None]:
    """Rollback: publish the content of an earlier version again, as a new version."""
    draft = create_draft(version.model, user, version.bpmn_xml.encode("utf-8"),
                         comment=_("Version %(n)s erneut veröffentlicht", n=version.number))
    return draft, request_publish(draft, user, draft.comment)


def _refuse_unchanged(draft: ProcessDraft) -> None:
    newest = latest_version(draft.model)
    if newest is not None and newest.content_hash == draft.content_hash:
        raise ModelerError(_("Der Entwurf ist inhaltlich gleich der neuesten Version %(n)s.", n=newest.number))


def _hold(draft: ProcessDraft) -> None:
    """Lock the draft's row until the commit, if it is still in the status just checked: of two
    process owners acting on one draft at once (approving twice, publishing while the other
    discards) exactly one goes on, the other gets a ModelerError (409). A conditional UPDATE:
    PostgreSQL re-checks it after waiting for the row lock, SQLite has one writer at a time."""
    held = db.session.execute(  # type: ignore[attr-defined]  # DML gives a CursorResult
        update(ProcessDraft).where(ProcessDraft.id == draft.id, ProcessDraft.status == draft.status)
        .values(status=draft.status).execution_options(synchronize_session=False)).rowcount
    if held != 1:
        raise ModelerError(_("Der Entwurf wurde gleichzeitig von einer anderen Person geändert."))


def _publish(draft: ProcessDraft, author: User | None, approver: User | None) -> ProcessVersion:
    # One publication per model at a time (row lock on the model), so that two drafts published
    # at once get the numbers n+1 and n+2 instead of both n+1; the newest is read after the lock.
    db.session.execute(update(ProcessModel).where(ProcessModel.id == draft.model_id)
                       .values(key=ProcessModel.key).execution_options(synchronize_session=False))
    _refuse_unchanged(draft)
    newest = latest_version(draft.model)
    version = ProcessVersion(model=draft.model, number=(newest.number + 1) if newest else 1,
                             bpmn_xml=draft.bpmn_xml, content_hash=draft.content_hash,
                             published_by=author, published_at=utcnow(), comment=draft.comment)
    db.session.add(version)
    db.session.flush()
    draft.status, draft.approved_by, draft.published_version = PUBLISHED, approver, version
    db.session.flush()
    version_published.send(current_app._get_current_object(), version=version, draft=draft)  # type: ignore[attr-defined]
    return version


def approval_of(version: ProcessVersion) -> ProcessDraft | None:
    return db.session.scalar(select(ProcessDraft).where(ProcessDraft.published_version_id == version.id))


def failing_cases(model: ProcessModel, limit: int = 50) -> list[ProcessInstance]:
    """Running cases of ``model`` whose last timer step failed (error kept, retried later):
    the process owner sees which version and what went wrong, to fix the model. Only the case
    number, version and engine message are shown, never the case file."""
    return list(db.session.scalars(
        select(ProcessInstance)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
        .where(ProcessVersion.model_id == model.id, ProcessInstance.status == RUNNING,
               ProcessInstance.error_message.is_not(None))
        .order_by(ProcessInstance.id).limit(limit)))
