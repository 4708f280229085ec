"""Four-eyes publishing per process model: the setting, the approver's inbox item and
notification, the approval page with the diff, approval, rejection with a reason, and who may
not approve (the author, non-process-owners)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from app.engine.models import ProcessModel
from app.extensions import db
from app.modeler import services
from app.modeler.models import ProcessDraft, ProcessModelEvent
from app.notify.models import Notification, OutboxMail
from tests.conftest import login
from tests.modeler.conftest import SHIPPED, counts, post_xml

RENAMED = SHIPPED.replace('name="Vermittlung"', 'name="Vermittlung einer Begleitung"', 1)
BERATUNG = (Path(__file__).resolve().parents[2] / "processes" / "beratungskontakt.bpmn").read_text(encoding="utf-8")
BERATUNG_RENAMED = BERATUNG.replace('name="Nachverfolgung"', 'name="Nachverfolgung mit Rückruf"', 1)
BASE = "/prozessmodelle/alltagsbegleitung"
REASON_MISSING = "Bitte geben Sie einen Grund für die Ablehnung an."


def _set(client, rule: str, key: str = "alltagsbegleitung"):
    return client.post(f"/prozessmodelle/{key}/vier-augen", data={"regel": rule})


def _submit(client, xml: str = RENAMED, comment: str = "Vermittlung umbenannt") -> str:
    """A new draft from the newest version, submitted with ``xml``; returns the draft's path."""
    draft_url = client.post(f"{BASE}/entwuerfe", data={"from": "newest"}).headers["Location"]
    response = client.post(f"{draft_url}/veroeffentlichen", data={"comment": comment, "bpmn_xml": xml})
    assert response.status_code == 302, response.get_data(as_text=True)
    return draft_url


def _draft_id(url: str) -> int:
    return int(url.rstrip("/").rsplit("/", 1)[1])


def _draft(app, draft_id: int) -> ProcessDraft:
    with app.app_context():
        draft = db.session.get(ProcessDraft, draft_id)
        assert draft is not None
        db.session.expunge(draft)
        return draft


def test_setting_per_model_a_needs_approval_b_does_not(app, api):
    owner = login(app.test_client(), "prozess")
    page = owner.get(BASE).get_data(as_text=True)
    assert 'data-four-eyes="aus"' in page and "Vorgabe der Installation" in page
    assert _set(owner, "an").status_code == 302
    assert 'data-four-eyes="an"' in owner.get(BASE).get_data(as_text=True)

    token = api("prozess")
    draft = post_xml(token, RENAMED).get_json()
    submitted = token.post(f"/process-models/alltagsbegleitung/drafts/{draft['id']}/publish", json={"comment": "x"})
    assert submitted.status_code == 202 and submitted.get_json()["status"] == "submitted"
    other = post_xml(token, BERATUNG_RENAMED, key="beratungskontakt").get_json()
    assert other["valid"], other["problems"]
    published = token.post(f"/process-models/beratungskontakt/drafts/{other['id']}/publish", json={"comment": "y"})
    assert published.status_code == 201 and published.get_json()["version"] == 2
    with app.app_context():
        models = {m.key: m for m in db.session.scalars(select(ProcessModel))}
        assert services.four_eyes(models["alltagsbegleitung"]) is True
        assert services.four_eyes(models["beratungskontakt"]) is False
        assert services.four_eyes() is False  # without a model: the installation's default
    listed = {m["key"]: m["four_eyes"] for m in token.get("/process-models").get_json()}
    assert listed["alltagsbegleitung"] is True and listed["beratungskontakt"] is False


def test_switching_off_is_recorded_and_told_switching_on_applies_at_once(make_app):
    app = make_app({"FOUR_EYES_PUBLISHING": True})
    owner, second = login(app.test_client(), "prozess"), login(app.test_client(), "prozess2")
    assert _set(owner, "aus").status_code == 302
    page = owner.get(BASE).get_data(as_text=True)
    assert 'data-four-eyes="aus"' in page and "Zuletzt geändert von Petra Modell" in page
    with app.app_context():
        told = db.session.scalars(select(Notification).where(Notification.kind == "freigabe")).all()
        assert [n.title for n in told] == [
            "Vier-Augen-Prinzip ausgeschaltet: Alltagsbegleitung (von Petra Modell (Prozessverantwortung))"]
        kinds = db.session.scalars(select(ProcessModelEvent.kind)).all()
        assert kinds == ["four_eyes_off"]
    assert "Vier-Augen-Prinzip ausgeschaltet" in second.get("/benachrichtigungen").get_data(as_text=True)
    # Off: the owner publishes alone. On again (by the second owner): the next change waits.
    draft_url = owner.post(f"{BASE}/entwuerfe", data={"from": "newest"}).headers["Location"]
    owner.post(f"{draft_url}/veroeffentlichen", data={"comment": "allein", "bpmn_xml": RENAMED})
    assert counts(app)[0] == 2
    assert _set(second, "vorgabe").status_code == 302
    _submit(owner, SHIPPED, "zurück")
    assert counts(app)[0] == 2


