"""The Art. 15 export of a case without a client record (Alltagsbegleitung: the family is only in the
case data): the same ZIP with the one case, for the case-owning team's staff and leads with full
access — not 201, not the volunteer, not a substitute, nobody outside the case."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.absence.models import Absence
from app.accesslog.models import EXPORT, AccessLogEntry
from app.extensions import db
from tests.factories import api_client, user
from tests.flows import complete_web, start_case_web
from tests.mbe import mbe_steps as s

API = "/api/v1"


@pytest.fixture
def app(make_app, tmp_path):
    return make_app({"DOCUMENT_STORAGE_DIR": str(tmp_path / "documents")})


@pytest.fixture
def case_id(app, login_as) -> int:
    """A case of team asd in its Einsatz (ehrenamt1 is its volunteer)."""
    fb36 = login_as("fb36")
    case = start_case_web(fb36)
    assert complete_web(fb36, case, "bedarfsermittlung").status_code == 302
    assert complete_web(login_as("k201"), case, "vermittlung").status_code == 302
    assert complete_web(fb36, case, "vorgespraech").status_code == 302
    return case


def _exports(app) -> list[tuple[str, str, int | None]]:
    with app.app_context():
        return [(r.username, r.object_type, r.case_id) for r in db.session.scalars(
            select(AccessLogEntry).where(AccessLogEntry.action == EXPORT).order_by(AccessLogEntry.id))]


def test_case_export_holds_the_family_data_under_form_labels(app, login_as, case_id):
    response = login_as("fb36").get(f"/faelle/{case_id}/auskunft")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "no-store" in response.headers["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    report = json.loads(archive.read("auskunft.json"))
    assert report["subject"] == "case" and report["client"] is None
    [case] = report["cases"]
    assert case["process"]["key"] == "alltagsbegleitung" and case["owner_team"]
    assert case["reference"] in response.headers["Content-Disposition"]
    fields = {f["key"]: f for f in case["data"]}
    assert fields["familienname"]["value"] == "Testfamilie Ahorn" and fields["familienname"]["label"]
    page = archive.read("auskunft.html").decode("utf-8")
    assert fields["familienname"]["label"] in page and "Testfamilie Ahorn" in page
    assert "Kita-Platz beantragt" in page and "Zugriffsprotokoll" in page
    [goal] = report["plan_goals"]  # the living plan, seeded from the Bedarfsermittlung
    assert "Kita-Platz beantragt" in goal["fields"].values() and goal["status_label"] == "offen"
    assert any(h["kind"] == "task_completed" and h["entries"] for h in report["history"])
    assert _exports(app) == [("fb36", "case", case_id)]
    # the next export shows the first one in its access log
    again = json.loads(zipfile.ZipFile(io.BytesIO(
        api_client(app, "leitung").get(f"{API}/process-instances/{case_id}/export").get_data())).read("auskunft.json"))
    assert [(r["user"], r["object_type"]) for r in again["access_log"] if r["action"] == "export"] == [("fb36", "case")]
    assert _exports(app) == [("fb36", "case", case_id), ("leitung", "case", case_id)]


@pytest.mark.parametrize("username, status", [
    ("fb36", 200), ("leitung", 200),
    ("k201", 403), ("ehrenamt1", 403),
    ("fb36fh", 404), ("fb31", 404), ("ehrenamt2", 404), ("mbe1", 404), ("mbe2", 404), ("mbeleitung", 404),
    ("dsb", 404), ("prozess", 404), ("admin", 404),
])
def test_who_may_export_a_case(app, login_as, case_id, username, status):
    assert login_as(username).get(f"/faelle/{case_id}/auskunft").status_code == status
    assert api_client(app, username).get(f"{API}/process-instances/{case_id}/export").status_code == status
    assert len(_exports(app)) == (2 if status == 200 else 0)
    if status != 404:
        view = login_as(username).get(f"/faelle/{case_id}").get_data(as_text=True)
        assert ("Auskunft nach Art. 15 DSGVO (ZIP)" in view) is (status == 200)


def test_the_summary_is_german_whatever_the_exporter_reads(app, login_as, case_id):
    fb36 = login_as("fb36")
    archive = zipfile.ZipFile(io.BytesIO(fb36.get(f"/faelle/{case_id}/auskunft?lang=en").get_data()))
    page = archive.read("auskunft.html").decode("utf-8")
    assert "Gespeicherte Angaben" in page and "Zugriffsprotokoll" in page and "Stored details" not in page


def test_unknown_case_is_404(app, login_as):
    assert login_as("fb36").get("/faelle/999999/auskunft").status_code == 404
    assert api_client(app, "fb36").get(f"{API}/process-instances/999999/export").status_code == 404


def test_a_substitute_may_read_but_not_export(app, login_as):
    """An anonymous MBE case (no client record): mbe2 stands in for mbe1 and reads it, no export."""
    case = s.start(app)
    assert s.complete(app, case, "erstkontakt", s.erstkontakt()) == {}
    with app.app_context():
        db.session.add(Absence(user=user("mbe1"), substitute=user("mbe2"), starts_on=s.today() - timedelta(days=1),
                               ends_on=s.today() + timedelta(days=5), created_by=user("mbe1")))
        db.session.commit()
    mbe2 = login_as("mbe2")
    assert mbe2.get(f"/faelle/{case}").status_code == 200
    assert mbe2.get(f"/faelle/{case}/auskunft").status_code == 403
    assert "Art. 15" not in mbe2.get(f"/faelle/{case}").get_data(as_text=True)
    assert login_as("mbe1").get(f"/faelle/{case}/auskunft").status_code == 200
    assert [u for u, _t, _c in _exports(app)] == ["mbe1"]


def test_openapi_documents_both_exports(app):
    paths = app.test_client().get(f"{API}/openapi.json").get_json()["paths"]
    assert "application/zip" in paths[f"{API}/clients/{{id}}/export"]["get"]["responses"]["200"]["content"]
    assert "get" in paths[f"{API}/process-instances/{{id}}/export"]
