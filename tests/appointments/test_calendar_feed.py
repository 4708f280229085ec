"""The private calendar feed (.ics): parses with icalendar, holds only the user's appointments,
no client names unless opted in, revocable, renewable."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from icalendar import Calendar
from sqlalchemy import select

from app.appointments.models import CalendarFeed
from app.engine.models import ProcessInstance
from app.extensions import db
from tests.appointments.test_appointments import book
from tests.factories import user
from tests.flows import valid_data

FAMILY = valid_data("bedarfsermittlung")["familienname"]


@pytest.fixture(autouse=True)
def early_march_2030(clock):
    """The feed holds 90 days back and 400 ahead of the app's clock; the tests book in March 2030."""
    clock.set(datetime(2030, 3, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def case_id(start_case, complete):
    case_id = start_case("fb36")
    complete(case_id, "bedarfsermittlung", "fb36", valid_data("bedarfsermittlung"))
    complete(case_id, "vermittlung", "k201", valid_data("vermittlung"))
    return case_id


def feed_url(client) -> str:
    """Set up (or renew) the feed on "Meine Termine"; the URL is shown once, on that answer."""
    response = client.post("/termine/kalender-abo")
    assert response.status_code == 200
    match = re.search(r'id="feed-url"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match, "the new feed URL is shown"
    return match.group(1).replace("http://localhost", "")


def events(client, url):
    response = client.get(url)
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.data)
    return response, [c for c in calendar.walk("VEVENT")]


def reference(app, case_id):
    with app.app_context():
        return db.session.get(ProcessInstance, case_id).reference


def test_the_feed_parses_and_holds_only_the_users_appointments(app, login_as, case_id, start_case):
    mine = book(app, login_as, case_id, starts="2030-03-04T10:00", ends="2030-03-04T11:30",
                participants=["fb36", "ehrenamt1"], place="Stadtteilbüro Nord")
    book(app, login_as, case_id, participants=["k201"], place="Nur für 201")
    other_case = start_case("fb31", team="fd311")
    with app.app_context():
        db.session.commit()
    assert login_as("fb31").post(f"/faelle/{other_case}/termine/neu", data={
        "kind": "termin", "starts_at": "2030-03-04T12:00", "ends_at": "2030-03-04T13:00", "place": "FD 311",
        "participants": ["fb31"]}).status_code == 302

    client = login_as("ehrenamt1")
    url = feed_url(client)
    assert re.fullmatch(r"/kalender/[A-Za-z0-9_-]{40,}\.ics", url)
    anonymous = app.test_client()  # calendar programs send no login
    response, found = events(anonymous, url)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert len(found) == 1
    event = found[0]
    assert str(event["SUMMARY"]) == f"Vorgespräch Fall {reference(app, case_id)}"
    assert str(event["LOCATION"]) == "Stadtteilbüro Nord"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTART") == datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2030, 3, 4, 10, 30, tzinfo=UTC)
    assert "DTSTAMP" in event and "DESCRIPTION" not in event
    uid = str(event["UID"])
    assert uid == f"fallwerk-termin-{mine}@127.0.0.1" or uid.startswith(f"fallwerk-termin-{mine}@")
    assert str(events(anonymous, url)[1][0]["UID"]) == uid  # stable
    assert FAMILY not in response.get_data(as_text=True)

    places = [str(e["LOCATION"]) for e in events(anonymous, feed_url(login_as("k201")))[1]]
    assert places == ["Nur für 201"]


def test_client_names_only_when_the_user_opts_in(app, login_as, case_id):
    book(app, login_as, case_id, participants=["fb36"], title="Mit Dolmetscherin")
    client = login_as("fb36")
    url = feed_url(client)
    summary = str(events(client, url)[1][0]["SUMMARY"])
    assert FAMILY not in summary and "Dolmetscherin" not in summary
    assert client.post("/termine/kalender-abo/einstellungen", data={"show_names": "y"}).status_code == 302
    summary = str(events(client, url)[1][0]["SUMMARY"])
    assert FAMILY in summary and "Mit Dolmetscherin" in summary
    client.post("/termine/kalender-abo/einstellungen", data={})
    assert FAMILY not in str(events(client, url)[1][0]["SUMMARY"])


def test_a_cancelled_appointment_stays_in_the_feed_as_cancelled(app, login_as, case_id):
    appointment_id = book(app, login_as, case_id, participants=["fb36"])
    client = login_as("fb36")
    url = feed_url(client)
    first = events(client, url)[1][0]
    client.post(f"/termine/{appointment_id}/absagen")
    event = events(client, url)[1][0]
    assert str(event["STATUS"]) == "CANCELLED" and str(event["UID"]) == str(first["UID"])
    assert int(event["SEQUENCE"]) > int(first["SEQUENCE"])


def test_revoked_and_renewed_urls_are_404_and_only_the_hash_is_stored(app, login_as, case_id):
    book(app, login_as, case_id, participants=["fb36"])
    client = login_as("fb36")
    first = feed_url(client)
    secret = first.removeprefix("/kalender/").removesuffix(".ics")
    with app.app_context():
        stored = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user("fb36").id))
        assert stored.token_hash and secret not in stored.token_hash and len(stored.token_hash) == 64

    second = feed_url(client)  # renew: a new URL, the old one is gone
    assert second != first
    anonymous = app.test_client()
    assert anonymous.get(first).status_code == 404
    assert anonymous.get(second).status_code == 200
    page = client.get("/termine").get_data(as_text=True)
    assert "Ein Kalender-Abo ist eingerichtet" in page and second not in page  # shown only once

    assert client.post("/termine/kalender-abo/widerrufen").status_code == 302
    assert anonymous.get(second).status_code == 404
    assert "Sie haben kein Kalender-Abo." in client.get("/termine").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/kalender/nichts.ics", "/kalender/" + "x" * 500 + ".ics", "/kalender/.ics"])
def test_unknown_feed_urls_are_404(client, path):
    assert client.get(path).status_code == 404


def test_an_inactive_account_has_no_feed(app, login_as, case_id):
    client = login_as("fb36")
    url = feed_url(client)
    with app.app_context():
        user("fb36").active = False
        db.session.commit()
    assert app.test_client().get(url).status_code == 404
