"""Drafts of process models. Published versions are ``ProcessVersion`` rows (app.engine.models):
immutable once written (enforced below); a draft becomes a version by publishing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.engine.models import TZ, ProcessModel, ProcessVersion
from app.extensions import Model, db
from app.timeutil import utcnow

# Draft status values
DRAFT, SUBMITTED, PUBLISHED, DISCARDED = "draft", "submitted", "published", "discarded"
OPEN_DRAFT_STATES = (DRAFT, SUBMITTED)


class ProcessDraft(Model):
    """Work in progress on a process model; ``submitted`` waits for a second process owner's
    approval (four-eyes publishing)."""

    __table_args__ = (Index("ix_process_draft_model_status", "model_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("process_model.id"))
    base_version_number: Mapped[int | None]
    bpmn_xml: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    comment: Mapped[str] = mapped_column(String(500), default="")
    # Result of the last validation: [{"element_id", "message"}]
    problems: Mapped[list] = mapped_column(db.JSON, default=list)
    valid: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(TZ)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_version_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id"))

    model: Mapped[ProcessModel] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    published_version: Mapped[ProcessVersion | None] = relationship()


class ImmutableVersionError(Exception):
    pass


@event.listens_for(ProcessVersion, "before_update")
def _versions_are_immutable(mapper, connection, target: ProcessVersion) -> None:
    """A published version never changes: running cases depend on its exact content."""
    state = db.inspect(target)
    for name in ("bpmn_xml", "content_hash", "number", "model_id"):
        history = state.attrs[name].history
        if history.has_changes() and history.deleted and history.deleted[0] is not None:
            raise ImmutableVersionError(f"process version field {name} is immutable")


# History of a model's four-eyes publishing: drafts submitted, approved, rejected (with the
# reason), and changes of the model's four-eyes setting (who, when).
SUBMITTED_EVENT, APPROVED_EVENT, REJECTED_EVENT = "submitted", "approved", "rejected"
FOUR_EYES_ON, FOUR_EYES_OFF, FOUR_EYES_DEFAULT = "four_eyes_on", "four_eyes_off", "four_eyes_default"


class ProcessModelEvent(Model):
    """One step of the approval history of a model (and its drafts); never changed."""

    __table_args__ = (Index("ix_process_model_event_model", "model_id", "id"),
                      Index("ix_process_model_event_draft", "draft_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("process_model.id"))
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("process_draft.id"))
    kind: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    note: Mapped[str] = mapped_column(String(1000), default="")

    user: Mapped[User | None] = relationship()
