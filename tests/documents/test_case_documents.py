"""Documents on a case: upload (pages and API), types by content, size limit, who may download,
the download headers, the hash check, the recorded deletion and the signed consent."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.documents.models import Document
from app.engine.models import CaseEvent
from app.extensions import db
from tests.documents import samples
from tests.flows import complete_web, start_case_web

API = "/api/v1"
LIMIT = 64 * 1024
FULL_VIEWERS = ["fb36", "k201", "leitung"]
# Every demo account that may not see a case of team asd (the volunteer ehrenamt1 sees it, limited).
NO_VIEWERS = ["fb36fh", "fb31", "ehrenamt2", "mbe1", "mbe2", "mbeleitung", "prozess", "prozess2", "admin"]


@pytest.fixture
def store(tmp_path) -> Path:
    return tmp_path / "documents"


@pytest.fixture
def app(make_app, store):
    return make_app({"DOCUMENT_STORAGE_DIR": str(store), "DOCUMENT_MAX_BYTES": LIMIT})


@pytest.fixture
def case_id(login_as) -> int:
    """A case of team asd in its Einsatz (ehrenamt1 is its volunteer)."""
    fb36 = login_as("fb36")
    case = start_case_web(fb36)
    assert complete_web(fb36, case, "bedarfsermittlung").status_code == 302
    assert complete_web(login_as("k201"), case, "vermittlung").status_code == 302
    assert complete_web(fb36, case, "vorgespraech").status_code == 302
    return case


def upload(client, case: int, name: str, data: bytes, category: str = "schreiben", **extra):
    form = {"file": (io.BytesIO(data), name), "category": category, **extra}
    return client.post(f"/faelle/{case}/dokumente", data=form, content_type="multipart/form-data")


def api_upload(api, case: int, name: str, data: bytes, category: str = "schreiben", **extra):
    form = {"file": (io.BytesIO(data), name), "category": category, **extra}
    return api.post(f"{API}/process-instances/{case}/documents", data=form, content_type="multipart/form-data")


def documents(app) -> list[Document]:
    with app.app_context():
        rows = list(db.session.scalars(select(Document).order_by(Document.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def stored_files(store: Path) -> list[Path]:
    return [p for p in store.rglob("*") if p.is_file()] if store.exists() else []


def field_error(page: str) -> str:
    match = re.search(r'<ul class="field-errors" id="doc-file-error">(.*?)</ul>', page, re.S)
    assert match, "no message next to the file field"
    return match.group(1)


# --- upload ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "data", "content_type"), samples.ALLOWED, ids=[a[0] for a in samples.ALLOWED])
def test_allowed_types_are_filed_on_the_case(app, login_as, case_id, store, name, data, content_type):
    fb36 = login_as("fb36")
    response = upload(fb36, case_id, name, data, note="vom Amt")
    assert response.status_code == 302
    [row] = documents(app)
    assert (row.filename, row.content_type, row.size, row.category) == (name, content_type, len(data), "schreiben")
    [path] = stored_files(store)
    assert path.name == row.storage_key and name not in str(path)  # stored under a random key
    assert path.read_bytes() == data
    page = fb36.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert 'id="documents-h"' in page
    assert name in page
    assert "vom Amt" in page


def test_the_api_files_and_lists_documents(app, api_client, case_id):
    api = api_client("fb36")
    response = api_upload(api, case_id, "Vereinbarung.docx", samples.docx(), "integrationsvereinbarung")
    assert response.status_code == 201
    body = response.get_json()
    assert body["content_type"].endswith("wordprocessingml.document")
    assert body["category"] == "integrationsvereinbarung" and body["uploaded_by"] == "fb36"
    listed = api.get(f"{API}/process-instances/{case_id}/documents").get_json()
    assert [d["id"] for d in listed] == [body["id"]]
    assert set(listed[0]) >= {"id", "filename", "content_type", "size", "sha256", "category", "uploaded_by",
                              "uploaded_at"}
    assert len(listed[0]["sha256"]) == 64
    assert response.headers["Location"].endswith(f"/documents/{body['id']}")


@pytest.mark.parametrize(("name", "data"), samples.PROGRAMS, ids=["elf", "pe", "script"])
def test_a_renamed_program_is_refused(app, login_as, api_client, case_id, store, name, data):
    page = upload(login_as("fb36"), case_id, name, data, category="nachweis")
    assert page.status_code == 422
    assert "Programm oder Skript" in field_error(page.get_data(as_text=True))
    api = api_upload(api_client("fb36"), case_id, name, data)
    assert api.status_code == 422
    assert "Programm oder Skript" in api.get_json()["error"]["fields"]["file"][0]
    assert documents(app) == [] and stored_files(store) == []


def test_an_oversized_file_gets_the_german_message_next_to_the_field(app, login_as, case_id, store):
    fb36 = login_as("fb36")
    just_over = samples.PDF + b"0" * (LIMIT + 1 - len(samples.PDF))
    page = upload(fb36, case_id, "gross.pdf", just_over)
    assert page.status_code == 413
    assert "Die Datei ist zu groß (höchstens 64 KB)." in field_error(page.get_data(as_text=True))
    # far above the request limit: the body is cut off while read, the page still says why
    huge = upload(fb36, case_id, "riesig.pdf", samples.PDF + b"0" * (LIMIT + 400 * 1024))
    assert huge.status_code == 413
    assert "Die Datei ist zu groß (höchstens 64 KB)." in field_error(huge.get_data(as_text=True))
    assert documents(app) == [] and stored_files(store) == []


@pytest.mark.parametrize("username", ["fb31", "ehrenamt2", "admin"])
def test_an_oversized_body_from_an_outsider_is_still_404(app, login_as, case_id, username):
    response = upload(login_as(username), case_id, "riesig.pdf", samples.PDF + b"0" * (LIMIT + 400 * 1024))
    assert response.status_code == 404
    assert "zu groß" not in response.get_data(as_text=True)


def test_an_oversized_file_is_413_in_the_api(app, api_client, case_id, store):
    api = api_client("fb36")
    for extra in (1, 400 * 1024):
        response = api_upload(api, case_id, "gross.pdf", samples.PDF + b"0" * (LIMIT + extra))
        assert response.status_code == 413
        assert response.get_json()["error"]["code"] == "too_large"
        assert "zu groß" in response.get_json()["error"]["message"]
    assert documents(app) == [] and stored_files(store) == []


def test_missing_file_or_category_is_a_field_error(app, login_as, case_id):
    fb36 = login_as("fb36")
    page = fb36.post(f"/faelle/{case_id}/dokumente", data={"category": "nachweis"},
                     content_type="multipart/form-data")
    assert page.status_code == 422 and "Bitte eine Datei auswählen." in page.get_data(as_text=True)
    page = upload(fb36, case_id, "a.pdf", samples.PDF, category="")
    assert page.status_code == 422 and "Bitte die Art des Dokuments wählen." in page.get_data(as_text=True)
    assert documents(app) == []


def test_the_volunteer_files_nothing(app, login_as, api_client, case_id):
    assert upload(login_as("ehrenamt1"), case_id, "a.pdf", samples.PDF).status_code == 403
    assert api_upload(api_client("ehrenamt1"), case_id, "a.pdf", samples.PDF).status_code == 403
    assert documents(app) == []


@pytest.mark.parametrize("username", NO_VIEWERS)
def test_outsiders_cannot_file_on_the_case(app, login_as, api_client, case_id, username):
    assert upload(login_as(username), case_id, "a.pdf", samples.PDF).status_code == 404
    assert api_upload(api_client(username), case_id, "a.pdf", samples.PDF).status_code == 404
    assert documents(app) == []


# --- download ------------------------------------------------------------------------------------

@pytest.fixture
def filed(app, login_as, case_id) -> tuple[int, int]:
    """(case id, document id): a signed consent named with umlauts, not shared with the volunteer."""
    assert upload(login_as("fb36"), case_id, "Einwilligung Müller.pdf", samples.PDF, "einwilligung").status_code == 302
    return case_id, documents(app)[-1].id


@pytest.mark.parametrize("username", FULL_VIEWERS)
def test_full_participants_download_as_attachment(app, login_as, api_client, filed, username):
    _case, doc = filed
    for response in (login_as(username).get(f"/dokumente/{doc}"), api_client(username).get(f"{API}/documents/{doc}")):
        assert response.status_code == 200
        assert response.data == samples.PDF
        assert response.mimetype == "application/pdf"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert "filename*=UTF-8''Einwilligung%20M%C3%BCller.pdf" in disposition
        assert 'filename="Einwilligung Muller.pdf"' in disposition
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("username", NO_VIEWERS)
def test_download_is_404_for_whoever_may_not_see_the_case(app, login_as, api_client, filed, username):
    case, doc = filed
    assert login_as(username).get(f"/dokumente/{doc}").status_code == 404
    api = api_client(username)
    assert api.get(f"{API}/documents/{doc}").status_code == 404
    assert api.get(f"{API}/process-instances/{case}/documents").status_code == 404
    assert login_as(username).get(f"/faelle/{case}/dokumente").status_code == 404


def test_the_volunteer_sees_only_documents_shared_with_them(app, login_as, api_client, filed):
    case, secret = filed
    assert upload(login_as("fb36"), case, "Plan.pdf", samples.PDF, "nachweis",
                  shared_with_volunteer="y").status_code == 302
    shared = documents(app)[-1].id
    volunteer, api = login_as("ehrenamt1"), api_client("ehrenamt1")
    assert volunteer.get(f"/dokumente/{secret}").status_code == 404
    assert api.get(f"{API}/documents/{secret}").status_code == 404
    assert volunteer.get(f"/dokumente/{shared}").status_code == 200
    assert [d["id"] for d in api.get(f"{API}/process-instances/{case}/documents").get_json()] == [shared]
    page = volunteer.get(f"/faelle/{case}").get_data(as_text=True)
    assert "Plan.pdf" in page and "Einwilligung Müller.pdf" not in page
    assert volunteer.get(f"/dokumente/{shared}/loeschen").status_code == 403


def test_a_file_changed_on_disk_is_refused_and_logged(app, login_as, api_client, filed, store, caplog):
    _case, doc = filed
    [path] = stored_files(store)
    path.write_bytes(samples.PDF.replace(b"Catalog", b"Katalog"))
    with caplog.at_level(logging.ERROR, logger="app.documents.services"):
        page = login_as("fb36").get(f"/dokumente/{doc}")
    assert page.status_code == 409
    assert "nicht mehr die hochgeladene" in page.get_data(as_text=True)
    assert page.headers.get("Content-Disposition") is None
    assert any(f"document {doc} refused" in r.getMessage() for r in caplog.records)
    api = api_client("fb36").get(f"{API}/documents/{doc}")
    assert api.status_code == 409 and api.get_json()["error"]["code"] == "file_changed"
    path.unlink()  # a missing file: the same refusal
    assert login_as("fb36").get(f"/dokumente/{doc}").status_code == 409


# --- deletion ------------------------------------------------------------------------------------

def test_deletion_is_recorded_and_the_file_is_gone(app, login_as, api_client, filed, store):
    case, doc = filed
    fb36 = login_as("fb36")
    refused = fb36.post(f"/dokumente/{doc}/loeschen", data={"reason": ""})
    assert refused.status_code == 422 and "Bitte den Grund der Löschung angeben." in refused.get_data(as_text=True)
    assert documents(app)[0].deleted_at is None and len(stored_files(store)) == 1
    assert fb36.post(f"/dokumente/{doc}/loeschen", data={"reason": "Falsche Person"}).status_code == 302
    [row] = documents(app)
    assert row.deleted_at is not None and row.delete_reason == "Falsche Person"
    with app.app_context():
        assert row.deleted_by_id == db.session.scalar(select(func.min(CaseEvent.actor_id)).where(
            CaseEvent.kind == "document_deleted", CaseEvent.instance_id == case))
    assert stored_files(store) == []
    assert fb36.get(f"/dokumente/{doc}").status_code == 404
    assert api_client("fb36").get(f"{API}/documents/{doc}").status_code == 404
    page = fb36.get(f"/faelle/{case}").get_data(as_text=True)
    assert "Einwilligung Müller.pdf" not in page
    assert "Dokument gelöscht: Einwilligung (unterschrieben)" in page


@pytest.mark.parametrize("username", ["ehrenamt1", "fb31", "admin"])
def test_others_cannot_delete(app, login_as, filed, store, username):
    _case, doc = filed
    response = login_as(username).post(f"/dokumente/{doc}/loeschen", data={"reason": "weg"})
    assert response.status_code == 404  # none of them may see this document
    assert documents(app)[0].deleted_at is None and len(stored_files(store)) == 1


def test_a_rolled_back_upload_leaves_no_file(app, case_id, store):
    from app.documents import services
    from app.documents.sniff import sniff
    from tests.factories import user

    with app.test_request_context():
        from app.engine.models import ProcessInstance

        instance = db.session.get(ProcessInstance, case_id)
        services.file_on_case(instance, user("fb36"), content=samples.PDF, sniffed=sniff(samples.PDF),
                              filename="a.pdf", category="nachweis")
        assert len(stored_files(store)) == 1
        db.session.rollback()
    assert stored_files(store) == [] and documents(app) == []


# --- consent ---------------------------------------------------------------------------------------

def test_recorded_consent_asks_for_the_signed_form(app, login_as):
    from tests.factories import complete, start_case
    from tests.mbe.conftest import with_consent

    with app.test_request_context():
        case = start_case("mbe1", "mbe_beratung", "mbe")
        complete(case, "erstkontakt", "mbe1", with_consent("Amal", "Beispiel", None))
    mbe1 = login_as("mbe1")
    page = mbe1.get(f"/faelle/{case}").get_data(as_text=True)
    assert 'data-consent="missing"' in page
    assert f"/faelle/{case}/dokumente?kategorie=einwilligung" in page
    form = mbe1.get(f"/faelle/{case}/dokumente?kategorie=einwilligung").get_data(as_text=True)
    assert '<option value="einwilligung" selected>' in form
    assert upload(mbe1, case, "Einwilligung.pdf", samples.PDF, "einwilligung").status_code == 302
    page = mbe1.get(f"/faelle/{case}").get_data(as_text=True)
    assert 'data-consent="signed"' in page and "Die unterschriebene Einwilligung liegt bei den Dokumenten." in page


def test_with_csrf_on_an_oversized_body_still_gets_the_message_next_to_the_field(make_app, store):
    """With CSRF protection on, the token check reads the form before the view: an oversized body
    is cut off there, and the page still says why, next to the file field."""
    from tests.factories import start_case

    app = make_app({"DOCUMENT_STORAGE_DIR": str(store), "DOCUMENT_MAX_BYTES": LIMIT, "WTF_CSRF_ENABLED": True})
    with app.test_request_context():
        case = start_case("fb36")
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"username": "fb36", "password": "demo", "csrf_token": token}).status_code == 302
    form_page = client.get(f"/faelle/{case}/dokumente").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form_page).group(1)
    body = {"csrf_token": token, "category": "nachweis",
            "file": (io.BytesIO(samples.PDF + b"0" * (LIMIT + 400 * 1024)), "riesig.pdf")}
    response = client.post(f"/faelle/{case}/dokumente", data=body, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "Die Datei ist zu groß (höchstens 64 KB)." in field_error(response.get_data(as_text=True))
    small = {"csrf_token": token, "category": "nachweis", "file": (io.BytesIO(samples.PDF), "klein.pdf")}
    assert client.post(f"/faelle/{case}/dokumente", data=small, content_type="multipart/form-data").status_code == 302
    del small["csrf_token"]  # without the token: refused, nothing filed
    small["file"] = (io.BytesIO(samples.PDF), "ohne.pdf")
    assert client.post(f"/faelle/{case}/dokumente", data=small, content_type="multipart/form-data").status_code == 400


def test_the_check_command_reports_changed_files_and_removes_orphans(app, filed, store):
    import os

    _case, doc = filed
    [path] = stored_files(store)
    path.write_bytes(b"%PDF-1.4 anders")
    orphan = store / "ab" / ("ab" + "0" * 38)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"left behind")
    os.utime(orphan, (1_000_000_000, 1_000_000_000))  # long ago
    runner = app.test_cli_runner()
    result = runner.invoke(args=["documents", "check"])
    assert result.exit_code == 1
    assert f"document {doc}:" in result.output and "orphan file ab/" in result.output
    assert orphan.exists()
    result = runner.invoke(args=["documents", "check", "--remove-orphans"])
    assert "(removed)" in result.output and not orphan.exists() and path.exists()


def test_access_ends_with_the_case_handed_over(app, login_as, api_client):
    """Access is derived from the case's current participants: the counsellor who handed an MBE
    case over no longer gets its documents; the new one does."""
    from tests.factories import start_case

    with app.test_request_context():
        case = start_case("mbe1", "mbe_beratung", "mbe")
    assert upload(login_as("mbe1"), case, "Schreiben.pdf", samples.PDF).status_code == 302
    doc = documents(app)[-1].id
    assert login_as("mbe2").get(f"/dokumente/{doc}").status_code == 404
    handed = api_client("mbe1").post(f"{API}/process-instances/{case}/handover", json={"an": "mbe2", "grund": "Urlaub"})
    assert handed.status_code in (200, 201)
    assert login_as("mbe1").get(f"/dokumente/{doc}").status_code == 404
    assert api_client("mbe1").get(f"{API}/documents/{doc}").status_code == 404
    assert login_as("mbe2").get(f"/dokumente/{doc}").status_code == 200
