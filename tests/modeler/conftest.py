"""Helpers of the modeler tests: the shipped model as text, API clients, counting rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.engine.models import ProcessModel, ProcessVersion
from app.extensions import db
from app.modeler.models import ProcessDraft

SHIPPED = (Path(__file__).resolve().parents[2] / "processes" / "alltagsbegleitung.bpmn").read_text(encoding="utf-8")
FIXTURES = Path(__file__).parent / "fixtures"


def counts(app) -> tuple[int, int]:
    """(versions of alltagsbegleitung, drafts) in the database: a refused request must not change them."""
    with app.app_context():
        model = select(ProcessModel.id).where(ProcessModel.key == "alltagsbegleitung").scalar_subquery()
        return (db.session.scalar(select(func.count(ProcessVersion.id)).where(ProcessVersion.model_id == model)),
                db.session.scalar(select(func.count(ProcessDraft.id))))


class Api:
    def __init__(self, client, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, path: str):
        return self.client.get("/api/v1" + path, headers=self.headers)

    def post(self, path: str, **kwargs):
        return self.client.post("/api/v1" + path, headers=self.headers, **kwargs)


@pytest.fixture
def api(app):
    def factory(username: str) -> Api:
        client = app.test_client()
        response = client.post("/api/v1/tokens", json={"username": username, "password": "demo"})
        assert response.status_code == 201
        return Api(client, response.get_json()["token"])

    return factory


def post_xml(api: Api, xml: str | bytes, key: str = "alltagsbegleitung"):
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    return api.post(f"/process-models/{key}/drafts", data=data, content_type="application/xml")
