"""The form builder: a builder form used by a user task of a small fixture process, published
through the modeler; the task page, the API, the JSON Schema, version pinning, definition problems,
permissions (issue 16, item 1)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from flask_babel import refresh
from sqlalchemy import select

from app.auth.models import User
from app.cases.services import visible_data
from app.engine.models import LIMITED, ProcessModel
from app.extensions import db
from app.formbuilder import services as formbuilder
from app.modeler import services as modeler
from app.modeler.validation import form_registry
from app.privacy.services import build_record
from tests.factories import open_task, start_case

FIXTURE = (Path(__file__).parent / "fixtures" / "baukasten_probe.bpmn").read_text(encoding="utf-8")
PROCESS = "baukasten_probe"
KEY = "probe.erfassung"

DEFINITION = {
    "key": KEY, "title": {"de": "Erfassung (Probe)", "en": "Intake (probe)"},
    "fields": [
        {"name": "anliegen", "type": "text", "label": {"de": "Anliegen", "en": "Concern"}, "required": True,
         "max_length": 80, "volunteer": True},
        {"name": "beschreibung", "type": "longtext", "label": "Beschreibung",
         "help": {"de": "Kurz und sachlich.", "en": "Short and factual."}},
        {"name": "personen", "type": "number", "label": "Anzahl Personen", "required": True, "min": 1, "max": 12},
        {"name": "stunden", "type": "number", "decimal": True, "label": "Stunden", "min": 0.5, "max": 40},
        {"name": "termin", "type": "date", "label": "Termin", "earliest": "2020-01-01"},
        {"name": "dringlichkeit", "type": "choice", "label": "Dringlichkeit", "required": True,
         "choices": [{"value": "normal", "label": "normal"}, {"value": "hoch", "label": {"de": "hoch", "en": "high"}}]},
        {"name": "themen", "type": "multichoice", "label": "Themen",
         "choices": [{"value": "wohnen", "label": "Wohnen"}, {"value": "arbeit", "label": "Arbeit"}]},
        {"name": "einverstanden", "type": "yesno", "label": "Einverständnis liegt vor"},
        {"name": "kontakte", "type": "group", "label": "Kontakte", "min_entries": 1, "max_entries": 3,
         "fields": [{"name": "person", "type": "text", "label": "Person", "required": True},
                    {"name": "rolle", "type": "choice", "widget": "select", "label": "Rolle",
                     "choices": [{"value": "familie", "label": "Familie"}, {"value": "schule", "label": "Schule"}]}]},
    ],
}
VALID = {"anliegen": "Wohnungssuche", "personen": 3, "stunden": 2.5, "termin": "2026-12-10",
         "dringlichkeit": "hoch", "themen": ["wohnen"], "einverstanden": True,
         "kontakte": [{"person": "Frau Beispiel", "rolle": None}]}  # an optional choice left open


def _user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def publish_probe(comment: str = "Probe") -> None:
    """Publish the fixture process through the modeler (the version_published signal pins forms)."""
    model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == PROCESS))
    xml = FIXTURE
    if model is None:
        model = ProcessModel(key=PROCESS, name="Baukasten-Probe", start_departments="FB36", start_role="",
                             reference_prefix="BP")
        db.session.add(model)
        db.session.flush()
    else:
        xml = FIXTURE.replace('name="Erfassen"', f'name="Erfassen ({comment})"')
    draft = modeler.create_draft(model, _user("prozess"), xml)
    assert draft.valid, draft.problems
    assert modeler.request_publish(draft, _user("prozess"), comment) is not None
    db.session.commit()


@pytest.fixture
def probe(ctx, api_client):
    """The builder form (created through the API) and the fixture process published with it."""
    api = api_client("prozess", prefix="/api/v1")
    response = api.post("/forms", json={**DEFINITION, "comment": "erste Fassung"})
    assert response.status_code == 201, response.get_json()
    publish_probe()
    return api


def test_published_form_shows_on_the_task_page_and_validates_alike(probe, login_as, api_client):
    instance_id = start_case("fb36", PROCESS, "asd")
    task = open_task(instance_id, "erfassen")
    assert task.form_key == KEY
    browser = login_as("fb36")
    page = browser.get(f"/aufgaben/{task.id}").get_data(as_text=True)
    assert "<h1>Erfassen</h1>" in page
    for name in ("anliegen", "beschreibung", "personen", "stunden", "termin", "themen", "einverstanden"):
        assert f'name="{name}"' in page
    assert 'name="dringlichkeit"' in page and 'type="radio"' in page
    assert 'name="kontakte-0-person"' in page and '<select' in page
    assert "Kurz und sachlich." in page  # help text

    # Bad input: the same German messages from the HTML form and from the API.
    bad = {"anliegen": "", "personen": 40, "stunden": 0.1, "termin": "2019-05-01", "dringlichkeit": None,
           "kontakte": [{"person": "", "rolle": "familie"}]}
    api = api_client("fb36", prefix="/api/v1")
    answer = api.post(f"/tasks/{task.id}/complete", json={"data": bad})
    assert answer.status_code == 422
    fields = answer.get_json()["error"]["fields"]
    assert fields["anliegen"] == ["Bitte füllen Sie dieses Feld aus."]
    assert fields["personen"] == ["Bitte eine Zahl zwischen 1 und 12 angeben."]
    assert fields["stunden"] == ["Bitte eine Zahl zwischen 0,5 und 40 angeben."]
    assert fields["termin"] == ["Das Datum darf nicht vor dem 01.01.2020 liegen."]
    assert fields["dringlichkeit"] == ["Bitte eine Auswahl treffen."]
    assert fields["kontakte-0-person"] == ["Bitte füllen Sie dieses Feld aus."]
    html = browser.post(f"/aufgaben/{task.id}", data={
        "anliegen": "", "personen": "40", "stunden": "0.1", "termin": "2019-05-01",
        "kontakte-0-person": "", "kontakte-0-rolle": "familie"})
    assert html.status_code == 422
    text = html.get_data(as_text=True)
    for messages in fields.values():
        for message in messages:
            assert message in text
    assert 'id="error-summary"' in text

    # Valid input completes the task through the API; the history labels the values.
    done = api.post(f"/tasks/{task.id}/complete", json={"data": VALID})
    assert done.status_code == 200, done.get_json()
    case = browser.get(f"/faelle/{instance_id}").get_data(as_text=True)
    assert "Wohnungssuche" in case and "Anzahl Personen" in case


def test_json_schema_matches_the_definition(probe, api_client):
    instance_id = start_case("fb36", PROCESS, "asd")
    task = open_task(instance_id, "erfassen")
    schema = api_client("fb36", prefix="/api/v1").get(f"/tasks/{task.id}").get_json()["form_schema"]
    assert schema["title"] == "Erfassung (Probe)"
    props = schema["properties"]
    assert sorted(props) == sorted(f["name"] for f in DEFINITION["fields"])
    assert props["anliegen"] == {"title": "Anliegen", "type": "string", "maxLength": 80}
    assert props["beschreibung"]["format"] == "textarea"
    assert props["beschreibung"]["description"] == "Kurz und sachlich."
    assert props["personen"] == {"title": "Anzahl Personen", "type": "integer", "minimum": 1, "maximum": 12}
    assert props["stunden"]["type"] == "number" and props["stunden"]["minimum"] == 0.5
    assert props["termin"]["format"] == "date"
    assert props["dringlichkeit"]["enum"] == ["normal", "hoch"]
    assert props["themen"]["items"]["enum"] == ["wohnen", "arbeit"]
    assert props["einverstanden"]["type"] == "boolean"
    group = props["kontakte"]
    assert group["type"] == "array" and group["minItems"] == 1 and group["maxItems"] == 3
    assert sorted(group["items"]["properties"]) == ["person", "rolle"]
    assert group["items"]["required"] == ["person"]
    assert sorted(schema["required"]) == ["anliegen", "dringlichkeit", "kontakte", "personen"]
    # English labels for an English reader (the test's app context caches the locale: refresh it)
    refresh()
    english = api_client("fb36", prefix="/api/v1").get(f"/tasks/{task.id}?lang=en").get_json()["form_schema"]
    assert english["properties"]["anliegen"]["title"] == "Concern"
    assert english["properties"]["dringlichkeit"]["x-labels"]["hoch"] == "high"
    refresh()


def test_running_case_keeps_its_form_version(probe):
    old_case = start_case("fb36", PROCESS, "asd")
    changed = copy.deepcopy(DEFINITION)
    changed["fields"].append({"name": "rueckruf", "type": "yesno", "label": "Rückruf erbeten"})
    response = probe.put(f"/forms/{KEY}", json={**changed, "comment": "Rückruf ergänzt"})
    assert response.status_code == 200 and response.get_json()["version"] == 2
    # the same content again (also a GET answer sent back as it is): no new version
    assert probe.put(f"/forms/{KEY}", json=changed).get_json()["version"] == 2
    assert probe.put(f"/forms/{KEY}", json=probe.get(f"/forms/{KEY}").get_json()).get_json()["version"] == 2
    publish_probe("zweite")
    new_case = start_case("fb36", PROCESS, "asd")
    old_task, new_task = open_task(old_case, "erfassen"), open_task(new_case, "erfassen")
    old_cls = formbuilder.form_class_for(KEY, old_task.instance.version_id)
    new_cls = formbuilder.form_class_for(KEY, new_task.instance.version_id)
    assert not hasattr(old_cls, "rueckruf") and hasattr(new_cls, "rueckruf")
    assert hasattr(form_registry()[KEY], "rueckruf")  # the modeler offers the newest version
    versions = probe.get(f"/forms/{KEY}").get_json()["versions"]
    assert [v["version"] for v in versions] == [1, 2] and versions[1]["comment"] == "Rückruf ergänzt"


def test_volunteer_flag_limits_the_case_file(probe):
    data = {"anliegen": "Wohnungssuche", "beschreibung": "intern"}
    shown = visible_data(data, LIMITED, PROCESS)
    assert shown.get("anliegen") == "Wohnungssuche" and "beschreibung" not in shown
    # the record of processing names the builder form's fields and what volunteers see
    record = next(r for r in build_record() if r.key == PROCESS)
    assert "Anliegen" in record.limited_fields and "Beschreibung" not in record.limited_fields
    assert [f.key for f in record.forms] == [KEY] and "Anzahl Personen" in record.forms[0].labels


def test_all_problems_at_once_in_german(ctx, api_client):
    api = api_client("prozess", prefix="/api/v1")
    bad = {"key": "Probe!", "title": "", "fields": [
        {"name": "status", "type": "text", "label": "Status"},
        {"name": "x1", "type": "zahl", "label": ""},
        {"name": "x1", "type": "number", "label": "Zahl", "min": 5, "max": 1},
        {"name": "wahl", "type": "choice", "label": "Wahl", "choices": []},
        {"name": "gruppe", "type": "group", "label": "Gruppe",
         "fields": [{"name": "g", "type": "group", "label": "G"}]},
    ]}
    response = api.post("/forms", json=bad)
    assert response.status_code == 422
    error = response.get_json()["error"]
    paths = {p["path"] for p in error["problems"]}
    assert {"key", "title", "fields[0].name", "fields[1].type", "fields[1].label", "fields[2].name",
            "fields[2].max", "fields[3].choices", "fields[4].fields[0].type"} <= paths
    messages = " ".join(p["message"] for p in error["problems"])
    assert "reserviert" in messages and "mehrfach" in messages and "Unbekannter Feldtyp" in messages
    assert api.get("/forms").get_json() == []  # nothing saved


def test_key_of_a_code_form_is_refused(ctx, api_client):
    api = api_client("prozess", prefix="/api/v1")
    response = api.post("/forms", json={**DEFINITION, "key": "alltagsbegleitung.abschluss"})
    assert response.status_code == 422
    assert [p["path"] for p in response.get_json()["error"]["problems"]] == ["key"]
    assert api.post("/forms", json={**DEFINITION, "key": "krise_melden"}).status_code == 422  # an action form
    assert api.post("/forms", json=DEFINITION).status_code == 201
    assert api.post("/forms", json=DEFINITION).status_code == 409  # taken by a builder form


@pytest.mark.parametrize("username", ["fb36", "leitung", "admin", "dsb"])
def test_only_process_owners(ctx, api_client, login_as, username):
    api = api_client(username, prefix="/api/v1")
    assert api.get("/forms").status_code == 403
    assert api.post("/forms", json=DEFINITION).status_code == 403
    assert api.get(f"/forms/{KEY}").status_code == 403
    assert api.put(f"/forms/{KEY}", json=DEFINITION).status_code == 403
    owner = api_client("prozess", prefix="/api/v1")
    assert owner.post("/forms", json=DEFINITION).status_code == 201
    assert api.get(f"/forms/{KEY}").status_code == 403
    assert api.put(f"/forms/{KEY}", json={**DEFINITION, "title": "Anders"}).status_code == 403
    browser = login_as(username)
    for path in ("/formulare", "/formulare/neu", f"/formulare/{KEY}"):
        assert browser.get(path).status_code == 403
    for path in ("/formulare/neu", f"/formulare/{KEY}", "/formulare/vorschau"):
        assert browser.post(path, data={"key": "probe.neu", "title_de": "X", "action": "save"}).status_code == 403
    assert owner.get(f"/forms/{KEY}").get_json()["version"] == 1  # nothing changed
