"""The record of processing (Art. 30): only the data protection officer (dsb) sees it, it is
generated from the running configuration, and dsb sees no case content."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.engine import service
from app.engine.models import ProcessInstance, ProcessModel, Task
from app.extensions import db
from forms import FORMS
from tests.factories import api_client, start_case

URL = "/datenschutz/verarbeitungsverzeichnis"
OTHERS = ["fb36", "fb36fh", "fb31", "k201", "ehrenamt1", "ehrenamt2", "mbe1", "mbe2", "mbeleitung",
          "leitung", "prozess", "prozess2", "admin"]
SHIPPED = ["alltagsbegleitung", "beratungskontakt", "mbe_beratung", "junge_erwachsene"]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_dsb_sees_the_record_with_every_shipped_process(login_as):
    response = login_as("dsb").get(URL)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("<h1") == 1
    assert "<caption>" in html and 'scope="row"' in html and 'scope="col"' in html
    text = _text(html)
    for key in SHIPPED:
        assert f'id="prozess-{key}"' in html
    # categories derived from the forms: each form used by a shipped process, with its labels
    assert 'data-form="beratungskontakt.erfassen"' in html
    assert "Art des Kontakts" in text
    assert 'data-form="alltagsbegleitung.bedarfsermittlung"' in html
    # purpose, legal basis from the data files; retention stated honestly
    assert "Migrationsberatung für erwachsene Zugewanderte" in text
    assert "36 Monate nach Abschluss des Falls (3 Jahre nach Ende der Beratung" in text  # app/retention
    assert "Stand:" in text  # a printed record says when it was generated
    # who has access (lanes) and what volunteers see
    assert "Koordinierungsstelle: das Team k201" in text
    assert "Familienname / Name" in text.split("Sicht der Ehrenamtlichen")[1].split("Mögliche")[0]
    assert "Ziele: Frist" in text  # fields of sub-forms under their list's label
    assert "UnboundField" not in text
    assert "Jobcenter" in text or "jobcenter" in text  # recipients: partner types of referrals


def test_every_form_key_of_the_shipped_processes_is_listed(app, login_as):
    html = login_as("dsb").get(URL).get_data(as_text=True)
    with app.app_context():
        for model in db.session.scalars(select(ProcessModel)):
            parsed = service.parsed_version(service.latest_version(model))
            for task in parsed.user_tasks.values():
                if task.form_key:
                    assert task.form_key in FORMS
                    assert f'data-form="{task.form_key}"' in html


@pytest.mark.parametrize("username", OTHERS)
def test_others_may_not_see_the_record(login_as, username):
    assert login_as(username).get(URL).status_code == 403


def test_menu_entry_only_for_dsb(login_as):
    assert URL in login_as("dsb").get("/aufgaben").get_data(as_text=True)
    assert URL not in login_as("fb36").get("/aufgaben").get_data(as_text=True)


def test_the_record_follows_a_new_version(app, login_as):
    client = login_as("dsb")
    before = client.get(URL).get_data(as_text=True)
    section = before.split('id="prozess-beratungskontakt"')[1].split("</section>")[0]
    assert 'data-form="alltagsbegleitung.rueckmeldung"' not in section
    with app.app_context():
        model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == "beratungskontakt"))
        xml = service.latest_version(model).bpmn_xml
        changed = xml.replace('value="beratungskontakt.nachverfolgung"', 'value="alltagsbegleitung.rueckmeldung"')
        assert changed != xml
        version = service.import_version(model, changed, None, "test")
        assert version is not None
        number = version.number
        db.session.commit()
    section = client.get(URL).get_data(as_text=True).split('id="prozess-beratungskontakt"')[1].split("</section>")[0]
    assert 'data-form="alltagsbegleitung.rueckmeldung"' in section
    assert 'data-form="beratungskontakt.nachverfolgung"' not in section
    assert f"Version {number}" in section


def test_the_record_follows_the_data_files(app, login_as, tmp_path):
    data_file = tmp_path / "beratungskontakt.privacy.toml"
    data_file.write_text('zweck = "Ein geänderter Zweck zum Test"\n', encoding="utf-8")
    app.config["PRIVACY_DIR"] = str(tmp_path)
    try:
        html = login_as("dsb").get(URL).get_data(as_text=True)
    finally:
        app.config.pop("PRIVACY_DIR")
    section = html.split('id="prozess-beratungskontakt"')[1].split("</section>")[0]
    assert "Ein geänderter Zweck zum Test" in section
    assert 'data-missing="rechtsgrundlage,empfaenger,loeschfrist"' in section
    assert "nicht angegeben" in _text(section)
    other = html.split('id="prozess-mbe_beratung"')[1].split("</section>")[0]
    assert 'data-missing="zweck,rechtsgrundlage,empfaenger,loeschfrist"' in other


@pytest.fixture
def case_urls(app):
    with app.app_context():
        running = start_case()
        mbe_case = start_case("mbe1", "mbe_beratung", "mbe")
        task_id = db.session.scalar(select(Task.id).where(Task.instance_id == running).limit(1))
    return running, mbe_case, task_id


def test_dsb_sees_no_case_content(app, login_as, case_urls):
    running, mbe_case, task_id = case_urls
    client = login_as("dsb")
    urls = [f"/faelle/{running}", f"/faelle/{mbe_case}", f"/faelle/{running}/krise",
            f"/faelle/{running}/journal/neu", f"/faelle/{running}/dokumente", f"/faelle/{running}/fragen",
            f"/faelle/{running}/plan/ziel/neu", f"/aufgaben/{task_id}", "/mbe/klienten",
            f"/mbe/faelle/{mbe_case}/integrationsvereinbarung", "/ehrenamtliche", "/netzwerk/partner",
            "/monitor", f"/monitor/faelle/{running}", "/statistik", "/prozessmodelle"]
    bad = {url: status for url in urls if (status := client.get(url).status_code) not in (403, 404)}
    assert bad == {}
    # the case list and search show nothing of the cases
    with app.app_context():
        refs = [db.session.get(ProcessInstance, i).reference for i in (running, mbe_case)]
    for url in ("/faelle", "/suche?q=a"):
        response = client.get(url)
        assert response.status_code in (200, 403, 404)
        assert not any(ref in response.get_data(as_text=True) for ref in refs if ref)


def test_dsb_api_sees_no_case(app, case_urls):
    running, mbe_case, _task = case_urls
    api = api_client(app, "dsb")
    listing = api.get("/api/v1/process-instances")
    assert listing.status_code in (200, 403)
    if listing.status_code == 200:
        assert listing.get_json()["items"] == []
    for instance_id in (running, mbe_case):
        assert api.get(f"/api/v1/process-instances/{instance_id}").status_code in (403, 404)
