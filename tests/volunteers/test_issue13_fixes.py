"""Issue 13, the volunteer pages: empty optional dates, attendance of future trainings and taking
it back, expense rules (assignment start, duplicates, withdrawing), 201 creates a volunteer, the
supervisor of 201 reads volunteers, trainings and expenses without changing them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.models import ROLE_EHRENAMT, User
from app.extensions import db
from app.volunteers.models import ExpenseEntry, VolunteerProfile
from tests.factories import login, today
from tests.volunteers.helpers import profile, running_case, user_id


def _rows(app) -> list[ExpenseEntry]:
    with app.app_context():
        rows = db.session.scalars(select(ExpenseEntry).order_by(ExpenseEntry.id)).all()
        for r in rows:
            db.session.expunge(r)
        return rows


def _add(client, case_id: int, **data):
    form = {"datum": today().isoformat(), "stunden": "2", "kilometer": "", "auslagen": "", "notiz": "", **data}
    return client.post(f"/ehrenamt/einsaetze/{case_id}/aufwand", data=form)


def _training(client, **data) -> int:
    form = {"kind": "b", "datum": today().isoformat(), "uhrzeit": "18:00", "ort": "Kreishaus",
            "thema": "Rolle der Alltagsbegleitung", **data}
    response = client.post("/schulungen", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return int(re.search(r"/schulungen/(\d+)", response.headers["Location"]).group(1))


# --- 1. empty optional dates ------------------------------------------------------------------


def test_201_saves_a_profile_with_empty_optional_dates(app, login_as):
    k201 = login_as("k201")
    ole = user_id(app, "ehrenamt2")
    response = k201.post(f"/ehrenamtliche/{ole}", data={
        "sprachen": "Deutsch", "stunden_pro_woche": "", "orte": "", "schulung_a": "", "schulung_b": "2024-06-08",
        "schulung_c": "", "schulung_d": "", "schweigepflicht_am": "2024-06-08", "fuehrungszeugnis_am": "",
        "status": "aktiv"})
    assert response.status_code == 302, re.findall(r'class="field-errors"[^>]*>(.*?)</ul>',
                                                   response.get_data(as_text=True), re.S)
    data = profile(app, "ehrenamt2")
    assert data["schulungen"] == {"b": "2024-06-08"} and data["fuehrungszeugnis_am"] is None
    # text that is no date is still refused, with the one conversion message
    response = k201.post(f"/ehrenamtliche/{ole}", data={"sprachen": "Deutsch", "schulung_a": "morgen",
                                                        "status": "aktiv"})
    assert response.status_code == 422
    assert re.search(r'id="schulung_a-error">\s*<li>[^<]*Datum', response.get_data(as_text=True))


# --- 2. attendance and training dates -----------------------------------------------------------


def test_attendance_of_a_future_training_is_refused(app, login_as):
    k201 = login_as("k201")
    mira = user_id(app, "ehrenamt1")
    training_id = _training(k201, datum=(today() + timedelta(days=5)).isoformat())
    k201.post(f"/schulungen/{training_id}", data={"aktion": "einladen", "einladen-ehrenamtliche": [mira]})
    page = k201.get(f"/schulungen/{training_id}").get_data(as_text=True)
    assert 'name="aktion" value="teilnahme"' not in page
    assert "Der Termin liegt in der Zukunft" in page
    before = profile(app, "ehrenamt1")
    response = k201.post(f"/schulungen/{training_id}", data={"aktion": "teilnahme", "teilnahme-anwesend": [mira]})
    assert response.status_code == 409
    assert "Dieser Termin liegt in der Zukunft" in response.get_data(as_text=True)
    assert profile(app, "ehrenamt1") == before


def test_taking_attendance_back_restores_the_earlier_date(app, login_as):
    k201 = login_as("k201")
    mira = user_id(app, "ehrenamt1")
    assert profile(app, "ehrenamt1")["schulungen"]["b"] == "2024-03-02"  # entered by hand (demo)
    yesterday = today() - timedelta(days=1)
    training_id = _training(k201, datum=yesterday.isoformat())
    k201.post(f"/schulungen/{training_id}", data={"aktion": "einladen", "einladen-ehrenamtliche": [mira]})
    assert k201.post(f"/schulungen/{training_id}", data={
        "aktion": "teilnahme", "teilnahme-anwesend": [mira]}).status_code == 302
    assert profile(app, "ehrenamt1")["schulungen"]["b"] == yesterday.isoformat()
    assert k201.post(f"/schulungen/{training_id}", data={"aktion": "teilnahme"}).status_code == 302
    assert profile(app, "ehrenamt1")["schulungen"]["b"] == "2024-03-02"


def test_taking_back_the_newer_of_two_attendances_keeps_the_older(app, login_as):
    k201 = login_as("k201")
    ole = user_id(app, "ehrenamt2")  # demo: no training a
    older, newer = today() - timedelta(days=30), today() - timedelta(days=2)
    first = _training(k201, kind="a", datum=older.isoformat())
    second = _training(k201, kind="a", datum=newer.isoformat())
    for training_id in (first, second):
        k201.post(f"/schulungen/{training_id}", data={"aktion": "einladen", "einladen-ehrenamtliche": [ole]})
        k201.post(f"/schulungen/{training_id}", data={"aktion": "teilnahme", "teilnahme-anwesend": [ole]})
    assert profile(app, "ehrenamt2")["schulungen"]["a"] == newer.isoformat()
    k201.post(f"/schulungen/{second}", data={"aktion": "teilnahme"})
    assert profile(app, "ehrenamt2")["schulungen"]["a"] == older.isoformat()
    k201.post(f"/schulungen/{first}", data={"aktion": "teilnahme"})
    assert "a" not in profile(app, "ehrenamt2")["schulungen"]  # never done before: blank again


# --- 3. expenses ----------------------------------------------------------------------------


def test_no_expense_before_the_assignment_began(app, login_as, api_client):
    case_id = running_case(login_as, beginn=today() - timedelta(days=10))
    mira = login_as("ehrenamt1")
    response = _add(mira, case_id, datum=(today() - timedelta(days=11)).isoformat())
    assert response.status_code == 422
    errors = re.search(r'id="datum-error">(.*?)</ul>', response.get_data(as_text=True), re.S)
    assert errors and "Das Datum darf nicht vor dem Beginn des Einsatzes" in errors.group(1)
    assert _rows(app) == []
    assert _add(mira, case_id, datum=(today() - timedelta(days=10)).isoformat()).status_code == 302
    # the API keeps the same rule
    response = api_client("ehrenamt1").post(f"/api/v1/process-instances/{case_id}/expenses", json={
        "datum": (today() - timedelta(days=11)).isoformat(), "stunden": 2})
    assert response.status_code == 422
    assert len(_rows(app)) == 1


def test_an_exact_duplicate_asks_for_confirmation(app, login_as):
    case_id = running_case(login_as)
    mira = login_as("ehrenamt1")
    assert _add(mira, case_id, stunden="2,5", kilometer="12").status_code == 302
    response = _add(mira, case_id, stunden="2,5", kilometer="12")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Einen gleichen Eintrag gibt es schon" in text and "Trotzdem speichern" in text
    assert 'name="trotzdem" value="1"' in text
    assert len(_rows(app)) == 1
    # a different entry on the same day is no duplicate
    assert _add(mira, case_id, stunden="1").status_code == 302
    # confirmed: saved
    assert _add(mira, case_id, stunden="2,5", kilometer="12", trotzdem="1").status_code == 302
    assert len(_rows(app)) == 3


def test_a_correction_that_equals_another_entry_asks_too(app, login_as):
    case_id = running_case(login_as)
    mira = login_as("ehrenamt1")
    _add(mira, case_id, stunden="2")
    _add(mira, case_id, stunden="3")
    second = _rows(app)[1]
    change = {"datum": today().isoformat(), "stunden": "2", "kilometer": "", "auslagen": "", "notiz": ""}
    response = mira.post(f"/ehrenamt/aufwand/{second.id}", data=change)
    assert response.status_code == 422 and "Trotzdem speichern" in response.get_data(as_text=True)
    # unchanged values of the entry itself are no duplicate
    same = {**change, "stunden": "3"}
    assert mira.post(f"/ehrenamt/aufwand/{second.id}", data=same).status_code == 302


def test_a_returned_entry_can_be_withdrawn(app, login_as):
    case_id = running_case(login_as)
    mira, k201 = login_as("ehrenamt1"), login_as("k201")
    _add(mira, case_id, stunden="4")
    [entry] = _rows(app)
    # not yet returned: cannot be withdrawn
    assert mira.post(f"/ehrenamt/aufwand/{entry.id}/zurueckziehen").status_code == 409
    k201.post(f"/aufwand/{entry.id}/zurueckgeben", data={f"r{entry.id}-kommentar": "Doppelt erfasst?"})
    page = mira.get(f"/ehrenamt/einsaetze/{case_id}/aufwand").get_data(as_text=True)
    assert f"/ehrenamt/aufwand/{entry.id}/zurueckziehen" in page
    # nobody else may withdraw it
    for other in ("ehrenamt2", "k201", "fb36"):
        assert login_as(other).post(f"/ehrenamt/aufwand/{entry.id}/zurueckziehen").status_code in (403, 404)
    assert mira.post(f"/ehrenamt/aufwand/{entry.id}/zurueckziehen").status_code == 302
    assert _rows(app)[0].status == "zurueckgezogen"
    page = mira.get(f"/ehrenamt/einsaetze/{case_id}/aufwand").get_data(as_text=True)
    assert "zurückgezogen" in page and f"/ehrenamt/aufwand/{entry.id}/zurueckziehen" not in page
    # withdrawn: neither corrected, nor decided, nor counted
    change = {"datum": today().isoformat(), "stunden": "4"}
    assert mira.post(f"/ehrenamt/aufwand/{entry.id}", data=change).status_code == 409
    assert k201.post(f"/aufwand/{entry.id}/genehmigen").status_code == 303
    assert "Keine Einträge zu prüfen." in k201.get("/aufwand/pruefen").get_data(as_text=True)
    assert _rows(app)[0].status == "zurueckgezogen"
    # a withdrawn entry is no duplicate
    assert _add(mira, case_id, stunden="4").status_code == 302


# --- 4. 201 creates a volunteer ------------------------------------------------------------------


def test_201_creates_a_volunteer_who_can_log_in(app, login_as):
    k201 = login_as("k201")
    assert "/ehrenamtliche/neu" in k201.get("/ehrenamtliche").get_data(as_text=True)
    response = k201.post("/ehrenamtliche/neu", data={"display_name": "Lina Neumann", "username": "lina.neumann",
                                                    "email": "lina@example.org"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    password = re.search(r"<code data-initial-password>([^<]+)</code>", text).group(1)
    assert len(password) >= 12
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "lina.neumann"))
        assert user.roles == [ROLE_EHRENAMT] and user.email == "lina@example.org" and not user.is_demo
        assert password not in user.password_hash
        assert db.session.get(VolunteerProfile, user.id).status == "aktiv"
    assert 'data-volunteer="lina.neumann"' in k201.get("/ehrenamtliche").get_data(as_text=True)
    lina = login(app.test_client(), "lina.neumann", password)
    # 201 knows the initial password: Lina must choose her own before anything else
    assert lina.get("/ehrenamt/profil").headers["Location"].endswith("/konto/passwort")
    own = "Eigenes-Passwort-2026!"
    changed = lina.post("/konto/passwort", data={"current_password": password, "new_password": own,
                                                 "confirm": own})
    assert changed.status_code == 302
    lina = login(app.test_client(), "lina.neumann", own)
    assert lina.get("/ehrenamt/profil").status_code == 200
    assert app.test_client().post("/login", data={"username": "lina.neumann", "password": password}
                                  ).status_code != 302  # 201's password is gone


def test_creating_a_volunteer_checks_the_input(app, login_as):
    k201 = login_as("k201")
    response = k201.post("/ehrenamtliche/neu", data={"display_name": "", "username": "EHRENAMT1",
                                                    "email": "kein-mail"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'id="display_name-error"' in text and 'id="email-error"' in text
    response = k201.post("/ehrenamtliche/neu", data={"display_name": "Mira Zwei", "username": "ehrenamt1"})
    assert response.status_code == 422 and "Diesen Benutzernamen gibt es schon." in response.get_data(as_text=True)


@pytest.mark.parametrize("username", ["ehrenamt1", "fb36", "leitung", "mbeleitung", "admin"])
def test_only_201_creates_volunteers(app, login_as, username):
    client = login_as(username)
    assert client.get("/ehrenamtliche/neu").status_code == 403
    assert client.post("/ehrenamtliche/neu", data={"display_name": "X Y", "username": "xy.neu"}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.username == "xy.neu")) is None


# --- 5. the supervisor of 201 reads -------------------------------------------------------------


def test_supervisor_of_201_reads_volunteers_trainings_and_expenses(app, login_as):
    case_id = running_case(login_as)
    mira, k201 = login_as("ehrenamt1"), login_as("k201")
    _add(mira, case_id, stunden="2")
    [entry] = _rows(app)
    training_id = _training(k201)
    k201.post(f"/schulungen/{training_id}", data={"aktion": "einladen",
                                                  "einladen-ehrenamtliche": [user_id(app, "ehrenamt1")]})
    boss = login_as("leitung")
    target = user_id(app, "ehrenamt1")
    listing = boss.get("/ehrenamtliche")
    assert listing.status_code == 200
    text = listing.get_data(as_text=True)
    assert 'data-volunteer="ehrenamt1"' in text and "/ehrenamtliche/neu" not in text
    page = boss.get(f"/ehrenamtliche/{target}").get_data(as_text=True)
    assert "Mira Helferin" in page and "Nur zur Ansicht" in page and "<form method=\"post\" novalidate" not in page
    trainings = boss.get("/schulungen").get_data(as_text=True)
    assert "Rolle der Alltagsbegleitung" in trainings and "Neuer Termin" not in trainings
    training = boss.get(f"/schulungen/{training_id}").get_data(as_text=True)
    assert "Mira Helferin" in training and 'name="aktion"' not in training and "Termin bearbeiten" not in training
    review = boss.get("/aufwand/pruefen").get_data(as_text=True)
    assert f'data-entry="{entry.id}"' in review and "Genehmigen" not in review and "Zurückgeben" not in review
    assert boss.get("/aufwand/summen").status_code == 200
    assert boss.get(f"/aufwand/abrechnung?ehrenamtliche={target}").status_code == 200

    before = profile(app, "ehrenamt1")
    assert boss.post(f"/ehrenamtliche/{target}", data={"sprachen": "Deutsch", "status": "pausiert"}).status_code == 403
    assert boss.post("/schulungen", data={"kind": "b", "datum": today().isoformat(), "ort": "X",
                                          "thema": "Y"}).status_code == 403
    assert boss.post(f"/schulungen/{training_id}", data={"aktion": "teilnahme",
                                                         "teilnahme-anwesend": [target]}).status_code == 403
    assert boss.post(f"/aufwand/{entry.id}/genehmigen").status_code == 403
    assert boss.post(f"/aufwand/{entry.id}/zurueckgeben", data={f"r{entry.id}-kommentar": "x"}).status_code == 403
    assert profile(app, "ehrenamt1") == before and _rows(app)[0].status == "eingereicht"


@pytest.mark.parametrize("username", ["mbeleitung", "fb36", "ehrenamt1"])
def test_other_supervisors_do_not_read_201s_pages(app, login_as, username):
    client = login_as(username)
    for path in ("/ehrenamtliche", f"/ehrenamtliche/{user_id(app, 'ehrenamt1')}", "/schulungen",
                 "/aufwand/pruefen", "/aufwand/summen"):
        assert client.get(path).status_code == 403, path


def test_read_access_ends_with_the_lead_of_201(app, login_as):
    from app.auth.models import LEAD, Membership, Team

    boss = login_as("leitung")
    assert boss.get("/ehrenamtliche").status_code == 200
    with app.app_context():
        db.session.execute(Membership.__table__.delete().where(
            Membership.user_id == user_id(app, "leitung"), Membership.kind == LEAD,
            Membership.team_id == db.session.scalar(select(Team.id).where(Team.key == "k201"))))
        db.session.commit()
    for path in ("/ehrenamtliche", "/schulungen", "/aufwand/pruefen"):
        assert boss.get(path).status_code == 403, path
    assert 'href="/ehrenamtliche"' not in boss.get("/aufgaben").get_data(as_text=True)
