"""Builder forms: a definition (key, title) with immutable versions, and the pin of a form version
to a process version (set when that process version is published)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.engine.models import TZ
from app.extensions import Model, db
from app.timeutil import utcnow


class FormDefinition(Model):
    """A builder form, known by its key (the ``formKey`` a user task names)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))  # German title of the newest version (lists)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)

    created_by: Mapped[User | None] = relationship()
    versions: Mapped[list[FormDefinitionVersion]] = relationship(
        back_populates="form", order_by="FormDefinitionVersion.number")


class FormDefinitionVersion(Model):
    """One saved content of a builder form; never changed (running cases rely on it)."""

    __table_args__ = (UniqueConstraint("form_id", "number", name="uq_form_definition_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("form_definition.id"))
    number: Mapped[int]
    definition: Mapped[dict] = mapped_column(db.JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    comment: Mapped[str] = mapped_column(Text, default="")

    form: Mapped[FormDefinition] = relationship(back_populates="versions")
    created_by: Mapped[User | None] = relationship()


class ProcessVersionForm(Model):
    """Which version of a builder form a process version uses (pinned at publishing)."""

    __tablename__ = "process_version_form"
    __table_args__ = (UniqueConstraint("process_version_id", "form_key", name="uq_process_version_form_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    form_key: Mapped[str] = mapped_column(String(100))
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_definition_version.id"), index=True)

    form_version: Mapped[FormDefinitionVersion] = relationship()


class ImmutableFormVersion(Exception):
    pass


@event.listens_for(FormDefinitionVersion, "before_update")
def _immutable(mapper, connection, target: FormDefinitionVersion) -> None:
    raise ImmutableFormVersion("A saved form version never changes; save a new version instead.")
