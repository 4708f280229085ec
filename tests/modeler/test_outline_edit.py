"""Editing a draft through its text outline (no diagram, no mouse): rename a step, change a user
task's form, lane and deadline, insert a step after another, delete a step; refusals in German
with nothing changed; only process owners, only open drafts.

Drafts of two shipped models: ``junge_erwachsene`` (one lane, no incoming/outgoing references,
a gateway) and ``alltagsbegleitung`` (three lanes, incoming/outgoing references, subprocesses).
"""

from __future__ import annotations

import re

import pytest
from lxml import etree

from app.engine.specs import parse_bpmn
from app.extensions import db
from app.modeler.models import ProcessDraft
from app.modeler.outline import build_outline
from app.modeler.outline_edit import BPMNDI, DC, DI
from app.modeler.validation import B, S, validate_bpmn

JE = "junge_erwachsene"
AB = "alltagsbegleitung"


def new_draft(client, key: str) -> int:
    response = client.post(f"/prozessmodelle/{key}/entwuerfe", data={"from": "newest"})
    assert response.status_code == 302, response.data[:300]
    return int(re.search(r"/entwuerfe/(\d+)$", response.headers["Location"]).group(1))


def stored(app, draft_id: int) -> ProcessDraft:
    with app.app_context():
        draft = db.session.get(ProcessDraft, draft_id)
        db.session.expunge(draft)
        return draft


def url(key: str, draft_id: int, tail: str = "") -> str:
    return f"/prozessmodelle/{key}/entwuerfe/{draft_id}/gliederung{tail}"


def element(xml: str, ident: str):
    root = etree.fromstring(xml.encode("utf-8"))
    return next(el for el in root.iter() if isinstance(el.tag, str) and el.get("id") == ident)


def prop(xml: str, ident: str, name: str) -> str | None:
    found = element(xml, ident).find(f"{B}extensionElements/{S}properties/{S}property[@name='{name}']")
    return None if found is None else found.get("value")


def lane_of(xml: str, ident: str) -> str | None:
    root = etree.fromstring(xml.encode("utf-8"))
    return next((lane.get("name") for lane in root.iter(f"{B}lane")
                 if any(ref.text == ident for ref in lane.findall(f"{B}flowNodeRef"))), None)


def bounds(xml: str, ident: str) -> dict[str, float]:
    root = etree.fromstring(xml.encode("utf-8"))
    shape = next(s for s in root.iter(f"{BPMNDI}BPMNShape") if s.get("bpmnElement") == ident)
    return {k: float(v) for k, v in shape.find(f"{DC}Bounds").attrib.items()}


def flow_order(xml: str, key: str) -> list[str]:
    return [step.element.id for step in build_outline(xml, key).steps]


def task_data(**fields) -> dict:
    return {"due_unit": "tage", "due_amount": "", **fields}


@pytest.fixture
def owner(login_as):
    return login_as("prozess")


# --- the page ---------------------------------------------------------------------------------

def test_outline_of_a_draft_lists_steps_in_flow_order_with_form_lane_deadline(app, owner):
    draft_id = new_draft(owner, AB)
    draft_page = owner.get(f"/prozessmodelle/{AB}/entwuerfe/{draft_id}").get_data(as_text=True)
    assert f'href="{url(AB, draft_id)}"' in draft_page and "Ablauf als Text bearbeiten" in draft_page

    page = owner.get(url(AB, draft_id))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    headings = re.findall(r'<h3 id="step-([^"]+)"', html)
    assert headings[:5] == ["start", "bedarfsermittlung", "vermittlung", "vorgespraech", "einsatz_beginnt"]
    vermittlung = html[html.index('id="step-vermittlung"'):html.index('id="step-vorgespraech"')]
    assert "Koordinierungsstelle" in vermittlung and "10 Tage" in vermittlung
    assert "(alltagsbegleitung.vermittlung)" in vermittlung
    assert f'href="{url(AB, draft_id, "/vermittlung")}"' in vermittlung
    assert f'href="{url(AB, draft_id, "/vermittlung/danach-einfuegen")}"' in vermittlung
    # After a gateway with three ways there is no single place to insert.
    gateway = html[html.index('id="step-gw_ergebnis"'):]
    assert "/gw_ergebnis/danach-einfuegen" not in gateway[:gateway.index("</li>")]


# --- the edits ----------------------------------------------------------------------------------

