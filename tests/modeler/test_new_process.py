"""New process models: created by a process owner (API and browser pages), starter teams and
lane rules as data, published like any model, then started and worked by the chosen teams."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.engine.modelrules import ProcessLaneRule, ProcessStarterTeam
from app.engine.models import ProcessInstance, ProcessModel, ProcessVersion, Task
from app.extensions import db
from app.modeler.models import ProcessDraft
from app.processsetup import blueprints
from tests.modeler.conftest import post_xml

KEY = "hilfe_fuer_familien"


def _rows(app) -> tuple[int, int, int, int]:
    """(process models, drafts, lane rules, starter teams): a refused request changes none."""
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m))  # type: ignore[return-value]
                     for m in (ProcessModel, ProcessDraft, ProcessLaneRule, ProcessStarterTeam))


def _csrf(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'name="csrf_token" value="([^"]+)"', page)
    return match.group(1) if match else ""


# --- API ------------------------------------------------------------------------------------------

def test_api_create_process_model(app, api):
    owner = api("prozess")
    created = owner.post("/process-models", json={"key": "neues_verfahren", "name": "Neues Verfahren"})
    assert created.status_code == 201
    assert created.get_json() == {"key": "neues_verfahren", "name": "Neues Verfahren", "versions": []}
    listed = {m["key"]: m for m in owner.get("/process-models").get_json()}
    assert listed["neues_verfahren"]["versions"] == []

    before = _rows(app)
    taken = owner.post("/process-models", json={"key": "alltagsbegleitung", "name": "Noch eine"})
    assert taken.status_code == 409
    assert "schon ein anderes Verfahren" in taken.get_json()["error"]["message"]
    for body, field in [({"key": "Böse Sache", "name": "Böse Sache"}, "key"),
                        ({"key": "../etc", "name": "Pfad"}, "key"), ({"key": "neu", "name": "Neu"}, "key"),
                        ({"key": "gut_so", "name": "  "}, "name"), ({"key": "gut_so"}, "name")]:
        refused = owner.post("/process-models", json=body)
        assert refused.status_code == 422, body
        assert refused.get_json()["error"]["fields"][field][0].startswith(("Der ", "Bitte "))
    assert _rows(app) == before


@pytest.mark.parametrize("username", ["fb36", "k201", "leitung", "ehrenamt1", "mbe1", "dsb", "admin", "jobcenter1"])
def test_api_create_needs_a_process_owner(app, api, username):
    before = _rows(app)
    refused = api(username).post("/process-models", json={"key": "verboten", "name": "Verboten"})
    assert refused.status_code == 403
    assert _rows(app) == before


def test_first_upload_with_another_process_id_is_taken_and_renamed(app, api):
    owner = api("prozess")
    assert owner.post("/process-models", json={"key": "aus_datei", "name": "Aus Datei"}).status_code == 201
    foreign = blueprints.empty("Process_0abc123", "Fremder Export").replace('name="Bearbeitung"', 'name="Fachbereich"')
    response = post_xml(owner, foreign, key="aus_datei")
    assert response.status_code == 201
    body = response.get_json()
    assert body["valid"] is True, body["problems"]
    with app.app_context():
        xml = db.session.get(ProcessDraft, body["id"]).bpmn_xml
    assert '"Process_0abc123"' not in xml  # the process and every reference to it renamed
    assert 'id="aus_datei"' in xml and 'processRef="aus_datei"' in xml
    published = owner.post(f"/process-models/aus_datei/drafts/{body['id']}/publish", json={"comment": "Erste Fassung"})
    assert published.status_code == 201

    # once the model has a version, its process id is fixed: another id is a problem again
    again = post_xml(owner, foreign, key="aus_datei").get_json()
    assert again["valid"] is False
    assert any("Process_0abc123" in p["message"] for p in again["problems"])


# --- browser: create, settings, publish, start, route -----------------------------------------------

def _create_and_publish(app, login_as) -> tuple:
    owner = login_as("prozess")
    assert "/prozessmodelle/neu" in owner.get("/prozessmodelle").get_data(as_text=True)
    token = _csrf(owner, "/prozessmodelle/neu")
    created = owner.post("/prozessmodelle/neu", data={"csrf_token": token, "name": "Hilfe für Familien", "key": "",
                                                       "start": "leer", "source": ""})
    assert created.status_code == 302, created.get_data(as_text=True)
    assert created.headers["Location"].endswith(f"/prozessmodelle/{KEY}/einstellungen")
    page = owner.get(f"/prozessmodelle/{KEY}/einstellungen").get_data(as_text=True)
    assert "Bahn „Bearbeitung“" in page and "<legend" in page
    saved = owner.post(f"/prozessmodelle/{KEY}/einstellungen", data={
        "csrf_token": token, "starters": ["asd"], "rule_0": "team", "team_0": "k201", "field_0": ""})
    assert saved.status_code == 302
    with app.app_context():
        draft = db.session.scalar(select(ProcessDraft).join(ProcessModel).where(ProcessModel.key == KEY))
        assert draft.valid, draft.problems
        draft_id = draft.id
    assert saved.headers["Location"].endswith(f"/prozessmodelle/{KEY}/entwuerfe/{draft_id}")
    assert owner.get(saved.headers["Location"]).status_code == 200  # the draft opens in the modeler
    published = owner.post(f"/prozessmodelle/{KEY}/entwuerfe/{draft_id}/veroeffentlichen",
                           data={"csrf_token": token, "comment": "Erste Fassung", "bpmn_xml": ""})
    assert published.status_code == 302, published.get_data(as_text=True)
    return owner, token


def _start(client, team: str = "asd"):
    token = _csrf(client, "/faelle/neu")
    return client.post("/faelle/neu", data={"csrf_token": token, "verfahren": KEY, "team": team})


def _first_task(app, reference_or_newest=None) -> Task:
    with app.app_context():
        instance = db.session.scalar(select(ProcessInstance).join(ProcessVersion).join(ProcessModel)
                                     .where(ProcessModel.key == KEY).order_by(ProcessInstance.id.desc()).limit(1))
        task = db.session.scalar(select(Task).where(Task.instance_id == instance.id))
        db.session.expunge(task)
        return task


def test_new_process_from_template_is_started_by_its_team_and_routed_by_its_lane(app, login_as, api):
    owner, token = _create_and_publish(app, login_as)

    fb36 = login_as("fb36")
    assert "Hilfe für Familien" in fb36.get("/faelle/neu").get_data(as_text=True)
    started = _start(fb36)
    assert started.status_code == 302
    task = _first_task(app)
    with app.app_context():
        assert db.session.get(Task, task.id).candidate_team.key == "k201"
    k201 = login_as("k201")
    assert "Bearbeiten" in k201.get("/aufgaben").get_data(as_text=True)
    assert k201.get(f"/faelle/{task.instance_id}").status_code == 200  # the lane's team takes part

    # another team is not offered the process and may not start it
    fb31 = login_as("fb31")
    assert "Hilfe für Familien" not in fb31.get("/faelle/neu").get_data(as_text=True)
    assert _start(fb31, "fd311").status_code == 422
    assert api("fb31").post("/process-instances", json={"process": KEY}).status_code == 403
    assert api("fb36fh").post("/process-instances", json={"process": KEY}).status_code == 403

    # a changed lane rule applies to new tasks; the open task stays where it is
    changed = owner.post(f"/prozessmodelle/{KEY}/einstellungen", data={
        "csrf_token": token, "starters": ["asd"], "rule_0": "owner_team", "team_0": "", "field_0": ""})
    assert changed.status_code == 302
    assert _start(fb36).status_code == 302
    second = _first_task(app)
    with app.app_context():
        assert db.session.get(Task, second.id).candidate_team.key == "asd"
        assert db.session.get(Task, task.id).candidate_team.key == "k201"


def test_bad_input_is_refused_in_german_and_changes_nothing(app, login_as):
    assert login_as("fb36").get("/prozessmodelle/neu").status_code == 403
    owner = login_as("prozess")
    token = _csrf(owner, "/prozessmodelle/neu")
    before = _rows(app)
    for data, message in [
        ({"name": "Hilfe", "key": "Böse Sache", "start": "leer"}, "nur Kleinbuchstaben"),
        ({"name": "Alltag", "key": "alltagsbegleitung", "start": "leer"}, "schon ein anderes Verfahren"),
        ({"name": "", "key": "", "start": "leer"}, "Bitte einen Namen angeben."),
        ({"name": "Kopie", "key": "", "start": "kopie", "source": ""}, "Bitte den Prozess wählen"),
        ({"name": "Datei", "key": "", "start": "datei"}, "Bitte eine BPMN-Datei auswählen."),
    ]:
        response = owner.post("/prozessmodelle/neu", data={"csrf_token": token, "source": "", **data})
        assert response.status_code == 422, data
        page = response.get_data(as_text=True)
        assert message in page and 'role="alert"' in page
    assert _rows(app) == before

    # settings: a team lane without a team
    assert owner.post("/prozessmodelle/neu", data={"csrf_token": token, "name": "Hilfe für Familien",
                                                   "start": "phasen", "source": ""}).status_code == 302
    assert owner.get(f"/prozessmodelle/{KEY}").status_code == 200  # a model without versions
    assert "Hilfe für Familien" in owner.get("/prozessmodelle").get_data(as_text=True)
    before = _rows(app)
    refused = owner.post(f"/prozessmodelle/{KEY}/einstellungen", data={
        "csrf_token": token, "starters": ["asd"], "rule_0": "team", "team_0": "", "rule_1": "owner_team"})
    assert refused.status_code == 422
    assert "Bitte ein Team wählen." in refused.get_data(as_text=True)
    assert _rows(app) == before
    assert login_as("fb36").get(f"/prozessmodelle/{KEY}/einstellungen").status_code == 403


def test_other_starts_copy_template_with_gateway_and_uploaded_file(app, login_as):
    import io

    owner = login_as("prozess")
    token = _csrf(owner, "/prozessmodelle/neu")
    foreign = blueprints.empty("Process_1xyz", "Export").encode("utf-8")
    for data, key in [
        ({"name": "Phasen", "key": "phasen_test", "start": "phasen"}, "phasen_test"),
        ({"name": "Alltagsbegleitung Nord", "key": "", "start": "kopie", "source": "alltagsbegleitung"},
         "alltagsbegleitung_nord"),
        ({"name": "Aus Datei", "key": "aus_datei", "start": "datei",
          "bpmn_file": (io.BytesIO(foreign), "export.bpmn")}, "aus_datei"),
    ]:
        response = owner.post("/prozessmodelle/neu", data={"csrf_token": token, "source": "", **data},
                              content_type="multipart/form-data")
        assert response.status_code == 302, response.get_data(as_text=True)
        assert response.headers["Location"].endswith(f"/prozessmodelle/{key}/einstellungen")
        with app.app_context():
            draft = db.session.scalar(select(ProcessDraft).join(ProcessModel).where(ProcessModel.key == key))
            assert f'id="{key}"' in draft.bpmn_xml
            problems, valid = draft.problems, draft.valid
        if key == "aus_datei":  # its lane is unknown until the settings give it a rule
            assert not valid and any("Bearbeitung" in p["message"] for p in problems)
            saved = owner.post(f"/prozessmodelle/{key}/einstellungen", data={
                "csrf_token": token, "rule_0": "starter"})
            assert saved.status_code == 302
            with app.app_context():
                assert db.session.get(ProcessDraft, draft.id).valid
        else:
            assert valid, problems
    page = owner.get("/prozessmodelle/phasen_test/einstellungen").get_data(as_text=True)
    assert "Bahn „Aufnahme“" in page and "Bahn „Bearbeitung“" in page


def test_shipped_process_settings_show_what_applies_and_saving_them_unchanged_changes_no_routing(app, login_as):
    owner = login_as("prozess")
    page = owner.get("/prozessmodelle/alltagsbegleitung/einstellungen").get_data(as_text=True)
    assert re.search(r'value="asd"\s*checked', page) and not re.search(r'value="k201"\s*checked', page)
    assert "Bahn „Koordinierungsstelle“" in page
    lanes = re.findall(r'<legend class="kern-label">Bahn „([^“]+)“', page)
    data: dict = {"csrf_token": _csrf(owner, "/prozessmodelle/neu"), "starters": ["asd", "fruehehilfen", "fd311"]}
    for i, _lane in enumerate(lanes):
        data[f"rule_{i}"] = re.search(rf'id="rule_{i}".*?<option value="(\w+)" selected', page, re.S).group(1)
        team = re.search(rf'id="team_{i}".*?</select>', page, re.S).group(0)
        data[f"team_{i}"] = (re.search(r'<option value="(\w+)" selected', team) or [None, ""])[1]
        data[f"field_{i}"] = re.search(rf'id="field_{i}"[^>]*value="([^"]*)"', page).group(1)
    assert owner.post("/prozessmodelle/alltagsbegleitung/einstellungen", data=data).status_code == 302
    with app.app_context():
        model_id = db.session.scalar(select(ProcessModel.id).where(ProcessModel.key == "alltagsbegleitung"))
        assert db.session.scalar(select(func.count()).select_from(ProcessLaneRule)
                                 .where(ProcessLaneRule.model_id == model_id)) == 0
    fb36 = login_as("fb36")
    assert "Alltagsbegleitung" in fb36.get("/faelle/neu").get_data(as_text=True)


def test_template_with_gateway_runs_to_the_end(app, start_case, complete):
    from datetime import date

    from app.auth.models import User
    from app.modeler import services as modeler
    from app.processsetup import services

    with app.test_request_context():
        owner = db.session.scalar(select(User).where(User.username == "prozess"))
        model = services.create_model("phasen_lauf", "Phasen")
        draft = services.start_from_template(model, "phasen", owner)
        services.save_settings(model, ["asd"], {"Aufnahme": ("owner_team", None), "Bearbeitung": ("team", "k201")})
        modeler.request_publish(draft, owner, "Erste Fassung")
        db.session.commit()
    case = start_case("fb36", "phasen_lauf", "asd")
    today = date.today().isoformat()
    assert complete(case, "aufnahme", "fb36", {"erledigt_am": today}) == "running"
    step = {"datum": today, "notizen": "Gespräch geführt."}
    assert complete(case, "bearbeitung", "k201", {**step, "abschluss_einleiten": False}) == "running"  # again
    assert complete(case, "bearbeitung", "k201", {**step, "abschluss_einleiten": True}) == "running"
    assert complete(case, "abschluss", "k201", {"erledigt_am": today}) == "completed"


def test_a_task_may_name_a_lane_of_its_own_model_and_the_modeler_offers_it(app, login_as):
    """A user task's „Zuständig“ property may name a lane that only this model's settings define."""
    from app.engine.modelrules import ProcessLaneRule
    from app.modeler.validation import validate_bpmn

    owner = login_as("prozess")
    token = _csrf(owner, "/prozessmodelle/neu")
    assert owner.post("/prozessmodelle/neu", data={"csrf_token": token, "name": "Eigene Bahn", "key": "eigene_bahn",
                                                   "start": "leer", "source": ""}).status_code == 302
    with app.app_context():
        draft = db.session.scalar(select(ProcessDraft).join(ProcessModel).where(ProcessModel.key == "eigene_bahn"))
        xml = draft.bpmn_xml.replace('name="formKey"', 'name="lane" value="Sachgebiet"/><spiffworkflow:property '
                                     'name="formKey"', 1)
        assert 'name="lane" value="Sachgebiet"' in xml
        assert any("Sachgebiet" in p.message for p in validate_bpmn(xml, "eigene_bahn"))
        model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == "eigene_bahn"))
        db.session.add(ProcessLaneRule(model_id=model.id, lane="Sachgebiet", rule="starter"))
        db.session.commit()
        assert not any("Sachgebiet" in p.message for p in validate_bpmn(xml, "eigene_bahn"))
        draft_id = draft.id
    page = owner.get(f"/prozessmodelle/eigene_bahn/entwuerfe/{draft_id}").get_data(as_text=True)
    assert "Sachgebiet" in page  # offered in the modeler's lane list (data-lanes)
