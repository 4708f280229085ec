"""Process versions: which version of a model is current, importing a new one, and its parsed
(cached, immutable) spec. Changes when publishing or the spec cache changes, not when a case
runs."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from app.auth.models import User
from app.engine.models import ProcessModel, ProcessVersion
from app.engine.specs import ParsedProcess, parse_bpmn, spec_cache
from app.extensions import db


def latest_version(model: ProcessModel) -> ProcessVersion | None:
    return db.session.scalar(
        select(ProcessVersion)
        .where(ProcessVersion.model_id == model.id)
        .order_by(ProcessVersion.number.desc())
        .limit(1)
    )


def parsed_version(version: ProcessVersion) -> ParsedProcess:
    return spec_cache.get(version.content_hash, lambda: version.bpmn_xml, version.model.key)


def import_version(model: ProcessModel, xml: str, user: User | None, comment: str) -> ProcessVersion | None:
    """Store ``xml`` as a new version of ``model`` unless it equals the newest one."""
    digest = hashlib.sha256(xml.encode("utf-8")).hexdigest()
    newest = latest_version(model)
    if newest is not None and newest.content_hash == digest:
        return None
    if user is None and _last_file_import_hash(model) == digest:
        return None  # the file is unchanged since its last import: a process owner's newer version stays
    parse_bpmn(xml, model.key)  # refuse what cannot run
    version = ProcessVersion(
        model=model, number=(newest.number + 1) if newest else 1, bpmn_xml=xml,
        content_hash=digest, published_by=user, comment=comment,
    )
    db.session.add(version)
    db.session.flush()
    return version


def _last_file_import_hash(model: ProcessModel) -> str | None:
    """Content hash of the newest version imported from a shipped file (no publishing user)."""
    return db.session.scalar(
        select(ProcessVersion.content_hash)
        .where(ProcessVersion.model_id == model.id, ProcessVersion.published_by_id.is_(None))
        .order_by(ProcessVersion.number.desc())
        .limit(1)
    )
