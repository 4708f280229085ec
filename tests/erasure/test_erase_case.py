"""Erasure of a case's personal data (issue 14, items 3 and 4): ``erase_case`` removes the
personal data wherever they live — case data, workflow state, history, drafts, journal,
documents (files too), appointments, plans, to-dos, messages, referrals, notifications — keeps
the anonymous facts, so statistics stay the same and a running case can still be completed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.crisis.services import report_crisis
from app.documents.models import Document
from app.engine.models import CaseEvent, ProcessInstance, Task
from app.erasure import services as erasure
from app.extensions import db
from app.journal.models import JournalEntry, JournalRevision
from tests.erasure import helpers as h
from tests.flows import complete_web, start_case_web, valid_data


@pytest.fixture
def store(tmp_path) -> Path:
    return tmp_path / "documents"


@pytest.fixture
def app(make_app, store):
    return make_app({"DOCUMENT_STORAGE_DIR": str(store)})


def _personal_ab_case(login_as) -> int:
    """An Alltagsbegleitung case in its Einsatz, with personal data in the forms and every feature."""
    fb36 = login_as("fb36")
    case_id = start_case_web(fb36)
    data = valid_data("bedarfsermittlung", familienname=h.FAMILY, vornamen="Odalinde",
                      anschrift="Quittenweg 17, 12345 Musterstadt", bedarf="Kitageheimnis",
                      ziele=[{"beschreibung": "Zielgeheimnis Kita", "frist": valid_data("vorgespraech")["ende"],
                              "ueberpruefung": "Zielgeheimnis Antrag"}])
    assert complete_web(fb36, case_id, "bedarfsermittlung", data).status_code == 302
    assert complete_web(login_as("k201"), case_id, "vermittlung").status_code == 302
    assert complete_web(fb36, case_id, "vorgespraech",
                        valid_data("vorgespraech", vereinbarungen=f"Treffen bei {h.FAMILY}")).status_code == 302
    return case_id


def _erase(app, case_id: int, reason: str = erasure.RETENTION) -> dict:
    with app.test_request_context():
        instance = db.session.get(ProcessInstance, case_id)
        counts = erasure.erase_case(instance, reason=reason, actor=None)
        db.session.commit()
        return counts


def test_erasing_an_alltagsbegleitung_case_leaves_no_personal_value_anywhere(app, login_as, store):
    case_id = _personal_ab_case(login_as)
    with app.test_request_context():
        h.fill_case_file(case_id, "fb36")
        h.add_volunteer_records(case_id)
        report_crisis(db.session.get(ProcessInstance, case_id), h.user("ehrenamt1"),
                      f"Krisengeheimnis: {h.FAMILY} braucht Hilfe", "hoch")
        db.session.commit()
    assert complete_web(login_as("ehrenamt1"), case_id, "rueckmeldung",
                        valid_data("rueckmeldung", bericht=f"Termin mit {h.FAMILY}")).status_code == 302
    with app.app_context():
        before_text = h.database_text()
        before = h.statistics_figures(login_as("leitung"))
        state = db.session.get(ProcessInstance, case_id).state
    assert h.FAMILY in state and "Quittenweg" in state  # the form data live in the workflow state
    assert set(h.found_secrets(before_text)) == set(h.SECRETS)  # every place is filled
    assert len(h.stored_files(store)) == 1

    counts = _erase(app, case_id)

    assert counts["journal"] == 1 and counts["dokumente"] == 1 and counts["termine"] == 1
    assert counts["todos"] >= 2 and counts["nachrichten"] == 1 and counts["verweisungen"] == 1
    with app.app_context():
        assert h.found_secrets(h.database_text()) == []
        instance = db.session.get(ProcessInstance, case_id)
        assert h.FAMILY not in instance.state and "Quittenweg" not in instance.state
        assert instance.title == "" and instance.search_name == ""
        # the anonymous facts stay: the volunteer's lane, dates, choices, goal deadlines
        assert instance.data["ehrenamtliche"] == "ehrenamt1" and instance.data["zielgruppe"] == "familie"
        assert "familienname" not in instance.data and "anschrift" not in instance.data
        assert instance.data["ziele"] and set(instance.data["ziele"][0]) <= {"frist", "status"}
        assert instance.status == "running"
        # rows stay for the statistics, their texts are gone
        entry = db.session.scalar(select(JournalEntry).where(JournalEntry.instance_id == case_id))
        assert entry.text == "" and entry.next_steps == "" and entry.duration_minutes == 40
        assert all(r.text == "" and r.note == "" for r in db.session.scalars(
            select(JournalRevision).where(JournalRevision.entry_id == entry.id)))
        document = db.session.scalar(select(Document).where(Document.instance_id == case_id))
        assert document.deleted and document.filename == ""
        erased = [e for e in db.session.scalars(select(CaseEvent).where(CaseEvent.instance_id == case_id,
                                                                        CaseEvent.kind == "erased"))]
        assert len(erased) == 1 and erased[0].data["grund"] == "retention"
        assert erased[0].data["anzahl"]["dokumente"] == 1
        after = h.statistics_figures(login_as("leitung"))
    assert h.stored_files(store) == []  # the file went with the commit
    assert after == before

    # the case goes on anonymously: the volunteer's lane still works, and it can be completed
    assert complete_web(login_as("ehrenamt1"), case_id, "rueckmeldung").status_code == 302
    assert complete_web(login_as("k201"), case_id, "zwischengespraech",
                        valid_data("zwischengespraech", abschluss_einleiten=True)).status_code == 302
    fb36 = login_as("fb36")
    abschluss = valid_data("abschluss", zielbewertungen=[{"ziel": "", "bewertung": "erreicht"}])
    response = complete_web(fb36, case_id, "abschluss", abschluss)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        assert db.session.get(ProcessInstance, case_id).status == "completed"
        assert h.found_secrets(h.database_text()) == []


def test_erasing_twice_does_no_harm(app, login_as, store):
    case_id = _personal_ab_case(login_as)
    with app.test_request_context():
        h.fill_case_file(case_id, "fb36")
    _erase(app, case_id)
    with app.app_context():
        first = db.session.get(ProcessInstance, case_id)
        data, state = dict(first.data), first.state
    again = _erase(app, case_id, erasure.CONSENT_WITHDRAWN)
    assert not any(again.get(k) for k in ("journal", "dokumente", "termine", "nachrichten", "verweisungen"))
    with app.app_context():
        second = db.session.get(ProcessInstance, case_id)
        assert second.data == data and second.state == state
        assert db.session.scalar(select(func.count(CaseEvent.id)).where(
            CaseEvent.instance_id == case_id, CaseEvent.kind == "erased")) == 2


def test_pages_of_an_erased_case_say_so_and_do_not_fail(app, login_as, store):
    case_id = _personal_ab_case(login_as)
    with app.test_request_context():
        h.fill_case_file(case_id, "fb36")
        h.add_volunteer_records(case_id)
        report_crisis(db.session.get(ProcessInstance, case_id), h.user("ehrenamt1"), "Krisengeheimnis", "hoch")
        db.session.commit()
    _erase(app, case_id)
    fb36 = login_as("fb36")
    view = fb36.get(f"/faelle/{case_id}")
    assert view.status_code == 200
    page = view.get_data(as_text=True)
    assert "Personenbezogene Daten gelöscht am" in page and "(Aufbewahrungsfrist abgelaufen)" in page
    assert "Der Fall wird anonym weitergeführt." in page
    assert h.found_secrets(page) == []
    with app.app_context():
        tasks = [t.id for t in db.session.scalars(select(Task).where(Task.instance_id == case_id))]
    k201 = login_as("k201")
    seen = 0
    for task_id in tasks:
        for reader in (fb36, k201):
            response = reader.get(f"/aufgaben/{task_id}")
            assert response.status_code in (200, 302, 403, 404), task_id
            assert h.found_secrets(response.get_data(as_text=True)) == []
            seen += response.status_code == 200
    assert seen >= 2  # the open steps (among them the crisis) are shown
    for path in (f"/faelle/{case_id}/journal", f"/faelle/{case_id}/dokumente", f"/faelle/{case_id}/plan",
                 f"/faelle/{case_id}/termine", "/faelle", "/aufgaben"):
        response = fb36.get(path)
        assert response.status_code in (200, 404), path
        assert h.found_secrets(response.get_data(as_text=True)) == [], path
    found = fb36.get("/suche", query_string={"q": h.FAMILY})
    assert found.status_code == 200 and f'href="/faelle/{case_id}"' not in found.get_data(as_text=True)
    leitung = login_as("leitung")
    for path in (f"/monitor/faelle/{case_id}", f"/monitor/faelle/{case_id}/pfad.json"):
        response = leitung.get(path)
        assert response.status_code == 200, path
        assert h.found_secrets(response.get_data(as_text=True)) == [], path
    from tests.factories import api_client

    api = api_client(app, "fb36")
    with app.app_context():
        task_ids = [t.id for t in db.session.scalars(select(Task).where(
            Task.instance_id == case_id, Task.status.in_(("open", "claimed", "ready")), Task.assignee_id.is_(None)
            | (Task.assignee_id == h.user("fb36").id)))]
    for path in (f"/api/v1/process-instances/{case_id}", f"/api/v1/process-instances/{case_id}/journal",
                 f"/api/v1/process-instances/{case_id}/documents", "/api/v1/process-instances", "/api/v1/tasks",
                 *[f"/api/v1/tasks/{task_id}" for task_id in task_ids]):
        response = api.get(path)
        assert response.status_code in (200, 403), path
        assert h.found_secrets(response.get_data(as_text=True)) == [], path
    volunteer = login_as("ehrenamt1")
    for path in (f"/faelle/{case_id}", "/ehrenamt/einsaetze", f"/faelle/{case_id}/fragen",
                 f"/ehrenamt/einsaetze/{case_id}/aufwand"):
        response = volunteer.get(path)
        assert response.status_code == 200, path  # the volunteer's access stays (their name is kept)
        assert h.found_secrets(response.get_data(as_text=True)) == [], path


def test_a_process_without_the_declaration_keeps_nothing(app, tmp_path):
    assert erasure.keep_filter([])({"familienname": "X", "ergebnis": "beenden"}) == {}
    keep = erasure.keep_filter(["ergebnis", "ziele.frist", "u.ziele.status"])
    assert keep({"familienname": "X", "ergebnis": "beenden", "ziele": [{"frist": "2027-01-01", "text": "geheim"}],
                 "u": [{"ziele": [{"status": "erreicht", "ziel": "geheim"}], "notiz": "geheim"}]}) == {
        "ergebnis": "beenden", "ziele": [{"frist": "2027-01-01"}], "u": [{"ziele": [{"status": "erreicht"}]}]}
    with app.app_context():
        app.config["PRIVACY_DIR"] = str(tmp_path)
        assert erasure.kept_keys("alltagsbegleitung") == ()
        app.config["PRIVACY_DIR"] = ""
        assert "ehrenamtliche" in erasure.kept_keys("alltagsbegleitung")


def test_erasing_a_completed_case_keeps_its_outcome_and_the_statistics(app, login_as, store):
    """The retention run erases closed cases: the stored state of a finished workflow is scrubbed
    too, the outcome, the dates and the step durations stay."""
    case_id = _personal_ab_case(login_as)
    with app.test_request_context():
        h.fill_case_file(case_id, "fb36")
    assert complete_web(login_as("k201"), case_id, "zwischengespraech",
                        valid_data("zwischengespraech", notizen=f"Notiz zu {h.FAMILY}",
                                   abschluss_einleiten=True)).status_code == 302
    assert complete_web(login_as("fb36"), case_id, "abschluss",
                        valid_data("abschluss", folgemassnahme=f"{h.FAMILY} an Familienhilfe")).status_code == 302
    with app.app_context():
        instance = db.session.get(ProcessInstance, case_id)
        assert instance.status == "completed" and h.FAMILY in instance.state
        ended_at, outcome = instance.ended_at, instance.outcome
        before = h.statistics_figures(login_as("leitung"))
    _erase(app, case_id)
    with app.app_context():
        assert h.found_secrets(h.database_text()) == []
        instance = db.session.get(ProcessInstance, case_id)
        assert (instance.status, instance.ended_at, instance.outcome) == ("completed", ended_at, outcome)
        assert instance.data["ergebnis"] == "beenden"
        assert h.statistics_figures(login_as("leitung")) == before
    assert h.stored_files(store) == []
    page = login_as("fb36").get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Erhalten bleiben nur anonyme Angaben für die Statistik." in page and h.found_secrets(page) == []
