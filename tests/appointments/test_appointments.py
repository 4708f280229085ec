"""Appointments of a case: who books and cancels, who sees them, the week page, reminders."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select

from app.appointments.models import CANCELLED, SCHEDULED, Appointment
from app.engine.models import CaseParticipant
from app.extensions import db
from app.notify.models import Notification
from tests.factories import user
from tests.flows import valid_data

# Participants of an Alltagsbegleitung case after the Vermittlung: team ASD (fb36, its lead
# leitung), the Koordinierungsstelle 201 (k201) in full, the volunteer ehrenamt1 limited.
BOOKERS = ["fb36", "k201", "leitung"]
NOT_VISIBLE = ["fb36fh", "fb31", "ehrenamt2", "mbe1", "mbe2", "mbeleitung", "prozess", "prozess2", "admin"]


@pytest.fixture
def case_at_vorgespraech(start_case, complete):
    case_id = start_case("fb36")
    complete(case_id, "bedarfsermittlung", "fb36", valid_data("bedarfsermittlung"))
    complete(case_id, "vermittlung", "k201", valid_data("vermittlung"))
    return case_id


def form(starts="2030-03-04T10:00", ends="2030-03-04T11:00", participants=("fb36", "ehrenamt1"), **extra):
    return {"kind": "vorgespraech", "starts_at": starts, "ends_at": ends, "place": "Stadtteilbüro Nord",
            "participants": list(participants), "language": "Arabisch", **extra}


def appointments(app, case_id):
    with app.app_context():
        rows = db.session.scalars(select(Appointment).where(Appointment.instance_id == case_id)
                                  .order_by(Appointment.id)).all()
        return [(a.id, a.status, sorted(u.username for u in a.people), a.starts_at.replace(tzinfo=UTC))
                for a in rows]


def book(app, login_as, case_id, username="fb36", **kwargs):
    response = login_as(username).post(f"/faelle/{case_id}/termine/neu", data=form(**kwargs))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return appointments(app, case_id)[-1][0]


@pytest.mark.parametrize("username", BOOKERS)
def test_full_participants_book_change_and_cancel(app, login_as, case_at_vorgespraech, username):
    client = login_as(username)
    page = client.get(f"/faelle/{case_at_vorgespraech}/termine/neu")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # the case's participants to choose from: the volunteer too, nobody from outside the case
    assert 'value="ehrenamt1"' in html and "Mira Helferin" in html and 'value="fb31"' not in html
    assert 'value="Arabisch"' in html  # the family's language from the case file

    response = client.post(f"/faelle/{case_at_vorgespraech}/termine/neu", data=form(participants=["k201", "ehrenamt1"]))
    assert response.status_code == 302
    [(appointment_id, status, people, starts)] = appointments(app, case_at_vorgespraech)
    assert status == SCHEDULED and people == ["ehrenamt1", "k201"]
    assert starts == datetime(2030, 3, 4, 9, 0, tzinfo=UTC)  # 10:00 in Berlin (CET) stored in UTC

    case_page = client.get(f"/faelle/{case_at_vorgespraech}").get_data(as_text=True)
    assert "Stadtteilbüro Nord" in case_page and "Montag, 4. März 2030" in case_page

    changed = client.post(f"/termine/{appointment_id}/bearbeiten",
                          data=form(starts="2030-03-05T10:00", ends="2030-03-05T12:00", participants=["k201"]))
    assert changed.status_code == 302
    [(_id, _status, people, starts)] = appointments(app, case_at_vorgespraech)
    assert people == ["k201"] and starts == datetime(2030, 3, 5, 9, 0, tzinfo=UTC)

    assert client.post(f"/termine/{appointment_id}/absagen").status_code == 302
    [(_id, status, _people, _starts)] = appointments(app, case_at_vorgespraech)
    assert status == CANCELLED  # recorded, not deleted
    assert "abgesagt" in client.get(f"/faelle/{case_at_vorgespraech}").get_data(as_text=True)


@pytest.mark.parametrize("username, status", [("ehrenamt1", 403), *[(u, 404) for u in NOT_VISIBLE]])
def test_others_may_not_book_change_or_cancel(app, login_as, case_at_vorgespraech, username, status):
    appointment_id = book(app, login_as, case_at_vorgespraech)
    client = login_as(username)
    assert client.get(f"/faelle/{case_at_vorgespraech}/termine/neu").status_code == status
    assert client.post(f"/faelle/{case_at_vorgespraech}/termine/neu", data=form()).status_code == status
    assert client.get(f"/termine/{appointment_id}/bearbeiten").status_code == status
    assert client.post(f"/termine/{appointment_id}/absagen").status_code == status
    assert [(a[1], a[2]) for a in appointments(app, case_at_vorgespraech)] == [(SCHEDULED, ["ehrenamt1", "fb36"])]


def test_participants_must_take_part_in_the_case(app, login_as, case_at_vorgespraech):
    response = login_as("fb36").post(f"/faelle/{case_at_vorgespraech}/termine/neu",
                                     data=form(participants=["fb36", "fb31"]))
    assert response.status_code == 422
    assert "Diese Person ist am Fall nicht beteiligt" in response.get_data(as_text=True)
    assert appointments(app, case_at_vorgespraech) == []


@pytest.mark.parametrize("ends, message", [
    ("2030-03-04T09:30", "Das Ende muss nach dem Beginn liegen."),
    ("2030-03-04T10:00", "Das Ende muss nach dem Beginn liegen."),
    ("morgen", "Bitte Datum und Uhrzeit angeben"),
    ("", "Bitte füllen Sie dieses Feld aus."),
])
def test_bad_times_are_refused_with_a_german_message(app, login_as, case_at_vorgespraech, ends, message):
    response = login_as("fb36").post(f"/faelle/{case_at_vorgespraech}/termine/neu", data=form(ends=ends))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert appointments(app, case_at_vorgespraech) == []


def test_the_volunteer_sees_only_their_appointments_in_the_case(app, login_as, case_at_vorgespraech):
    book(app, login_as, case_at_vorgespraech, place="Treffpunkt Bibliothek")
    book(app, login_as, case_at_vorgespraech, participants=["fb36", "k201"], place="Internes Fallgespräch")
    html = login_as("ehrenamt1").get(f"/faelle/{case_at_vorgespraech}").get_data(as_text=True)
    assert "Treffpunkt Bibliothek" in html and "Internes Fallgespräch" not in html
    assert "Neuen Termin vereinbaren" not in html and "Absagen" not in html
    full = login_as("k201").get(f"/faelle/{case_at_vorgespraech}").get_data(as_text=True)
    assert "Treffpunkt Bibliothek" in full and "Internes Fallgespräch" in full


def test_the_open_step_is_offered_as_an_appointment_prefilled(app, login_as, case_at_vorgespraech):
    client = login_as("fb36")
    html = client.get(f"/faelle/{case_at_vorgespraech}").get_data(as_text=True)
    assert "Termin für Vorgespräch anlegen" in html
    link = re.search(r'href="([^"]*termine/neu\?art=vorgespraech[^"]*)"', html).group(1).replace("&amp;", "&")
    day = re.search(r"datum=(\d{4}-\d{2}-\d{2})", link).group(1)
    page = client.get(link).get_data(as_text=True)
    assert f'value="{day}T10:00"' in page and f'value="{day}T11:00"' in page
    assert '<option value="vorgespraech" selected' in page
    book(app, login_as, case_at_vorgespraech)  # planned: no longer offered
    assert "Termin für Vorgespräch anlegen" not in client.get(f"/faelle/{case_at_vorgespraech}").get_data(as_text=True)


def test_the_closing_meeting_is_offered_at_the_end_date_of_the_assignment(app, case_at_vorgespraech, complete):
    from app.appointments import services
    from app.engine.models import ProcessInstance

    complete(case_at_vorgespraech, "vorgespraech", "fb36", valid_data("vorgespraech"))
    with app.test_request_context():
        instance = db.session.get(ProcessInstance, case_at_vorgespraech)
        offered = {o.kind: o.day for o in services.offers(instance, [])}
    assert offered["abschluss"].isoformat() == valid_data("vorgespraech")["ende"]
    assert "zwischengespraech" in offered


def test_access_that_ends_takes_the_appointments_with_it(app, login_as, case_at_vorgespraech, api_client):
    book(app, login_as, case_at_vorgespraech, starts="2030-03-04T10:00", place="Treffpunkt Bibliothek")
    volunteer = api_client("ehrenamt1")
    assert [a["place"] for a in volunteer.get("/api/v1/appointments").get_json()] == ["Treffpunkt Bibliothek"]
    with app.app_context():  # the volunteer is no longer assigned to the case
        db.session.execute(delete(CaseParticipant).where(CaseParticipant.instance_id == case_at_vorgespraech,
                                                         CaseParticipant.user_id == user("ehrenamt1").id))
        db.session.commit()
    assert volunteer.get("/api/v1/appointments").get_json() == []
    week = login_as("ehrenamt1").get("/termine?woche=2030-03-04").get_data(as_text=True)
    assert "Treffpunkt Bibliothek" not in week


# --- Meine Termine ----------------------------------------------------------------------------


def test_my_week_shows_monday_to_sunday_in_office_time(app, login_as, case_at_vorgespraech, clock):
    clock.set(datetime(2030, 3, 6, 12, 0, tzinfo=UTC))  # a Wednesday
    book(app, login_as, case_at_vorgespraech, starts="2030-03-04T08:00", ends="2030-03-04T09:00",
         place="Montagstermin")
    book(app, login_as, case_at_vorgespraech, starts="2030-03-10T23:15", ends="2030-03-10T23:45",
         place="Sonntagnacht")  # 22:15 UTC: still Sunday in Berlin
    book(app, login_as, case_at_vorgespraech, starts="2030-03-11T00:30", ends="2030-03-11T01:00",
         place="Naechste Woche")  # Sunday 23:30 UTC, but Monday in Berlin
    book(app, login_as, case_at_vorgespraech, participants=["k201"], place="Nicht meiner")

    client = login_as("ehrenamt1")
    html = client.get("/termine").get_data(as_text=True)
    assert 'data-week="2030-03-04"' in html
    assert "Montag, 4. März 2030" in html and "Sonntag, 10. März 2030" in html
    assert "Montagstermin" in html and "Sonntagnacht" in html and "08:00–09:00" in html
    assert "Naechste Woche" not in html and "Nicht meiner" not in html
    assert f'/faelle/{case_at_vorgespraech}#termine-h' in html

    following = client.get("/termine?woche=2030-03-11").get_data(as_text=True)
    assert "Naechste Woche" in following and "Montagstermin" not in following
    assert "00:30–01:00" in following
    assert 'data-week="2030-03-11"' in client.get("/termine?woche=2030-03-17").get_data(as_text=True)


def test_the_menu_leads_to_my_appointments(login_as):
    html = login_as("fb36").get("/aufgaben").get_data(as_text=True)
    assert 'href="/termine"' in html and "Meine Termine" in html


# --- reminders --------------------------------------------------------------------------------


def reminders(app, username):
    with app.app_context():
        return [n.title for n in db.session.scalars(
            select(Notification).where(Notification.user_id == user(username).id, Notification.kind == "termin"))]


def test_participants_are_reminded_once_the_day_before(app, login_as, case_at_vorgespraech, clock):
    from app.timers.services import notify_round

    clock.set(datetime(2030, 3, 3, 8, 0, tzinfo=UTC))
    book(app, login_as, case_at_vorgespraech, starts="2030-03-04T16:00", ends="2030-03-04T17:00",
         participants=["fb36", "ehrenamt1"])  # 15:00 UTC: 31 hours ahead
    with app.app_context():
        notify_round(clock.now)
        assert reminders(app, "ehrenamt1") == []
        clock.advance(hours=7, minutes=30)  # 23.5 hours before
        notify_round(clock.now)
        clock.advance(hours=2)
        notify_round(clock.now)
    for username in ("fb36", "ehrenamt1"):
        assert reminders(app, username) == [
            f"Terminerinnerung: Vorgespräch am 04.03.30, 16:00 ({_reference(app, case_at_vorgespraech)})"]
    assert reminders(app, "k201") == []


def test_a_cancelled_appointment_is_not_reminded_and_a_moved_one_again(app, login_as, case_at_vorgespraech,
                                                                         clock):
    from app.appointments.services import remind_due

    clock.set(datetime(2030, 3, 3, 8, 0, tzinfo=UTC))
    cancelled = book(app, login_as, case_at_vorgespraech, starts="2030-03-03T18:00", ends="2030-03-03T19:00")
    moved = book(app, login_as, case_at_vorgespraech, starts="2030-03-03T20:00", ends="2030-03-03T21:00",
                 participants=["k201"])
    client = login_as("fb36")
    client.post(f"/termine/{cancelled}/absagen")
    with app.test_request_context():
        assert remind_due(clock.now, 24) == 1
        db.session.commit()
    client.post(f"/termine/{moved}/bearbeiten", data=form(starts="2030-03-04T07:00", ends="2030-03-04T08:00",
                                                          participants=["k201"]))
    with app.test_request_context():
        assert remind_due(clock.now, 24) == 1
        db.session.commit()
    assert len(reminders(app, "k201")) == 2 and reminders(app, "ehrenamt1") == []


def _reference(app, case_id):
    from app.engine.models import ProcessInstance

    with app.app_context():
        return db.session.get(ProcessInstance, case_id).reference


def test_demo_seed_adds_appointments_with_case_participants(app, case_at_vorgespraech, start_case):
    from app.appointments.demo import seed_demo
    from app.appointments.services import case_people
    from app.auth.models import User
    from app.engine.models import ProcessInstance
    from app.timeutil import utcnow

    other = start_case("fb36")
    with app.test_request_context():
        instances = [db.session.get(ProcessInstance, i) for i in (case_at_vorgespraech, other)]
        users = {u.username: u for u in db.session.scalars(select(User))}
        made = seed_demo(instances, users, utcnow())
        db.session.commit()
        assert len(made) == 2
        for appointment in made:
            allowed = {u.id for u in case_people(appointment.instance)}
            assert {u.id for u in appointment.people} <= allowed
        assert seed_demo(instances, users, utcnow()) == []  # idempotent
