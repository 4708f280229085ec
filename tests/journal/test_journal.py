"""The case journal: who may write and read entries (HTML and API), follow-ups as to-dos in the
assignee's inbox (done / dropped), corrections that keep the earlier text, the counts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.engine.models import Task
from app.extensions import db
from app.journal.models import JournalEntry
from tests.factories import api_client as make_api
from tests.factories import start_case, today, user
from tests.mbe.conftest import start as start_mbe
from tests.volunteers.helpers import running_case


def entry_form(text: str = "Telefonat mit der Mutter: Kita-Anmeldung besprochen.", **extra) -> dict:
    data = {"kind": "telefonat", "date": today().isoformat(), "duration_minutes": "20", "text": text,
            "next_steps": "Unterlagen zur Kita bringen"}
    data.update(extra)
    return data


def entries(app, case_id: int) -> list[JournalEntry]:
    with app.app_context():
        found = list(db.session.scalars(select(JournalEntry).where(JournalEntry.instance_id == case_id)))
        for e in found:
            _ = e.topics, e.author.username, [r.author.username for r in e.revisions]
            db.session.expunge(e)
        return found


def todo_of(app, case_id: int) -> Task | None:
    with app.app_context():
        task = db.session.scalar(select(Task).where(Task.instance_id == case_id, Task.kind == "todo"))
        if task is not None:
            _ = task.assignee
            db.session.expunge(task)
        return task


@pytest.fixture
def asd_case(app, login_as):
    """An Alltagsbegleitung case of ASD (fb36) with ehrenamt1 assigned."""
    return running_case(login_as)


@pytest.fixture
def mbe_case(mbe_app):
    with mbe_app.app_context():
        return start_mbe("mbe1")


# --- who may write --------------------------------------------------------------------------

WRITERS = ["fb36", "k201", "leitung", "ehrenamt1"]
NOT_ON_ASD = {"fb31": 404, "fb36fh": 404, "ehrenamt2": 404, "mbe1": 404, "mbe2": 404, "mbeleitung": 404,
              "prozess": 404, "admin": 404}


@pytest.mark.parametrize("username", WRITERS)
def test_participants_write_an_entry_with_a_follow_up_on_the_asd_case(app, login_as, asd_case, username):
    client = login_as(username)
    page = client.get(f"/faelle/{asd_case}/journal/neu")
    assert page.status_code == 200 and page.data.decode().count("<h1") == 1
    due = (today() + timedelta(days=3)).isoformat()
    response = client.post(f"/faelle/{asd_case}/journal/neu",
                           data=entry_form(f"Eintrag von {username}", **{"follow_up-due": due}))
    assert response.status_code == 302, response.data[:800]
    [entry] = entries(app, asd_case)
    assert entry.author.username == username and entry.text == f"Eintrag von {username}"
    assert entry.shared_with_volunteer is (username == "ehrenamt1")  # a volunteer's own entry is shared
    todo = todo_of(app, asd_case)
    assert todo is not None and todo.assignee.username == username and todo.due_at.date() == today() + timedelta(days=3)
    view = client.get(f"/faelle/{asd_case}").data.decode()
    assert f"Eintrag von {username}" in view and 'id="journal-h"' in view
    todo_page = client.get(f"/aufgaben/{todo.id}")
    assert todo_page.status_code == 200 and f"Eintrag von {username}" in todo_page.data.decode()
    assert client.post(f"/aufgaben/{todo.id}/abschliessen/erledigt").status_code == 302


@pytest.mark.parametrize("username,status", sorted(NOT_ON_ASD.items()))
def test_others_cannot_read_or_write_the_asd_journal(app, login_as, api_client, asd_case, username, status):
    client = login_as(username)
    assert client.get(f"/faelle/{asd_case}/journal/neu").status_code == status
    assert client.post(f"/faelle/{asd_case}/journal/neu", data=entry_form()).status_code == status
    api = api_client(username)
    assert api.get(f"/api/v1/process-instances/{asd_case}/journal").status_code == 404
    assert api.post(f"/api/v1/process-instances/{asd_case}/journal",
                    json={"kind": "notiz", "date": today().isoformat(), "text": "x"}).status_code == 404
    assert entries(app, asd_case) == []


@pytest.mark.parametrize("username,status", [("mbe1", 201), ("mbeleitung", 201), ("mbe2", 404), ("fb36", 404),
                                             ("k201", 404), ("ehrenamt1", 404), ("leitung", 404), ("admin", 404),
                                             ("prozess", 404)])
def test_confidential_mbe_journal_only_for_counsellor_and_lead(mbe_app, api_client, mbe_case, username, status):
    api = api_client(username, app=mbe_app)
    body = {"kind": "gespraech", "date": today().isoformat(), "duration_minutes": 45,
            "topics": ["aufenthalt", "arbeit"],
            "text": "Beratung zum Aufenthaltstitel", "follow_up": {"due": (today() + timedelta(days=7)).isoformat()}}
    response = api.post(f"/api/v1/process-instances/{mbe_case}/journal", json=body)
    assert response.status_code == status, response.get_json()
    listed = api.get(f"/api/v1/process-instances/{mbe_case}/journal")
    assert listed.status_code == (200 if status == 201 else 404)
    if status == 201:
        entry = response.get_json()
        assert entry["topics"] == ["aufenthalt", "arbeit"] and entry["author"] == username
        assert listed.get_json()[0]["id"] == entry["id"]
        todo = todo_of(mbe_app, mbe_case)
        assert todo.assignee.username == username


def test_follow_up_for_another_participant_reaches_their_inbox_and_is_done(app, login_as, asd_case):
    fb36, k201 = login_as("fb36"), login_as("k201")
    response = fb36.post(f"/faelle/{asd_case}/journal/neu",
                         data=entry_form("Rückruf der Familie nötig", **{"follow_up-assignee": "k201"}))
    assert response.status_code == 302
    todo = todo_of(app, asd_case)
    assert todo.assignee.username == "k201" and todo.due_at is None
    inbox = k201.get("/aufgaben").data.decode()
    assert f'href="/aufgaben/{todo.id}"' in inbox and "Wiedervorlage" in inbox
    assert f'href="/aufgaben/{todo.id}"' not in fb36.get("/aufgaben").data.decode()
    page = k201.get(f"/aufgaben/{todo.id}")
    html = page.data.decode()
    assert page.status_code == 200 and "Rückruf der Familie nötig" in html and "Erledigt" in html
    assert "Verwerfen" in html
    # fb36 may see the case but the to-do is not theirs
    assert fb36.post(f"/aufgaben/{todo.id}/abschliessen/erledigt").status_code == 403
    api = make_api(app, "k201")
    refused = api.post(f"/api/v1/tasks/{todo.id}/complete", json={"data": {}})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "todo_not_completable"
    assert k201.post(f"/aufgaben/{todo.id}/abschliessen/erledigt").status_code == 302
    assert todo_of(app, asd_case).status == "completed"
    assert f'href="/aufgaben/{todo.id}"' not in k201.get("/aufgaben").data.decode()
    # closed already: said plainly, nothing changes
    again = k201.post(f"/aufgaben/{todo.id}/abschliessen/verworfen", follow_redirects=True)
    assert "bereits erledigt" in again.data.decode()


def test_follow_up_can_be_dropped(app, login_as, asd_case):
    fb36 = login_as("fb36")
    fb36.post(f"/faelle/{asd_case}/journal/neu", data=entry_form(**{"follow_up-due": today().isoformat()}))
    todo = todo_of(app, asd_case)
    assert fb36.post(f"/aufgaben/{todo.id}/abschliessen/verworfen").status_code == 302
    assert todo_of(app, asd_case).status == "cancelled"


def test_follow_up_only_to_people_with_full_access(app, login_as, asd_case):
    fb36 = login_as("fb36")
    for outsider in ("fb31", "ehrenamt1", "mbe1"):
        response = fb36.post(f"/faelle/{asd_case}/journal/neu",
                             data=entry_form(**{"follow_up-assignee": outsider}))
        assert response.status_code == 422
    assert entries(app, asd_case) == [] and todo_of(app, asd_case) is None


def test_team_to_do_can_be_claimed_given_back_and_done(app, login_as):
    """A to-do for a team (e.g. a form's signal) is claimed from the group list like a task."""
    from app.engine import service
    from app.engine.models import ProcessInstance

    with app.app_context():
        case_id = start_case()
        instance = db.session.get(ProcessInstance, case_id)
        from app.auth.models import Team

        team = db.session.scalar(select(Team).where(Team.key == "k201"))
        todo = service.create_todo(instance, "FB 36 einbeziehen", created_by=user("fb36"), team=team)
        db.session.commit()
        todo_id = todo.id
    k201 = login_as("k201")
    assert f'href="/aufgaben/{todo_id}"' in k201.get("/aufgaben").data.decode()
    assert k201.post(f"/aufgaben/{todo_id}/uebernehmen").status_code == 302
    assert k201.post(f"/aufgaben/{todo_id}/zurueckgeben").status_code == 302
    page = k201.get(f"/aufgaben/{todo_id}")
    assert page.status_code == 200 and "FB 36 einbeziehen" in page.data.decode()
    assert k201.post(f"/aufgaben/{todo_id}/abschliessen/erledigt").status_code == 302
    assert todo_of(app, case_id).status == "completed"


# --- volunteers see only what is shared -------------------------------------------------------


def test_volunteer_sees_only_shared_and_own_entries(app, login_as, api_client, asd_case):
    fb36, volunteer = login_as("fb36"), login_as("ehrenamt1")
    fb36.post(f"/faelle/{asd_case}/journal/neu", data=entry_form("Intern: Gespräch mit dem Jugendamt"))
    fb36.post(f"/faelle/{asd_case}/journal/neu",
              data=entry_form("Geteilt: Termin beim Kinderarzt am Montag", shared_with_volunteer="y"))
    volunteer.post(f"/faelle/{asd_case}/journal/neu",
                   data=entry_form("Vom Ehrenamt: Begleitung zur Kita", kind="hausbesuch"))
    fb36.post(f"/faelle/{asd_case}/journal/neu",
              data=entry_form("Intern: Rücksprache mit der Schule", next_steps="",
                             **{"follow_up-assignee": "k201"}))
    html = volunteer.get(f"/faelle/{asd_case}").data.decode()
    assert "Geteilt: Termin" in html and "Vom Ehrenamt" in html and "Intern:" not in html
    assert "Rücksprache" not in html  # nor in the history's to-do title
    texts = [e["text"] for e in api_client("ehrenamt1").get(f"/api/v1/process-instances/{asd_case}/journal").get_json()]
    assert sorted(texts) == ["Geteilt: Termin beim Kinderarzt am Montag", "Vom Ehrenamt: Begleitung zur Kita"]
    full = [e["text"] for e in api_client("k201").get(f"/api/v1/process-instances/{asd_case}/journal").get_json()]
    assert len(full) == 4
    # the to-do page of a follow-up from a hidden entry does not show its text to a volunteer
    internal = next(e for e in entries(app, asd_case) if e.text.startswith("Intern: Gespräch"))
    with app.app_context():
        from app.engine.models import ProcessInstance
        from app.journal.services import entry_for_task

        with db.session.no_autoflush:
            task = Task(instance=db.session.get(ProcessInstance, asd_case), context={"journal_entry": internal.id})
            task.instance_id = asd_case
            volunteer, fb36_user = user("ehrenamt1"), user("fb36")
            assert entry_for_task(task, volunteer) is None
            assert entry_for_task(task, fb36_user).id == internal.id
        db.session.rollback()


def test_volunteer_cannot_write_after_the_assignment_is_gone(app, login_as):
    """No participation (e.g. another volunteer was chosen): 404, nothing written."""
    case_id = running_case(login_as, volunteer="ehrenamt2")
    assert login_as("ehrenamt1").post(f"/faelle/{case_id}/journal/neu", data=entry_form()).status_code == 404


def test_ended_case_journal_is_read_only(app, login_as, api_client, asd_case):
    from app.engine.models import ProcessInstance

    fb36 = login_as("fb36")
    fb36.post(f"/faelle/{asd_case}/journal/neu", data=entry_form("Vor dem Ende"))
    [entry] = entries(app, asd_case)
    with app.app_context():
        db.session.get(ProcessInstance, asd_case).status = "completed"
        db.session.commit()
    assert fb36.get(f"/faelle/{asd_case}/journal/neu").status_code == 403
    assert fb36.get(f"/faelle/{asd_case}/journal/{entry.id}/korrigieren").status_code == 403
    api = api_client("fb36")
    url = f"/api/v1/process-instances/{asd_case}/journal"
    assert api.post(url, json={"kind": "notiz", "date": today().isoformat(), "text": "x"}).status_code == 403
    assert [e["text"] for e in api.get(url).get_json()] == ["Vor dem Ende"]
    view = fb36.get(f"/faelle/{asd_case}").data.decode()
    assert "Vor dem Ende" in view and "Neuer Journaleintrag" not in view


# --- corrections --------------------------------------------------------------------------


def test_correction_keeps_the_earlier_text(app, login_as, asd_case):
    fb36, k201 = login_as("fb36"), login_as("k201")
    fb36.post(f"/faelle/{asd_case}/journal/neu", data=entry_form("Erste Fassung: Termin am Dienstag"))
    [entry] = entries(app, asd_case)
    path = f"/faelle/{asd_case}/journal/{entry.id}/korrigieren"
    assert k201.get(path).status_code == 403  # only the author corrects
    assert login_as("fb31").get(path).status_code == 404
    bad = fb36.post(path, data=entry_form(""))
    assert bad.status_code == 422 and "Bitte den Eintrag schreiben." in bad.data.decode()
    response = fb36.post(path, data=entry_form("Zweite Fassung: Termin am Mittwoch", note="Tag verwechselt"))
    assert response.status_code == 302
    [entry] = entries(app, asd_case)
    assert entry.text == "Zweite Fassung: Termin am Mittwoch"
    assert [r.text for r in entry.revisions] == ["Erste Fassung: Termin am Dienstag",
                                                 "Zweite Fassung: Termin am Mittwoch"]
    assert all(r.author.username == "fb36" for r in entry.revisions)
    html = k201.get(f"/faelle/{asd_case}").data.decode()
    assert "korrigiert" in html and "<details>" in html and "Erste Fassung: Termin am Dienstag" in html
    assert "Tag verwechselt" in html


# --- API contract ----------------------------------------------------------------------------


def test_api_contract_and_validation(app, api_client, asd_case):
    api = api_client("fb36")
    url = f"/api/v1/process-instances/{asd_case}/journal"
    assert api.get(url).get_json() == []
    created = api.post(url, json={"kind": "gespraech", "date": today().isoformat(), "duration_minutes": 30,
                                  "topics": ["schule_kita"], "text": "Gespräch in der Kita",
                                  "shared_with_volunteer": True,
                                  "follow_up": {"due": (today() + timedelta(days=1)).isoformat(), "assignee": "k201"}})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert {"id", "kind", "date", "duration_minutes", "topics", "text", "author", "created_at",
            "shared_with_volunteer"} <= set(body)
    assert body["kind"] == "gespraech" and body["date"] == today().isoformat() and body["author"] == "fb36"
    assert body["shared_with_volunteer"] is True and body["topics"] == ["schule_kita"]
    assert todo_of(app, asd_case).assignee.username == "k201"

    api.post(url, json={"kind": "notiz", "date": (today() - timedelta(days=5)).isoformat(), "text": "älter"})
    api.post(url, json={"kind": "notiz", "date": today().isoformat(), "text": "neuer"})
    listed = api.get(url).get_json()
    assert [e["text"] for e in listed] == ["neuer", "Gespräch in der Kita", "älter"]

    cases = [
        ({"kind": "brief", "date": today().isoformat(), "text": "x"}, "kind"),
        ({"kind": "notiz", "date": "gestern", "text": "x"}, "date"),
        ({"kind": "notiz", "date": (today() + timedelta(days=2)).isoformat(), "text": "x"}, "date"),
        ({"kind": "notiz", "date": today().isoformat(), "text": ""}, "text"),
        ({"kind": "notiz", "date": today().isoformat(), "text": "x", "duration_minutes": 9999}, "duration_minutes"),
        ({"kind": "notiz", "date": today().isoformat(), "text": "x", "topics": ["aufenthalt"]}, "topics"),
        ({"kind": "notiz", "date": today().isoformat(), "text": "x", "follow_up": {"assignee": "fb31"}},
         "follow_up-assignee"),
        ({"kind": "notiz", "date": today().isoformat(), "text": "x",
          "follow_up": {"due": (today() - timedelta(days=1)).isoformat()}}, "follow_up-due"),
        ({"kind": "notiz", "date": today().isoformat(), "text": "x", "farbe": "rot"}, "farbe"),
    ]
    for payload, field in cases:
        response = api.post(url, json=payload)
        assert response.status_code == 422, (payload, response.get_json())
        assert field in response.get_json()["error"]["fields"], (payload, response.get_json())
    assert len(api.get(url).get_json()) == 3
    assert api.get("/api/v1/process-instances/999999/journal").status_code == 404
    assert api.post(url, data="kein json", content_type="application/json").status_code == 400


def test_api_is_documented(app, api_client):
    doc = api_client("fb36").get("/api/v1/openapi.json").get_json()
    ops = doc["paths"]["/api/v1/process-instances/{id}/journal"]
    assert {"get", "post"} <= set(ops) and "JournalEntry" in doc["components"]["schemas"]


def test_new_entry_page_shows_errors_next_to_fields(app, login_as, asd_case):
    fb36 = login_as("fb36")
    response = fb36.post(f"/faelle/{asd_case}/journal/neu", data={"date": "", "text": ""})
    html = response.data.decode()
    assert response.status_code == 422 and 'id="error-summary"' in html
    assert "Bitte die Art des Eintrags wählen." in html and "Bitte den Eintrag schreiben." in html
    assert html.count("<h1") == 1 and entries(app, asd_case) == []


# --- counts and demo ------------------------------------------------------------------------


def test_session_counts_and_activity_minutes(app, login_as, asd_case):
    from app.auth.models import Team
    from app.journal import services

    fb36, k201 = login_as("fb36"), login_as("k201")
    fb36.post(f"/faelle/{asd_case}/journal/neu", data=entry_form(duration_minutes="30", topics="schule_kita"))
    k201.post(f"/faelle/{asd_case}/journal/neu", data=entry_form(kind="notiz", duration_minutes="10"))
    k201.post(f"/faelle/{asd_case}/journal/neu", data=entry_form(kind="hausbesuch", duration_minutes="90"))
    with app.app_context():
        asd = db.session.scalar(select(Team.id).where(Team.key == "asd"))
        k201_team = db.session.scalar(select(Team.id).where(Team.key == "k201"))
        counts = services.session_counts([asd], today(), today())
        assert counts["sessions"] == 2 and counts["minutes"] == 130
        assert counts["by_kind"] == {"telefonat": 1, "notiz": 1, "hausbesuch": 1}
        assert counts["by_topic"] == {"schule_kita": 1}
        assert services.session_counts([k201_team], today(), today())["sessions"] == 0
        assert services.session_counts([asd], today() + timedelta(days=1), today() + timedelta(days=9))["sessions"] == 0
        minutes = services.activity_minutes(today(), today())
        fb36_id, k201_id = user("fb36").id, user("k201").id
        assert minutes == {(fb36_id, "telefonat"): 30, (k201_id, "notiz"): 10, (k201_id, "hausbesuch"): 90}
        assert services.activity_minutes(today(), today(), team_ids=[k201_team]) == {
            (k201_id, "notiz"): 10, (k201_id, "hausbesuch"): 90}


def test_demo_seed_adds_entries(app, login_as, asd_case, mbe_app):
    from datetime import UTC, datetime

    from app.auth.models import User
    from app.engine.models import ProcessInstance
    from app.journal.demo import seed_demo

    with app.app_context():
        mbe = start_mbe("mbe1")
        instances = [db.session.get(ProcessInstance, asd_case), db.session.get(ProcessInstance, mbe)]
        users = {u.username: u for u in db.session.scalars(select(User))}
        created = seed_demo(instances, users, datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
        db.session.commit()
        assert created > 0
    assert entries(app, asd_case) and entries(app, mbe)


def test_mbe_journal_sessions_count_only_in_the_mbe_statistics(mbe_app, api_client, login_as, mbe_case):
    api = api_client("mbe1", app=mbe_app)
    url = f"/api/v1/process-instances/{mbe_case}/journal"
    for kind, topics in (("gespraech", ["aufenthalt"]), ("telefonat", ["aufenthalt", "wohnen"]),
                         ("hausbesuch", ["wohnen"]), ("notiz", ["rueckkehr"])):
        assert api.post(url, json={"kind": kind, "date": today().isoformat(), "text": "Beratung",
                                   "topics": topics}).status_code == 201
    lead = login_as("mbeleitung", app=mbe_app)
    annual = lead.get(f"/statistik/jahresbericht?jahr={today().year}").data.decode()
    row = re.search(r"Beratungsgespräche im Fall-Journal</t[hd]>\s*<td[^>]*>([^<]+)<", annual)
    # the municipal annual report and statistics API never count a confidential (MBE) case (issue 14)
    assert row is not None and row.group(1).strip() == "0", annual[:3000]
    stats = api_client("mbeleitung", app=mbe_app).get(
        f"/api/v1/statistics?from={today().year}-01-01&to={today().isoformat()}").get_json()
    assert stats["journal"]["sessions"] == 0 and stats["journal"]["by_topic"] == []
    month_end = (today().replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    mbe = lead.get(f"/mbe/statistik?von={today().year}-01-01&bis={month_end.isoformat()}").data.decode()
    journal_table = re.search(r'<table id="stat-journal">(.*?)</table>', mbe, re.S).group(1)
    assert "Gespräch" in journal_table and "Notiz" in journal_table
    topics_table = re.search(r'<table id="stat-thema">(.*?)</table>', mbe, re.S).group(1)
    assert "Aufenthalt" in topics_table and "Wohnen" in topics_table
