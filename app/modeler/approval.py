"""Four-eyes publishing that works: the setting per process model, the approvers' inbox items
(app/approvals), notifications of submission and rejection, rejection with a reason, and the
history of submit / approve / reject.

Services only flush; routes commit. Switching four-eyes off is a weakening of control: it takes
effect at once, but it is recorded (who, when) on the model page and the other process owners
are told.
"""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import approvals
from app.auth.models import ROLE_PROZESS, User
from app.engine.models import ProcessModel, ProcessVersion
from app.extensions import db
from app.modeler import services
from app.modeler.models import (
    APPROVED_EVENT,
    DRAFT,
    FOUR_EYES_DEFAULT,
    FOUR_EYES_OFF,
    FOUR_EYES_ON,
    REJECTED_EVENT,
    SUBMITTED,
    SUBMITTED_EVENT,
    ProcessDraft,
    ProcessModelEvent,
)
from app.notify.models import Notification, OutboxMail
from app.notify.services import SUBJECT_PREFIX
from app.timeutil import utcnow

KIND_APPROVAL = "freigabe"  # Notification.kind (labelled in app/notify/routes.py)
REASON_MAX = 1000
EVENT_LABELS = {SUBMITTED_EVENT: _l("zur Freigabe vorgelegt"), APPROVED_EVENT: _l("freigegeben"),
                REJECTED_EVENT: _l("abgelehnt"), FOUR_EYES_ON: _l("Vier-Augen-Prinzip eingeschaltet"),
                FOUR_EYES_OFF: _l("Vier-Augen-Prinzip ausgeschaltet"),
                FOUR_EYES_DEFAULT: _l("Vier-Augen-Prinzip auf die Vorgabe der Installation gesetzt")}


def record(model: ProcessModel, kind: str, user: User | None, draft: ProcessDraft | None = None,
           note: str = "") -> ProcessModelEvent:
    event = ProcessModelEvent(model_id=model.id, draft_id=draft.id if draft else None, kind=kind,
                              user_id=user.id if user else None, at=utcnow(), note=note[:REASON_MAX])
    db.session.add(event)
    db.session.flush()
    return event


def history(model: ProcessModel, draft: ProcessDraft | None = None, limit: int = 50) -> list[ProcessModelEvent]:
    """Newest first: the events of ``draft``, or of the whole model."""
    query = select(ProcessModelEvent).where(ProcessModelEvent.model_id == model.id)
    if draft is not None:
        query = query.where(ProcessModelEvent.draft_id == draft.id)
    return list(db.session.scalars(query.order_by(ProcessModelEvent.id.desc()).limit(limit)))


def last_rejection(draft: ProcessDraft) -> ProcessModelEvent | None:
    """The rejection that sent ``draft`` back to its author, while it is an open draft again."""
    if draft.status != DRAFT:
        return None
    last = db.session.scalar(select(ProcessModelEvent).where(
        ProcessModelEvent.draft_id == draft.id,
        ProcessModelEvent.kind.in_((SUBMITTED_EVENT, REJECTED_EVENT, APPROVED_EVENT)))
        .order_by(ProcessModelEvent.id.desc()).limit(1))
    return last if last is not None and last.kind == REJECTED_EVENT else None


def last_setting_change(model: ProcessModel) -> ProcessModelEvent | None:
    return db.session.scalar(select(ProcessModelEvent).where(
        ProcessModelEvent.model_id == model.id,
        ProcessModelEvent.kind.in_((FOUR_EYES_ON, FOUR_EYES_OFF, FOUR_EYES_DEFAULT)))
        .order_by(ProcessModelEvent.id.desc()).limit(1))


def process_owners(*, besides: User | None = None) -> list[User]:
    """Active process owners, except ``besides``."""
    query = select(User).where(User.with_role(ROLE_PROZESS), User.active.is_(True)).order_by(User.id)
    return [u for u in db.session.scalars(query) if besides is None or u.id != besides.id]


# --- the per-model setting ---------------------------------------------------------------------

def set_four_eyes(model: ProcessModel, value: bool | None, user: User) -> bool:
    """Set the model's four-eyes publishing (None: the installation's default). Returns whether
    the effective rule changed. Switching off is recorded and told to the other process owners."""
    if not user.has_role(ROLE_PROZESS):
        raise services.NotAllowed(_("Nur Prozessverantwortliche können das Vier-Augen-Prinzip ändern."))
    before = services.four_eyes(model)
    if model.four_eyes == value:
        return False
    model.four_eyes = value
    after = services.four_eyes(model)
    kind = FOUR_EYES_DEFAULT if value is None else (FOUR_EYES_ON if value else FOUR_EYES_OFF)
    record(model, kind, user, note=_("wirksam: an") if after else _("wirksam: aus"))
    if before and not after:
        title = f"Vier-Augen-Prinzip ausgeschaltet: {model.name} (von {user.display_name})"
        link = _path("modeler.model", key=model.key)
        others = process_owners(besides=user)
        _notify(others, title, link)
        _mail(others, title, f"Guten Tag,\n\n{user.display_name} hat das Vier-Augen-Prinzip für das "
              f"Prozessmodell „{model.name}“ ausgeschaltet. Neue Versionen werden damit ohne Freigabe "
              f"durch eine zweite Person veröffentlicht.\n\nZum Prozessmodell: {_url(link)}\n")
    return before != after


