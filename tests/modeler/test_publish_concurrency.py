"""One winner when process owners act on drafts at the same moment (through the API, in threads):
a draft is published or approved once, and two drafts published at once get two numbers."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from app.engine.models import ProcessModel, ProcessVersion
from app.extensions import db
from tests.engine.test_claims_concurrency import burst
from tests.factories import api_client
from tests.modeler.conftest import SHIPPED, Api, counts, post_xml

RENAMED = SHIPPED.replace('name="Vermittlung"', 'name="Vermittlung einer Begleitung"', 1)
OTHER = SHIPPED.replace('name="Vermittlung"', 'name="Vermittlung (neu)"', 1)
BASE = "/process-models/alltagsbegleitung/drafts"


def clients(app, api: Api, count: int) -> list[Api]:
    """``count`` test clients with the same person's token (one per thread)."""
    token = api.headers["Authorization"].removeprefix("Bearer ")
    return [Api(app.test_client(), token, prefix="/api/v1") for _ in range(count)]


def post(owner: Api, path: str, json=None):
    def call():
        response = owner.post(path, json=json)
        return response.status_code, response.get_json()
    return call


def test_one_draft_published_at_once_is_published_once(app, api):
    owner = api("prozess")
    draft = post_xml(owner, RENAMED).get_json()
    results = burst([post(o, f"{BASE}/{draft['id']}/publish", {"comment": "neu"})
                     for o in clients(app, owner, 6)])
    assert Counter(r[0] if isinstance(r, tuple) else repr(r) for r in results) == Counter({201: 1, 409: 5}), results
    assert all(body["error"]["code"] == "conflict" for status, body in results if status == 409)
    assert counts(app)[0] == 2


def test_two_drafts_published_at_once_get_two_numbers(app, api):
    owners = [api("prozess"), api("prozess2")]
    drafts = [post_xml(owners[0], RENAMED).get_json(), post_xml(owners[1], OTHER).get_json()]
    results = burst([post(o, f"{BASE}/{d['id']}/publish", {"comment": "neu"})
                     for o, d in zip(owners, drafts, strict=True)])
    assert sorted(r[1]["version"] for r in results if isinstance(r, tuple)) == [2, 3], results
    with app.app_context():
        assert sorted(db.session.scalars(select(ProcessVersion.number).join(ProcessModel)
                                         .where(ProcessModel.key == "alltagsbegleitung"))) == [1, 2, 3]


def test_an_approval_given_twice_at_once_publishes_once(make_app):
    app = make_app({"FOUR_EYES_PUBLISHING": True})

    def login_api(username: str) -> Api:
        return api_client(app, username, prefix="/api/v1")

    author, approver = login_api("prozess"), login_api("prozess2")
    draft = post_xml(author, RENAMED).get_json()
    assert author.post(f"{BASE}/{draft['id']}/publish", json={"comment": "neu"}).status_code == 202
    results = burst([post(a, f"{BASE}/{draft['id']}/approve") for a in clients(app, approver, 5)])
    assert Counter(r[0] if isinstance(r, tuple) else repr(r) for r in results) == Counter({201: 1, 409: 4}), results
    assert counts(app)[0] == 2
