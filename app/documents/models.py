"""The document table: one row per uploaded file, on a case or on a volunteer's profile.

The file itself lives in the storage directory under ``storage_key`` (app/documents/storage.py);
the row keeps what the file was called, its checked type, size and SHA-256. Deleting marks the
row (who, when, why) and removes the file: the record that something was filed and removed stays,
the content does not (data minimisation; a deleted consent form must not linger on a disk).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.engine.models import ProcessInstance
from app.extensions import Model, db
from app.timeutil import utcnow

TZ = db.DateTime(timezone=True)


class Document(Model):
    __tablename__ = "document"
    __table_args__ = (
        # exactly one subject: a case or a volunteer
        CheckConstraint("(instance_id IS NULL) <> (volunteer_id IS NULL)", name="one_subject"),
        Index("ix_document_instance_id", "instance_id"),
        Index("ix_document_volunteer_id", "volunteer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    category: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))  # cleaned display name, never a path
    content_type: Mapped[str] = mapped_column(String(100))  # from the content (app/documents/sniff.py)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str] = mapped_column(String(1000), default="")
    # A volunteer of the case sees the document only when this is set (by a full participant).
    shared_with_volunteer: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(TZ)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    delete_reason: Mapped[str] = mapped_column(String(500), default="")

    instance: Mapped[ProcessInstance | None] = relationship()
    volunteer: Mapped[User | None] = relationship(foreign_keys=[volunteer_id])
    uploaded_by: Mapped[User] = relationship(foreign_keys=[uploaded_by_id])
    deleted_by: Mapped[User | None] = relationship(foreign_keys=[deleted_by_id])

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None
