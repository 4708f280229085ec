"""201 edits and cancels scheduled trainings / Stammtische; the invited are told; a cancelled
date takes no attendance; nobody else may edit or cancel."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.notify.models import Notification, OutboxMail
from app.volunteers.models import Training
from tests.factories import today
from tests.volunteers.helpers import profile, user_id


def next_week() -> date:
    return today() + timedelta(days=7)




def _training(client, **data) -> int:
    form = {"kind": "stammtisch", "datum": next_week().isoformat(), "uhrzeit": "18:00", "ort": "Café am Markt",
            "thema": "Stammtisch Frühjahr", **data}
    response = client.post("/schulungen", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return int(re.search(r"/schulungen/(\d+)", response.headers["Location"]).group(1))


def _invite(app, client, training_id: int, *usernames: str) -> None:
    ids = [user_id(app, u) for u in usernames]
    response = client.post(f"/schulungen/{training_id}", data={"aktion": "einladen", "einladen-ehrenamtliche": ids})
    assert response.status_code == 302


def _row(app, training_id: int) -> Training:
    with app.app_context():
        item = db.session.get(Training, training_id)
        db.session.expunge(item)
        return item


def _notices(app, username: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Notification.title).where(
            Notification.user_id == user_id(app, username)).order_by(Notification.id)))


def _mail_subjects(app, address: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxMail.subject).where(OutboxMail.to_addr == address)
                                       .order_by(OutboxMail.id)))


def test_201_moves_a_training_and_the_invited_are_told(app, login_as):
    k201 = login_as("k201")
    training_id = _training(k201)
    _invite(app, k201, training_id, "ehrenamt1")
    page = k201.get(f"/schulungen/{training_id}").get_data(as_text=True)
    assert f"/schulungen/{training_id}/bearbeiten" in page
    form = k201.get(f"/schulungen/{training_id}/bearbeiten").get_data(as_text=True)
    assert 'value="Café am Markt"' in form

    later = next_week() + timedelta(days=2)
    response = k201.post(f"/schulungen/{training_id}/bearbeiten", data={
        "kind": "stammtisch", "datum": later.isoformat(), "uhrzeit": "19:30", "ort": "Stadtteilzentrum Nord",
        "thema": "Stammtisch Frühjahr"})
    assert response.status_code == 302
    item = _row(app, training_id)
    assert (item.datum, item.uhrzeit, item.ort) == (later, "19:30", "Stadtteilzentrum Nord")
    [invited, changed] = _notices(app, "ehrenamt1")
    assert invited.startswith("Einladung") and changed.startswith("Geändert:")
    assert "19:30" in changed and "Stadtteilzentrum Nord" in changed
    assert any(s.endswith(changed) for s in _mail_subjects(app, "ehrenamt1@example.org"))
    assert _notices(app, "ehrenamt2") == []  # not invited: not told
    mine = login_as("ehrenamt1").get("/ehrenamt/termine").get_data(as_text=True)
    assert "Stadtteilzentrum Nord" in mine and "19:30" in mine

    # only the topic changed: saved, nobody is bothered
    k201.post(f"/schulungen/{training_id}/bearbeiten", data={
        "kind": "stammtisch", "datum": later.isoformat(), "uhrzeit": "19:30", "ort": "Stadtteilzentrum Nord",
        "thema": "Stammtisch mit Grillen"})
    assert _row(app, training_id).thema == "Stammtisch mit Grillen"
    assert len(_notices(app, "ehrenamt1")) == 2


def test_bad_edit_input_changes_nothing(app, login_as):
    k201 = login_as("k201")
    training_id = _training(k201)
    response = k201.post(f"/schulungen/{training_id}/bearbeiten", data={
        "kind": "stammtisch", "datum": "kein Datum", "uhrzeit": "7 Uhr", "ort": "", "thema": "X"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    for field in ("datum", "uhrzeit", "ort"):
        assert f'id="{field}-error"' in text
    item = _row(app, training_id)
    assert (item.datum, item.uhrzeit, item.ort, item.thema) == (next_week(), "18:00", "Café am Markt",
                                                                "Stammtisch Frühjahr")


def test_after_attendance_kind_and_date_stay_and_no_cancel(app, login_as):
    k201 = login_as("k201")
    past = date.today() - timedelta(days=3)
    training_id = _training(k201, kind="b", datum=past.isoformat(), thema="Rolle")
    _invite(app, k201, training_id, "ehrenamt2")
    k201.post(f"/schulungen/{training_id}", data={"aktion": "teilnahme",
                                                  "teilnahme-anwesend": [user_id(app, "ehrenamt2")]})
    assert profile(app, "ehrenamt2")["schulungen"]["b"] == past.isoformat()

    response = k201.post(f"/schulungen/{training_id}/bearbeiten", data={
        "kind": "a", "datum": (past - timedelta(days=1)).isoformat(), "uhrzeit": "18:00", "ort": "Kreishaus",
        "thema": "Rolle"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'id="kind-error"' in text and 'id="datum-error"' in text
    assert "Nach erfasster Teilnahme können Art und Datum nicht mehr geändert werden." in text
    item = _row(app, training_id)
    assert (item.kind, item.datum) == ("b", past)
    assert profile(app, "ehrenamt2")["schulungen"]["b"] == past.isoformat()

    assert "Termin absagen" not in k201.get(f"/schulungen/{training_id}").get_data(as_text=True)
    response = k201.post(f"/schulungen/{training_id}/absagen", data={"absage-grund": "zu spät"})
    assert response.status_code == 409
    assert "Teilnahme schon erfasst" in response.get_data(as_text=True)
    assert _row(app, training_id).abgesagt_am is None


def test_cancel_tells_the_invited_and_blocks_attendance(app, login_as):
    k201 = login_as("k201")
    training_id = _training(k201)
    _invite(app, k201, training_id, "ehrenamt1", "ehrenamt2")
    response = k201.post(f"/schulungen/{training_id}/absagen", data={"absage-grund": "Raum nicht verfügbar"})
    assert response.status_code == 302
    item = _row(app, training_id)
    assert item.abgesagt_am is not None and item.absage_grund == "Raum nicht verfügbar"
    for username in ("ehrenamt1", "ehrenamt2"):
        last = _notices(app, username)[-1]
        assert last.startswith("Abgesagt:") and "Stammtisch" in last
        assert any(s.endswith(last) for s in _mail_subjects(app, f"{username}@example.org"))
        mine = login_as(username).get("/ehrenamt/termine").get_data(as_text=True)
        assert "abgesagt" in mine and "Raum nicht verfügbar" in mine

    page = k201.get(f"/schulungen/{training_id}").get_data(as_text=True)
    assert 'data-status="abgesagt"' in page
    assert 'name="aktion" value="teilnahme"' not in page and "Termin bearbeiten" not in page
    listing = k201.get("/schulungen").get_data(as_text=True)
    assert 'data-status="abgesagt"' in listing

    mira = user_id(app, "ehrenamt1")
    before = profile(app, "ehrenamt1")
    response = k201.post(f"/schulungen/{training_id}", data={"aktion": "teilnahme", "teilnahme-anwesend": [mira]})
    assert response.status_code == 409
    assert "Dieser Termin ist abgesagt" in response.get_data(as_text=True)
    assert profile(app, "ehrenamt1") == before
    with app.app_context():
        assert all(inv.attended is None for inv in db.session.get(Training, training_id).invitations)
    # no second cancellation, no editing, no new invitations
    assert k201.post(f"/schulungen/{training_id}/absagen", data={}).status_code == 409
    assert k201.get(f"/schulungen/{training_id}/bearbeiten").status_code == 409
    assert k201.post(f"/schulungen/{training_id}", data={
        "aktion": "einladen", "einladen-ehrenamtliche": [mira]}).status_code == 409
    assert len([t for t in _notices(app, "ehrenamt1") if t.startswith("Abgesagt")]) == 1


def test_cancel_reason_too_long_is_refused(app, login_as):
    k201 = login_as("k201")
    training_id = _training(k201)
    response = k201.post(f"/schulungen/{training_id}/absagen", data={"absage-grund": "x" * 501})
    assert response.status_code == 422
    assert 'id="absage-grund-error"' in response.get_data(as_text=True)
    assert _row(app, training_id).abgesagt_am is None


@pytest.mark.parametrize("username", ["ehrenamt1", "fb36", "leitung", "mbe1", "prozess", "admin"])
def test_only_201_edits_and_cancels(app, login_as, username):
    k201 = login_as("k201")
    training_id = _training(k201)
    _invite(app, k201, training_id, "ehrenamt1")
    client = login_as(username)
    assert client.get(f"/schulungen/{training_id}/bearbeiten").status_code == 403
    assert client.post(f"/schulungen/{training_id}/bearbeiten", data={
        "kind": "a", "datum": next_week().isoformat(), "ort": "Anderswo", "thema": "Y"}).status_code == 403
    assert client.post(f"/schulungen/{training_id}/absagen", data={"absage-grund": "weg"}).status_code == 403
    item = _row(app, training_id)
    assert (item.kind, item.ort, item.abgesagt_am) == ("stammtisch", "Café am Markt", None)
    assert len(_notices(app, "ehrenamt1")) == 1


def test_unknown_training_is_404(app, login_as):
    k201 = login_as("k201")
    assert k201.get("/schulungen/999/bearbeiten").status_code == 404
    assert k201.post("/schulungen/999/absagen", data={}).status_code == 404
