"""Documents on a volunteer's profile (Führungszeugnis, Schweigepflichterklärung): 201 files and
deletes them, the volunteer sees their own, nobody else sees them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from app.documents.models import Document
from app.extensions import db
from tests.documents import samples
from tests.factories import user

OTHERS = ["ehrenamt2", "fb36", "fb31", "mbe1", "leitung", "prozess", "admin"]


@pytest.fixture
def store(tmp_path) -> Path:
    return tmp_path / "documents"


@pytest.fixture
def app(make_app, store):
    return make_app({"DOCUMENT_STORAGE_DIR": str(store), "DOCUMENT_MAX_BYTES": 64 * 1024})


@pytest.fixture
def volunteer_id(app) -> int:
    with app.app_context():
        return user("ehrenamt1").id


def upload(client, volunteer: int, name: str = "Führungszeugnis.pdf", data: bytes = samples.PDF,
           category: str = "fuehrungszeugnis"):
    form = {"file": (io.BytesIO(data), name), "category": category, "note": "eingesehen"}
    return client.post(f"/ehrenamtliche/{volunteer}/dokumente", data=form, content_type="multipart/form-data")


@pytest.fixture
def filed(app, login_as, volunteer_id) -> int:
    assert upload(login_as("k201"), volunteer_id).status_code == 302
    with app.app_context():
        return db.session.scalar(select(Document.id).where(Document.volunteer_id == volunteer_id))


def test_201_files_a_certificate_on_the_profile(app, login_as, volunteer_id, filed, store):
    k201 = login_as("k201")
    page = k201.get(f"/ehrenamtliche/{volunteer_id}/dokumente").get_data(as_text=True)
    assert "Führungszeugnis.pdf" in page and "Führungszeugnis</td>" in page
    assert f"/ehrenamtliche/{volunteer_id}/dokumente" in k201.get(f"/ehrenamtliche/{volunteer_id}").get_data(
        as_text=True)
    download = k201.get(f"/dokumente/{filed}")
    assert download.status_code == 200 and download.data == samples.PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_the_volunteer_sees_their_own_documents_but_files_none(app, login_as, volunteer_id, filed):
    own = login_as("ehrenamt1")
    assert own.get("/ehrenamt/dokumente").headers["Location"].endswith(f"/ehrenamtliche/{volunteer_id}/dokumente")
    page = own.get(f"/ehrenamtliche/{volunteer_id}/dokumente").get_data(as_text=True)
    assert "Meine Dokumente" in page and "Führungszeugnis.pdf" in page and 'type="file"' not in page
    assert own.get(f"/dokumente/{filed}").status_code == 200
    assert upload(own, volunteer_id, "selbst.pdf").status_code == 403
    assert own.post(f"/dokumente/{filed}/loeschen", data={"reason": "weg"}).status_code == 403


@pytest.mark.parametrize("username", OTHERS)
def test_nobody_else_sees_a_volunteers_documents(app, login_as, volunteer_id, filed, username):
    client = login_as(username)
    assert client.get(f"/dokumente/{filed}").status_code == 404
    assert client.get(f"/ehrenamtliche/{volunteer_id}/dokumente").status_code in (403, 404)
    assert upload(client, volunteer_id).status_code in (403, 404)
    with app.app_context():
        assert db.session.scalar(select(Document.deleted_at).where(Document.id == filed)) is None
        assert len(list(db.session.scalars(select(Document.id)))) == 1


@pytest.mark.parametrize(("username", "expected"), [("k201", 413), ("ehrenamt2", 404)])
def test_an_oversized_upload_on_a_profile(app, login_as, volunteer_id, username, expected):
    # far above the request limit, yet below 500 KB: the test client keeps the body in memory
    huge = samples.PDF + b"0" * (64 * 1024 + 300 * 1024)
    response = upload(login_as(username), volunteer_id, "riesig.pdf", huge)
    assert response.status_code == expected
    assert ("Die Datei ist zu groß" in response.get_data(as_text=True)) == (expected == 413)


def test_201_deletes_with_a_reason_and_the_file_goes(app, login_as, filed, store):
    k201 = login_as("k201")
    response = k201.post(f"/dokumente/{filed}/loeschen", data={"reason": "Aufbewahrungsfrist abgelaufen"})
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(Document, filed)
        assert row.deleted_at is not None and row.deleted_by.username == "k201"
        assert row.delete_reason == "Aufbewahrungsfrist abgelaufen"
    assert [p for p in store.rglob("*") if p.is_file()] == []
    assert k201.get(f"/dokumente/{filed}").status_code == 404
    assert login_as("ehrenamt1").get(f"/dokumente/{filed}").status_code == 404


def test_only_volunteers_have_a_documents_page(app, login_as):
    with app.app_context():
        staff = user("fb36").id
    assert login_as("k201").get(f"/ehrenamtliche/{staff}/dokumente").status_code == 404
