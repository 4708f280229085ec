"""The process model and draft a modeler page's URL names (404 when there is none or the draft
belongs to another model): one lookup for every page module of the process owners."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from app.engine.models import ProcessModel
from app.extensions import db
from app.modeler.models import ProcessDraft


def model_or_404(key: str) -> ProcessModel:
    model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == key))
    if model is None:
        abort(404)
    return model


def draft_or_404(model: ProcessModel, draft_id: int) -> ProcessDraft:
    draft = db.session.get(ProcessDraft, draft_id)
    if draft is None or draft.model_id != model.id:
        abort(404)
    return draft
