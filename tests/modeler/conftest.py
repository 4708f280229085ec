"""Helpers of the modeler tests: the shipped model as text, API clients, counting rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.engine.models import ProcessModel, ProcessVersion
from app.extensions import db
from app.modeler.models import ProcessDraft
from tests.factories import ApiClient

SHIPPED = (Path(__file__).resolve().parents[2] / "processes" / "alltagsbegleitung.bpmn").read_text(encoding="utf-8")
FIXTURES = Path(__file__).parent / "fixtures"


def counts(app) -> tuple[int, int]:
    """(versions of alltagsbegleitung, drafts) in the database: a refused request must not change them."""
    with app.app_context():
        model = select(ProcessModel.id).where(ProcessModel.key == "alltagsbegleitung").scalar_subquery()
        return (db.session.scalar(select(func.count(ProcessVersion.id)).where(ProcessVersion.model_id == model)),
                db.session.scalar(select(func.count(ProcessDraft.id))))


Api = ApiClient


@pytest.fixture
def api(api_client):
    """api('prozess') -> a client with that person's token; paths without ``/api/v1``."""
    return lambda username: api_client(username, prefix="/api/v1")


def post_xml(api: Api, xml: str | bytes, key: str = "alltagsbegleitung"):
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    return api.post(f"/process-models/{key}/drafts", data=data, content_type="application/xml")
