"""The right of access (Art. 15 DSGVO, issue 14 item 5): everything held about an MBE client as a ZIP.

A client with two cases, a journal entry with a correction, a document, an appointment, a referral
and earlier access log rows: the ZIP's summary shows it under German labels, the JSON holds the
same, the document is byte for byte the upload. Only the responsible counsellor and the MBE lead
may export; the export is logged once; a client whose consent was withdrawn no longer exists.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.absence.models import Absence
from app.accesslog.models import CASE, EXPORT, VIEW, AccessLogEntry
from app.accesslog.services import record
from app.appointments import services as appointments
from app.documents import services as documents
from app.documents.sniff import sniff
from app.engine.models import FULL, ProcessInstance
from app.extensions import db
from app.journal import services as journal
from app.mbe import clients
from app.mbe.models import Client
from app.network import services as network
from tests.documents import samples
from tests.factories import api_client, user
from tests.mbe import mbe_steps as s

API = "/api/v1"


def consent() -> dict:
    """Computed when used: its date is relative to today (see tests.factories.today)."""
    return {"einwilligung": True, "einwilligung_datum": s.iso(s.today()), "einwilligung_form": "schriftlich",
            "einwilligung_umfang": ["speicherung", "weitergabe", "kontakt"],
            "vorname": "Lina", "nachname": "Beispielfrau",
            "geburtsdatum": "1990-05-04", "anschrift": "Musterweg 1, 12345 Musterstadt", "telefon": "0123 456789"}


DOCUMENT = samples.PDF + b"% Bescheid der Ausl\xc3\xa4nderbeh\xc3\xb6rde\n"


@pytest.fixture
def app(make_app, tmp_path):
    return make_app({"DOCUMENT_STORAGE_DIR": str(tmp_path / "documents")})


@pytest.fixture
def held(app) -> dict:
    """A client with two cases and something of every kind in them; returns the ids."""
    first = s.start(app)
    assert s.complete(app, first, "erstkontakt", s.erstkontakt(**consent())) == {}
    assert s.complete(app, first, "beratung", s.beratung()) == {}
    second = s.start(app)
    again = s.erstkontakt(**consent(), anliegen="Anerkennung des Abschlusses")
    assert s.complete(app, second, "erstkontakt", again) == {}
    with app.test_request_context():
        mbe1 = user("mbe1")
        one = db.session.get(ProcessInstance, first)
        client = clients.client_of(one)
        assert client is not None and clients.client_of(db.session.get(ProcessInstance, second)).id == client.id
        entry = journal.add_entry(one, mbe1, FULL, journal.EntryData(
            kind="gespraech", day=s.today(), text="Erstes Gespräch über den Aufenthaltstitel.", duration_minutes=50,
            topics=("aufenthalt",)))
        journal.correct_entry(entry, mbe1, journal.EntryData(
            kind="gespraech", day=s.today(), text="Gespräch über die Verlängerung des Aufenthaltstitels.",
            duration_minutes=50, topics=("aufenthalt",)), note="Thema genauer benannt")
        document = documents.file_on_case(one, mbe1, content=DOCUMENT, sniffed=sniff(DOCUMENT),
                                          filename="Bescheid Ausländerbehörde.pdf", category="schreiben")
        starts = datetime.combine(s.today() + timedelta(days=3), datetime.min.time(), UTC).replace(hour=9)
        appointments.book(one, mbe1, kind="beratung", starts_at=starts, ends_at=starts + timedelta(hours=1),
                          place="Beratungsstelle Nord", participants=[mbe1])
        partner = network.save_partner(None, mbe1.organisation_id, name="Jobcenter Musterstadt", typ="jobcenter",
                                       intensitaet=2, wichtigkeit=2)
        network.refer(one, partner, mbe1, "Unterstützung bei der Arbeitssuche")
        record(mbe1, VIEW, CASE, first, case_id=first, via="cases.view")
        record(user("mbeleitung"), VIEW, CASE, second, case_id=second, via="cases.view")
        ids = {"client": client.id, "first": first, "second": second, "document": document.id,
               "references": [one.reference, db.session.get(ProcessInstance, second).reference]}
        db.session.commit()
    return ids


def _zip(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.get_data()))


def _exports(app) -> list[AccessLogEntry]:
    with app.app_context():
        rows = list(db.session.scalars(select(AccessLogEntry).where(AccessLogEntry.action == EXPORT)))
        db.session.expunge_all()
        return rows


def test_zip_holds_everything_under_german_labels(app, login_as, held):
    response = login_as("mbe1").get(f"/mbe/klienten/{held['client']}/auskunft")
    archive = _zip(response)
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and f"auskunft-klient-{held['client']}-" in disposition

    names = archive.namelist()
    assert {"auskunft.html", "auskunft.json"} <= set(names)
    [path] = [n for n in names if n.startswith("dokumente/")]
    assert path == f"dokumente/{held['document']}_Bescheid Ausländerbehörde.pdf"
    assert archive.read(path) == DOCUMENT  # the file itself, byte for byte

    page = archive.read("auskunft.html").decode("utf-8")
    assert '<html lang="de">' in page and page.count("<h1>") == 1 and "<style>" in page
    assert "<link" not in page and "<script" not in page  # self-contained
    assert "<th scope=\"col\">" in page
    for text in ("Auskunft nach Art. 15 DSGVO", "Beispielfrau", "04.05.1990", *held["references"],
                 "Anschrift", "Musterweg 1, 12345 Musterstadt", "Anliegen", "Anerkennung des Abschlusses",
                 "Gespräch über die Verlängerung des Aufenthaltstitels.",  # the correction ...
                 "Erstes Gespräch über den Aufenthaltstitel.", "Thema genauer benannt",  # ... keeps the first text
                 "Beratungsstelle Nord", "Jobcenter Musterstadt", "Unterstützung bei der Arbeitssuche",
                 "Bescheid Ausländerbehörde.pdf", "Schreiben / Bescheid", "Zugriffsprotokoll", "cases.view"):
        assert text in page, text
    assert "einreise_oder_titel_datum" not in page.split("technische Angabe")[0]  # labelled, not a raw key
    assert "Einwilligung" in page

    report = json.loads(archive.read("auskunft.json"))
    for section in ("client", "cases", "history", "journal", "plan_goals", "appointments", "referrals",
                    "documents", "access_log"):
        assert section in report, section
    assert report["client"]["nachname"] == "Beispielfrau" and report["client"]["geburtsdatum"] == "1990-05-04"
    assert [c["reference"] for c in report["cases"]] == held["references"]
    fields = {f["key"]: f for f in report["cases"][0]["data"]}
    assert fields["anschrift"]["label"] == "Anschrift" and fields["anschrift"]["value"] == consent()["anschrift"]
    [entry] = report["journal"]
    assert entry["corrected"] and [r["text"] for r in entry["revisions"]] == [
        "Erstes Gespräch über den Aufenthaltstitel.", "Gespräch über die Verlängerung des Aufenthaltstitels."]
    assert entry["kind_label"] == "Gespräch"
    [document] = report["documents"]
    assert document["file"] == path and document["sha256"] == documents.storage.sha256(DOCUMENT)
    assert report["referrals"][0]["partner_type_label"] == "Jobcenter / Agentur für Arbeit"
    assert report["appointments"][0]["place"] == "Beratungsstelle Nord"
    assert {(r["user"], r["action"], r["case_reference"]) for r in report["access_log"]} == {
        ("mbe1", "view", held["references"][0]), ("mbeleitung", "view", held["references"][1])}
    assert any(h["kind"] == "task_completed" and "Anliegen" in h["entries"] for h in report["history"])


def test_the_export_is_logged_once_and_shows_in_the_next_one(app, login_as, held):
    client = login_as("mbe1")
    first = json.loads(_zip(client.get(f"/mbe/klienten/{held['client']}/auskunft")).read("auskunft.json"))
    assert not any(r["action"] == "export" for r in first["access_log"])
    [row] = _exports(app)
    assert (row.username, row.object_type, row.object_id, row.client_id) == ("mbe1", "client", held["client"],
                                                                             held["client"])
    assert row.via == "disclosure.client_export"
    with app.app_context():  # one row for the export, none per document inside it
        assert db.session.scalar(select(func.count()).select_from(AccessLogEntry)
                                 .where(AccessLogEntry.object_type == "document")) == 0
    second = json.loads(_zip(api_client(app, "mbeleitung").get(f"{API}/clients/{held['client']}/export"))
                        .read("auskunft.json"))
    exports = [r for r in second["access_log"] if r["action"] == "export"]
    assert [(r["user"], r["action_label"]) for r in exports] == [("mbe1", "exportiert (Auskunft)")]
    assert [r.via for r in _exports(app)] == ["disclosure.client_export", "GET /api/v1/clients/<int:client_id>/export"]


@pytest.mark.parametrize("username, status", [
    ("mbe1", 200), ("mbeleitung", 200),
    ("mbe2", 404), ("k201", 404), ("fb36", 404), ("ehrenamt1", 404), ("dsb", 404), ("prozess", 404),
    ("admin", 404), ("leitung", 404),
])
def test_who_may_export(app, login_as, held, username, status):
    assert login_as(username).get(f"/mbe/klienten/{held['client']}/auskunft").status_code == status
    answer = api_client(app, username).get(f"{API}/clients/{held['client']}/export")
    assert answer.status_code == status
    if status != 200:
        assert answer.get_json()["error"]["code"] == "not_found"
    assert len(_exports(app)) == (2 if status == 200 else 0)


def test_unknown_client_is_404(app, login_as, held):
    assert login_as("mbe1").get("/mbe/klienten/999999/auskunft").status_code == 404
    assert api_client(app, "mbe1").get(f"{API}/clients/999999/export").status_code == 404
    assert api_client(app, "mbe1").get(f"{API}/clients/{held['client']}/export",
                                       headers={"Authorization": ""}).status_code == 401


def test_a_substitute_may_not_export(app, login_as, held):
    with app.app_context():
        db.session.add(Absence(user=user("mbe1"), substitute=user("mbe2"), starts_on=s.today() - timedelta(days=1),
                               ends_on=s.today() + timedelta(days=5), created_by=user("mbe1")))
        db.session.commit()
    mbe2 = login_as("mbe2")
    assert mbe2.get(f"/faelle/{held['first']}").status_code == 200  # stands in for mbe1 ...
    assert mbe2.get(f"/mbe/klienten/{held['client']}/auskunft").status_code == 404  # ... but does not export
    assert mbe2.get(f"/faelle/{held['first']}/auskunft").status_code == 404
    assert "Art. 15" not in mbe2.get(f"/faelle/{held['first']}").get_data(as_text=True)
    assert _exports(app) == []


def test_export_follows_the_responsibility(app, login_as, held):
    """Handing both cases to mbe2 makes mbe2 responsible; mbe1 then sees neither the cases nor the client."""
    for case in (held["first"], held["second"]):
        response = login_as("mbe1").post(f"/mbe/faelle/{case}/uebergabe", data={"an": "mbe2", "grund": "Urlaub"})
        assert response.status_code == 302
    assert login_as("mbe1").get(f"/mbe/klienten/{held['client']}/auskunft").status_code == 404
    assert login_as("mbe2").get(f"/mbe/klienten/{held['client']}/auskunft").status_code == 200


def test_counsellor_of_an_ended_case_sees_the_client_but_may_not_export(app, login_as, held):
    """The client's running case is with mbe2 now; mbe1 counselled them in the ended one."""
    assert login_as("mbe1").post(f"/mbe/faelle/{held['second']}/uebergabe",
                                 data={"an": "mbe2", "grund": "Sprachkenntnisse"}).status_code == 302
    with app.app_context():
        ended = db.session.get(ProcessInstance, held["first"])
        ended.status, ended.ended_at = "completed", datetime.now(UTC)
        db.session.commit()
    refused = login_as("mbe1").get(f"/mbe/klienten/{held['client']}/auskunft")
    assert refused.status_code == 403 and "zuständige Beratung" in refused.get_data(as_text=True)
    answer = api_client(app, "mbe1").get(f"{API}/clients/{held['client']}/export")
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "forbidden"
    assert _exports(app) == []
    archive = _zip(login_as("mbe2").get(f"/mbe/klienten/{held['client']}/auskunft"))
    assert len(json.loads(archive.read("auskunft.json"))["cases"]) == 2