# --- submit, approve, reject ---------------------------------------------------------------------

@services.draft_submitted.connect
def _submitted(_sender, draft: ProcessDraft, user: User, **_kw) -> None:
    """Record the submission and tell every other process owner (in the app and by e-mail)."""
    model = draft.model
    record(model, SUBMITTED_EVENT, user, draft, note=draft.comment)
    link = _path("modeler_approval.page", key=model.key, draft_id=draft.id)
    title = f"Freigabe erbeten: {model.name} – Entwurf {draft.id} (von {user.display_name})"
    others = process_owners(besides=user)
    _notify(others, title, link)
    _mail(others, title, f"Guten Tag,\n\n{user.display_name} hat einen Entwurf des Prozessmodells "
          f"„{model.name}“ zur Freigabe vorgelegt.\n\nKommentar: {draft.comment}\n\n"
          f"Änderungen ansehen, freigeben oder ablehnen: {_url(link)}\n")


@services.version_published.connect
def _published(_sender, version: ProcessVersion, draft: ProcessDraft, **_kw) -> None:
    if draft.approved_by is not None:
        record(draft.model, APPROVED_EVENT, draft.approved_by, draft, note=_("Version %(n)s", n=version.number))


def reject(draft: ProcessDraft, user: User, reason: str) -> None:
    """Send a submitted draft back to its author as an editable draft, with the reason."""
    reason = (reason or "").strip()
    if not user.has_role(ROLE_PROZESS):
        raise services.NotAllowed(_("Nur Prozessverantwortliche können ablehnen."))
    if draft.status != SUBMITTED:
        raise services.ModelerError(_("Dieser Entwurf wartet nicht auf eine Freigabe."))
    if draft.submitted_by_id == user.id:
        raise services.NotAllowed(_("Den eigenen Entwurf kann nur eine zweite Person ablehnen; "
                                    "Sie können ihn weiter bearbeiten."))
    if not reason:
        raise services.ModelerError(_("Bitte geben Sie einen Grund für die Ablehnung an."))
    services._hold(draft)
    author = draft.submitted_by
    draft.status, draft.submitted_by, draft.submitted_at = DRAFT, None, None
    draft.updated_by, draft.updated_at = user, utcnow()
    record(draft.model, REJECTED_EVENT, user, draft, note=reason)
    if author is not None and author.active:
        link = _path("modeler.draft", key=draft.model.key, draft_id=draft.id)
        title = f"Abgelehnt: {draft.model.name} – Entwurf {draft.id} (von {user.display_name})"
        _notify([author], title, link)
        _mail([author], title, f"Guten Tag,\n\n{user.display_name} hat Ihren Entwurf des Prozessmodells "
              f"„{draft.model.name}“ nicht freigegeben.\n\nGrund: {reason}\n\n"
              f"Der Entwurf ist wieder bearbeitbar: {_url(link)}\n")
    db.session.flush()


# --- the approvers' inbox items --------------------------------------------------------------------

@approvals.register
def submitted_process_drafts(user: User) -> list[approvals.ApprovalItem]:
    """Submitted process drafts: every process owner except the submitter may approve them."""
    if not user.has_role(ROLE_PROZESS):
        return []
    drafts = db.session.scalars(select(ProcessDraft).where(
        ProcessDraft.status == SUBMITTED, ProcessDraft.submitted_by_id != user.id)
        .order_by(ProcessDraft.submitted_at, ProcessDraft.id).limit(200))
    return [approvals.ApprovalItem(
        kind=_("Prozessmodell"), title=_("%(name)s – Entwurf %(id)s", name=d.model.name, id=d.id),
        url=url_for("modeler_approval.page", key=d.model.key, draft_id=d.id),
        submitted_by=d.submitted_by.display_name if d.submitted_by else "–",
        submitted_at=d.submitted_at or d.updated_at, comment=d.comment) for d in drafts]


# --------------------------------------------------------------------------------------------------

def _path(endpoint: str, **values) -> str:
    """A path inside the application (also without a request)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _url(path: str) -> str:
    return current_app.config["APP_BASE_URL"].rstrip("/") + path


def _notify(users: list[User], title: str, link: str) -> None:
    for user in users:
        db.session.add(Notification(user_id=user.id, kind=KIND_APPROVAL, title=title[:300], link=link[:300]))


def _mail(users: list[User], subject: str, body: str) -> None:
    body += ("\n-- \nDiese Nachricht wurde automatisch von Fallwerk erstellt. "
             "Bitte antworten Sie nicht darauf.\n")
    for user in users:
        if user.email:
            db.session.add(OutboxMail(to_addr=user.email, subject=f"{SUBJECT_PREFIX} {subject}"[:300], body=body))