def test_rename_a_step(app, owner):
    draft_id = new_draft(owner, JE)
    response = owner.post(url(JE, draft_id, "/situation"), data=task_data(
        name="Situation und Zuständigkeiten klären", form_key="junge_erwachsene.situation",
        lane="Integrationsmanagement", due_amount="14"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(url(JE, draft_id) + "#step-situation")
    draft = stored(app, draft_id)
    assert element(draft.bpmn_xml, "situation").get("name") == "Situation und Zuständigkeiten klären"
    assert draft.valid, draft.problems
    page = owner.get(url(JE, draft_id)).get_data(as_text=True)
    assert "Schritt „Situation und Zuständigkeiten klären“ gespeichert." in page

    # Steps that are not user tasks are renamed, too (name only).
    assert owner.post(url(JE, draft_id, "/gw_zustaendig"), data={"name": "Zwischen 18 und 27?"}).status_code == 302
    assert element(stored(app, draft_id).bpmn_xml, "gw_zustaendig").get("name") == "Zwischen 18 und 27?"


def test_change_form_lane_and_deadline(app, owner):
    draft_id = new_draft(owner, AB)
    before = stored(app, draft_id).bpmn_xml
    response = owner.post(url(AB, draft_id, "/vermittlung"), data=task_data(
        name="Vermittlung", form_key="alltagsbegleitung.vorgespraech", lane="Fachbereich",
        due_amount="3", due_unit="wochen"))
    assert response.status_code == 302
    draft = stored(app, draft_id)
    xml = draft.bpmn_xml
    assert prop(xml, "vermittlung", "formKey") == "alltagsbegleitung.vorgespraech"
    assert prop(xml, "vermittlung", "dueIn") == "P3W"
    assert lane_of(xml, "vermittlung") == "Fachbereich" and prop(xml, "vermittlung", "lane") is None
    # The shape moved into the band of its new lane.
    lane = bounds(xml, "Lane_fachbereich")
    shape = bounds(xml, "vermittlung")
    assert lane["y"] <= shape["y"] and shape["y"] + shape["height"] <= lane["y"] + lane["height"]
    assert bounds(before, "vermittlung")["y"] != shape["y"]
    assert draft.valid, draft.problems

    # A declared lane that the draft does not draw becomes the task's own "lane" property
    # (it goes to the Leitung although it stays in its lane); no number: no deadline.
    assert owner.post(url(AB, draft_id, "/vermittlung"), data=task_data(
        name="Vermittlung", form_key="alltagsbegleitung.vermittlung", lane="Leitung")).status_code == 302
    draft = stored(app, draft_id)
    assert prop(draft.bpmn_xml, "vermittlung", "lane") == "Leitung"
    assert lane_of(draft.bpmn_xml, "vermittlung") == "Fachbereich"
    assert prop(draft.bpmn_xml, "vermittlung", "dueIn") is None
    assert draft.valid, draft.problems
    page = owner.get(url(AB, draft_id, "/vermittlung")).get_data(as_text=True)
    assert re.search(r'<option value="Leitung" selected>', page)


def test_insert_a_step_after_another(app, owner):
    draft_id = new_draft(owner, JE)
    response = owner.post(url(JE, draft_id, "/situation/danach-einfuegen"), data=task_data(
        name="Rückruf vereinbaren", form_key="junge_erwachsene.situation", lane="Integrationsmanagement",
        due_amount="5"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#step-rueckruf_vereinbaren")
    draft = stored(app, draft_id)
    xml = draft.bpmn_xml
    assert draft.valid, draft.problems
    with app.app_context():  # the dry parse: the validation and the engine's parser accept it
        assert validate_bpmn(xml, JE) == []
        task = parse_bpmn(xml, JE).user_tasks["rueckruf_vereinbaren"]
    assert (task.title, task.form_key, task.due_in, task.lane) == (
        "Rückruf vereinbaren", "junge_erwachsene.situation", "P5D", "Integrationsmanagement")
    order = flow_order(xml, JE)
    assert order.index("situation") < order.index("rueckruf_vereinbaren") < order.index("faehigkeiten")
    assert element(xml, "f_situation").get("targetRef") == "rueckruf_vereinbaren"
    assert element(xml, "flow_rueckruf_vereinbaren").get("targetRef") == "faehigkeiten"
    # The diagram: the new shape right of "Situation klären", everything further right moved over.
    old = stored_version_xml(app, JE)
    assert bounds(xml, "rueckruf_vereinbaren")["x"] > bounds(xml, "situation")["x"] + 100
    assert bounds(xml, "faehigkeiten")["x"] == bounds(old, "faehigkeiten")["x"] + 150
    assert bounds(xml, "Lane_kim")["width"] == bounds(old, "Lane_kim")["width"] + 150
    edges = {e.get("bpmnElement"): e for e in etree.fromstring(xml.encode()).iter(f"{BPMNDI}BPMNEdge")}
    assert {"f_situation", "flow_rueckruf_vereinbaren"} <= set(edges)
    assert len(edges["flow_rueckruf_vereinbaren"].findall(f"{DI}waypoint")) >= 2
    page = owner.get(url(JE, draft_id)).get_data(as_text=True)
    assert "Schritt „Rückruf vereinbaren“ nach „Situation klären“ eingefügt." in page
    assert "5 Tage" in page

    # Published from the outline page (no diagram needed): the new version has the step.
    response = owner.post(f"/prozessmodelle/{JE}/entwuerfe/{draft_id}/veroeffentlichen",
                          data={"comment": "Rückruf eingefügt"})
    assert response.status_code == 302, response.data[:500]
    assert stored(app, draft_id).status == "published"


def stored_version_xml(app, key: str) -> str:
    from app.engine.models import ProcessModel
    from app.engine.service import latest_version
    with app.app_context():
        model = db.session.query(ProcessModel).filter_by(key=key).one()
        return latest_version(model).bpmn_xml


def test_insert_in_another_lane_keeps_references_and_lanes(app, owner):
    draft_id = new_draft(owner, AB)
    response = owner.post(url(AB, draft_id, "/bedarfsermittlung/danach-einfuegen"), data=task_data(
        name="Vorprüfung 201", form_key="alltagsbegleitung.vermittlung", lane="Koordinierungsstelle",
        due_amount="2", due_unit="wochen"))
    assert response.status_code == 302
    draft = stored(app, draft_id)
    xml = draft.bpmn_xml
    assert draft.valid, draft.problems
    assert lane_of(xml, "vorpruefung_201") == "Koordinierungsstelle"
    new = element(xml, "vorpruefung_201")
    assert [r.text for r in new.findall(f"{B}incoming")] == ["flow_bedarf"]
    assert [r.text for r in new.findall(f"{B}outgoing")] == ["flow_vorpruefung_201"]
    assert [r.text for r in element(xml, "vermittlung").findall(f"{B}incoming")] == ["flow_vorpruefung_201"]
    lane = bounds(xml, "Lane_koordinierungsstelle")
    shape = bounds(xml, "vorpruefung_201")
    assert lane["y"] <= shape["y"] and shape["y"] + shape["height"] <= lane["y"] + lane["height"]
    assert flow_order(xml, AB)[:4] == ["start", "bedarfsermittlung", "vorpruefung_201", "vermittlung"]
    assert prop(xml, "vorpruefung_201", "dueIn") == "P2W"


def test_delete_a_step_reconnects_its_flows(app, owner):
    draft_id = new_draft(owner, JE)
    page = owner.get(url(JE, draft_id, "/fallkonferenz")).get_data(as_text=True)
    assert "Schritt „Fallkonferenz“ löschen" in page
    response = owner.post(url(JE, draft_id, "/fallkonferenz/loeschen"))
    assert response.status_code == 302
    draft = stored(app, draft_id)
    xml = draft.bpmn_xml
    assert draft.valid, draft.problems
    assert 'id="fallkonferenz"' not in xml and 'bpmnElement="fallkonferenz"' not in xml
    assert 'id="f_fallkonferenz"' not in xml and ">fallkonferenz<" not in xml
    assert element(xml, "f_faehigkeiten").get("targetRef") == "integrationsplan"
    order = flow_order(xml, JE)
    assert order[order.index("faehigkeiten") + 1] == "integrationsplan"

    # With incoming/outgoing references (alltagsbegleitung) they are reconnected too.
    draft_id = new_draft(owner, AB)
    assert owner.post(url(AB, draft_id, "/vorgespraech/loeschen")).status_code == 302
    draft = stored(app, draft_id)
    assert draft.valid, draft.problems
    assert element(draft.bpmn_xml, "flow_vermittelt").get("targetRef") == "einsatz_beginnt"
    assert [r.text for r in element(draft.bpmn_xml, "einsatz_beginnt").findall(f"{B}incoming")] == ["flow_vermittelt"]
    assert lane_of(draft.bpmn_xml, "vorgespraech") is None


# --- refusals -----------------------------------------------------------------------------------

@pytest.mark.parametrize("step, reason", [
    ("gw_zustaendig", "ist ein Gateway"),
    ("start", "ist ein Startereignis"),
    ("end_abgeschlossen", "ist ein Endereignis"),
])
def test_deleting_gateways_start_and_end_is_refused(app, owner, step, reason):
    draft_id = new_draft(owner, JE)
    before = stored(app, draft_id).content_hash
    response = owner.post(url(JE, draft_id, f"/{step}/loeschen"))
    assert response.status_code == 422
    assert reason in response.get_data(as_text=True)
    assert stored(app, draft_id).content_hash == before


def test_deleting_a_step_with_several_flows_or_timers_is_refused(app, owner):
    draft_id = new_draft(owner, AB)
    before = stored(app, draft_id).content_hash
    response = owner.post(url(AB, draft_id, "/laufender_einsatz/loeschen"))  # two incoming flows
    assert response.status_code == 422
    assert "2 eingehende und 1 ausgehende Flüsse" in response.get_data(as_text=True)
    response = owner.post(url(AB, draft_id, "/krise_quittieren/loeschen"))  # a timer hangs on it
    assert response.status_code == 422
    assert "Randereignisse" in response.get_data(as_text=True)
    response = owner.post(url(AB, draft_id, "/gw_ergebnis/danach-einfuegen"), data=task_data(
        name="X", form_key="alltagsbegleitung.abschluss", lane="Fachbereich"))
    assert response.status_code == 422
    assert "3 ausgehende Flüsse" in response.get_data(as_text=True)
    assert stored(app, draft_id).content_hash == before


@pytest.mark.parametrize("fields, message", [
    ({"due_amount": "0"}, "Bitte eine ganze Zahl von 1 bis 9999 eingeben"),
    ({"due_amount": "fünf"}, "Bitte eine ganze Zahl von 1 bis 9999 eingeben"),
    ({"due_amount": "10000"}, "Bitte eine ganze Zahl von 1 bis 9999 eingeben"),
    ({"due_amount": "5", "due_unit": "jahrzehnte"}, "Bitte eine Einheit aus der Liste wählen."),
    ({"form_key": "gibt.es.nicht"}, "Das Formular „gibt.es.nicht“ gibt es nicht."),
    ({"lane": "Hausmeisterei"}, "Die Bahn „Hausmeisterei“ ist keiner bekannten Rolle zugeordnet."),
    ({"name": "   "}, "Bitte einen Namen eingeben."),
])
def test_bad_input_is_refused_in_german_and_nothing_changes(app, owner, fields, message):
    draft_id = new_draft(owner, JE)
    before = stored(app, draft_id).content_hash
    data = task_data(**{"name": "Neu", "form_key": "junge_erwachsene.situation", "lane": "Integrationsmanagement",
                        **fields})
    for path in ("/situation", "/situation/danach-einfuegen"):
        response = owner.post(url(JE, draft_id, path), data=data)
        assert response.status_code == 422, path
        html = response.get_data(as_text=True)
        assert message in html and "Es wurde nichts gespeichert." in html
        assert 'aria-invalid="true"' in html
    assert stored(app, draft_id).content_hash == before


# --- who and when ---------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["fb36", "leitung", "admin"])
def test_only_process_owners_may_edit_the_outline(app, owner, login_as, username):
    draft_id = new_draft(owner, JE)
    before = stored(app, draft_id).content_hash
    other = login_as(username)
    assert other.get(url(JE, draft_id)).status_code == 403
    assert other.get(url(JE, draft_id, "/situation")).status_code == 403
    assert other.get(url(JE, draft_id, "/situation/danach-einfuegen")).status_code == 403
    assert other.post(url(JE, draft_id, "/situation"), data=task_data(
        name="X", form_key="junge_erwachsene.situation")).status_code == 403
    assert other.post(url(JE, draft_id, "/situation/danach-einfuegen"), data=task_data(
        name="X", form_key="junge_erwachsene.situation")).status_code == 403
    assert other.post(url(JE, draft_id, "/fallkonferenz/loeschen")).status_code == 403
    assert stored(app, draft_id).content_hash == before


def test_unknown_steps_and_drafts_are_404(app, owner):
    draft_id = new_draft(owner, JE)
    assert owner.get(url(JE, draft_id, "/gibtsnicht")).status_code == 404
    assert owner.post(url(JE, draft_id, "/f_situation/loeschen")).status_code == 404  # a flow is no step
    assert owner.get(url(AB, draft_id)).status_code == 404  # the draft belongs to another model
    assert owner.get(url(JE, 9999)).status_code == 404


@pytest.mark.parametrize("close", ["publish", "discard"])
def test_published_or_discarded_drafts_refuse_edits(app, owner, close):
    draft_id = new_draft(owner, JE)
    assert owner.post(url(JE, draft_id, "/situation"), data=task_data(
        name="Situation", form_key="junge_erwachsene.situation", lane="Integrationsmanagement")).status_code == 302
    if close == "publish":
        response = owner.post(f"/prozessmodelle/{JE}/entwuerfe/{draft_id}/veroeffentlichen", data={"comment": "x"})
    else:
        response = owner.post(f"/prozessmodelle/{JE}/entwuerfe/{draft_id}/verwerfen")
    assert response.status_code == 302
    before = stored(app, draft_id).content_hash
    for path, data in [("/situation", task_data(name="Y", form_key="junge_erwachsene.situation")),
                       ("/situation/danach-einfuegen", task_data(name="Y", form_key="junge_erwachsene.situation")),
                       ("/fallkonferenz/loeschen", {})]:
        response = owner.post(url(JE, draft_id, path), data=data)
        assert response.status_code == 409, path
        assert "bereits veröffentlicht oder verworfen" in response.get_data(as_text=True)
    assert stored(app, draft_id).content_hash == before
    page = owner.get(url(JE, draft_id)).get_data(as_text=True)
    assert "lässt sich nur noch lesen" in page and "/situation/danach-einfuegen" not in page


def test_an_edit_of_a_draft_changed_meanwhile_is_refused(app, owner, login_as):
    draft_id = new_draft(owner, JE)
    page = owner.get(url(JE, draft_id, "/situation")).get_data(as_text=True)
    base = re.search(r'name="base" type="hidden" value="([0-9a-f]+)"|name="base" value="([0-9a-f]+)"', page)
    assert base, "the form carries the draft's state"
    shown = base.group(1) or base.group(2)
    # Meanwhile a second process owner renames another step.
    assert login_as("prozess2").post(url(JE, draft_id, "/aufnahme"), data=task_data(
        name="Aufnahme und Einwilligung", form_key="junge_erwachsene.aufnahme",
        lane="Integrationsmanagement", due_amount="7")).status_code == 302
    changed = stored(app, draft_id).content_hash
    for path, data in [("/situation", task_data(name="Situation", form_key="junge_erwachsene.situation",
                                                lane="Integrationsmanagement", base=shown)),
                       ("/situation/danach-einfuegen", task_data(name="Neu", form_key="junge_erwachsene.situation",
                                                                 lane="Integrationsmanagement", base=shown)),
                       ("/fallkonferenz/loeschen", {"base": shown})]:
        response = owner.post(url(JE, draft_id, path), data=data)
        assert response.status_code == 409, path
        assert "inzwischen geändert" in response.get_data(as_text=True)
    assert stored(app, draft_id).content_hash == changed


def test_edits_of_a_third_party_file_without_prefixes_and_diagram(ctx):
    from app.modeler import outline_edit
    from tests.modeler.conftest import FIXTURES

    xml = (FIXTURES / "signavio_style_no_namespace_prefix.bpmn").read_text(encoding="utf-8")
    inserted, task_id = outline_edit.insert_after(xml, AB, "s", name="Erstgespräch", form_key="mbe.erstkontakt",
                                                  lane="Fachbereich", due_in="P3D")
    assert task_id == "erstgespraech"
    assert "<userTask " in inserted  # the file's own (default) namespace, no prefix added
    assert prop(inserted, task_id, "formKey") == "mbe.erstkontakt" and prop(inserted, task_id, "dueIn") == "P3D"
    assert prop(inserted, task_id, "lane") == "Fachbereich"  # the file draws no lanes
    assert element(inserted, "f1").get("targetRef") == task_id
    assert [r.text for r in element(inserted, "gw").findall(f"{B}incoming")] == [f"flow_{task_id}"]
    before = {p.message for p in validate_bpmn(xml, AB)}
    after = {p.message for p in validate_bpmn(inserted, AB)}
    assert not [m for m in after - before if "Schemafehler" in m or task_id in m], after - before

    deleted = outline_edit.delete(inserted, AB, task_id)
    assert element(deleted, "f1").get("targetRef") == "gw"
    assert {p.message for p in validate_bpmn(deleted, AB)} == before
    # A file without any diagram (BPMNDI) stays without one; the edit itself is fine.
    xml = (FIXTURES / "camunda_no_di.bpmn").read_text(encoding="utf-8")
    before = {p.message for p in validate_bpmn(xml, AB)}
    inserted, task_id = outline_edit.insert_after(xml, AB, "bedarfsermittlung", name="Prüfen",
                                                  form_key="alltagsbegleitung.vermittlung", lane="", due_in=None)
    assert "BPMNShape" not in inserted
    assert {p.message for p in validate_bpmn(inserted, AB)} == before