def test_buttons_for_those_who_may(app, login_as, held):
    url = f"/mbe/klienten/{held['client']}/auskunft"
    for username in ("mbe1", "mbeleitung"):
        view = login_as(username).get(f"/faelle/{held['first']}").get_data(as_text=True)
        assert "Auskunft nach Art. 15 DSGVO (ZIP)" in view and url in view
    search = login_as("mbe1").get("/mbe/klienten", query_string={"name": "Lina"}).get_data(as_text=True)
    assert "Auskunft nach Art. 15 DSGVO (ZIP)" in search and url in search
    colleague = login_as("mbe2").get("/mbe/klienten", query_string={"name": "Lina"}).get_data(as_text=True)
    assert "zuständig" in colleague and url not in colleague
    # the case's own export route answers with the client's export
    archive = _zip(login_as("mbe1").get(f"/faelle/{held['first']}/auskunft"))
    assert len(json.loads(archive.read("auskunft.json"))["cases"]) == 2


def test_a_client_whose_consent_was_withdrawn_no_longer_exists(app, login_as, held):
    response = login_as("mbe1").post(f"/mbe/faelle/{held['first']}/einwilligung-widerrufen",
                                     data={"datum": s.iso(s.today()), "notiz": "Widerruf schriftlich"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Client, held["client"]) is None
    assert login_as("mbe1").get(f"/mbe/klienten/{held['client']}/auskunft").status_code == 404
    assert api_client(app, "mbe1").get(f"{API}/clients/{held['client']}/export").status_code == 404
    # the anonymous case left behind holds no name any more
    archive = _zip(login_as("mbe1").get(f"/faelle/{held['first']}/auskunft"))
    report = json.loads(archive.read("auskunft.json"))
    assert report["client"] is None and "Beispielfrau" not in archive.read("auskunft.html").decode()


def test_a_changed_file_is_left_out_and_said_so(app, login_as, held, tmp_path):
    with app.app_context():
        stored = documents.storage.path_of(db.session.get(documents.Document, held["document"]).storage_key)
    stored.write_bytes(b"%PDF-1.4 replaced")
    archive = _zip(login_as("mbe1").get(f"/mbe/klienten/{held['client']}/auskunft"))
    assert not [n for n in archive.namelist() if n.startswith("dokumente/")]
    [document] = json.loads(archive.read("auskunft.json"))["documents"]
    assert document["file"] is None and document["problem"] == "file_changed"
    assert "fehlt oder wurde verändert" in archive.read("auskunft.html").decode()