def test_submit_inbox_item_diff_and_approval(app, api):
    owner, second = login(app.test_client(), "prozess"), login(app.test_client(), "prozess2")
    _set(owner, "an")
    draft_url = _submit(owner)
    draft_id = _draft_id(draft_url)
    approval_url = f"{draft_url}/freigabe"

    # The second process owner is told (in the app and by e-mail) and sees the item in the inbox.
    with app.app_context():
        notes = db.session.scalars(select(Notification).where(Notification.kind == "freigabe")).all()
        assert len(notes) == 1 and notes[0].link == approval_url and "Alltagsbegleitung" in notes[0].title
        mails = db.session.scalars(select(OutboxMail)).all()
        assert [m.to_addr for m in mails] == ["prozess2@example.org"] and approval_url in mails[0].body
    inbox = second.get("/aufgaben").get_data(as_text=True)
    assert "Freigaben" in inbox and f'href="{approval_url}"' in inbox
    assert "Vermittlung umbenannt" in inbox and "Petra Modell" in inbox
    # The author's own draft is not in their list.
    own = owner.get("/aufgaben").get_data(as_text=True)
    assert "Freigaben" in own and "Keine Freigaben offen." in own and approval_url not in own

    page = second.get(approval_url).get_data(as_text=True)
    assert "„Vermittlung“ → „Vermittlung einer Begleitung“" in page
    assert "Vermittlung umbenannt" in page and "geprüft, ohne Probleme" in page
    assert ">Freigeben<" in page and ">Ablehnen<" in page

    # The author cannot approve the own draft: not on the page, not by HTML, not by the API.
    mine = owner.get(approval_url).get_data(as_text=True)
    assert ">Freigeben<" not in mine and "nur eine zweite prozessverantwortliche Person" in mine
    assert owner.post(f"{draft_url}/freigeben").status_code == 403
    refused = api("prozess").post(f"/process-models/alltagsbegleitung/drafts/{draft_id}/approve")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert counts(app)[0] == 1

    assert second.post(f"{draft_url}/freigeben").status_code == 302
    assert counts(app)[0] == 2
    assert "Keine Freigaben offen." in second.get("/aufgaben").get_data(as_text=True)
    history = second.get(approval_url).get_data(as_text=True)
    assert 'data-event="submitted"' in history and 'data-event="approved"' in history
    assert "Version 2" in history


def test_rejection_needs_a_reason_and_sends_the_draft_back(app, api):
    owner, second = login(app.test_client(), "prozess"), login(app.test_client(), "prozess2")
    _set(owner, "an")
    draft_url = _submit(owner)
    draft_id = _draft_id(draft_url)

    empty = second.post(f"{draft_url}/ablehnen", data={"reason": "  "})
    assert empty.status_code == 422 and REASON_MISSING in empty.get_data(as_text=True)
    assert _draft(app, draft_id).status == "submitted"
    assert owner.post(f"{draft_url}/ablehnen", data={"reason": "selbst"}).status_code == 403

    assert second.post(f"{draft_url}/ablehnen", data={"reason": "Bitte den alten Namen lassen."}).status_code == 302
    assert _draft(app, draft_id).status == "draft" and counts(app)[0] == 1
    page = owner.get(draft_url).get_data(as_text=True)
    assert "Abgelehnt von Otto Zweitblick" in page and "Bitte den alten Namen lassen." in page
    assert "Zur Freigabe vorlegen" in page  # editable again
    with app.app_context():
        note = db.session.scalars(select(Notification).where(Notification.title.startswith("Abgelehnt"))).one()
        author = db.session.scalar(select(ProcessDraft.created_by_id).where(ProcessDraft.id == draft_id))
        assert note.user_id == author and note.link == draft_url
    assert "Keine Freigaben offen." in second.get("/aufgaben").get_data(as_text=True)

    # Submitted again; rejected through the API: a reason is required there too.
    owner.post(f"{draft_url}/veroeffentlichen", data={"comment": "zweiter Versuch", "bpmn_xml": RENAMED})
    assert _draft(app, draft_id).status == "submitted"
    path = f"/process-models/alltagsbegleitung/drafts/{draft_id}/reject"
    missing = api("prozess2").post(path, json={"reason": ""})
    assert missing.status_code == 422 and missing.get_json()["error"]["fields"]["reason"] == [REASON_MISSING]
    assert api("prozess").post(path, json={"reason": "eigener"}).status_code == 403
    done = api("prozess2").post(path, json={"reason": "Noch nicht."})
    assert done.status_code == 200 and done.get_json()["status"] == "draft"
    again = api("prozess").get(f"/process-models/alltagsbegleitung/drafts/{draft_id}").get_json()
    assert again["rejection"]["reason"] == "Noch nicht." and again["rejection"]["by"] == "prozess2"
    history = owner.get(f"{draft_url}/freigabe").get_data(as_text=True)
    assert re.findall(r'data-event="(\w+)"', history) == ["rejected", "submitted", "rejected", "submitted"]


@pytest.mark.parametrize("username", ["fb36", "leitung", "admin"])
def test_non_process_owners_may_not_approve_or_reject(app, api, username):
    owner = login(app.test_client(), "prozess")
    _set(owner, "an")
    draft_url = _submit(owner)
    draft_id = _draft_id(draft_url)
    other = login(app.test_client(), username)
    assert other.get(f"{draft_url}/freigabe").status_code == 403
    assert other.post(f"{draft_url}/freigeben").status_code == 403
    assert other.post(f"{draft_url}/ablehnen", data={"reason": "nein"}).status_code == 403
    assert _set(other, "aus").status_code == 403
    assert "Freigaben" not in other.get("/aufgaben").get_data(as_text=True)
    token = api(username)
    for action, body in (("approve", None), ("reject", {"reason": "nein"})):
        response = token.post(f"/process-models/alltagsbegleitung/drafts/{draft_id}/{action}", json=body)
        assert response.status_code == 403, (action, response.get_json())
    assert _draft(app, draft_id).status == "submitted" and counts(app)[0] == 1
