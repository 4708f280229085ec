"""Every problem at once, in German: third-party BPMN exports uploaded through the web modeler and
the API get their complete problem list (element, German sentence, hint), never English engine or
schema text, never a 5xx; schema errors and engine errors are translated."""

from __future__ import annotations

import html
import io
import re

import pytest

from app.engine.specs import SpecError
from app.modeler import validation
from app.modeler.validation import validate_bpmn
from tests.factories import login
from tests.modeler.conftest import FIXTURES, SHIPPED, post_xml

THIRDPARTY = FIXTURES / "thirdparty"
#: English words and phrases that must never reach a user (case-sensitive, whole words: the German
#: noun „Element“ is fine, "element" is not).
ENGLISH = re.compile(r"\b(the|is|not|element|elements|expected|attribute|invalid|missing|Error|error|required|"
                     r"allowed|found|must|cannot|does|supported|support|unknown|value|There|No|Expected|Missing|"
                     r"Invalid|Exception|Traceback)\b|\{http|0x[0-9a-f]")


def assert_no_english(problems) -> None:
    """``problems``: Problem objects or their dicts; message and hint must be free of English.
    Quoted content („…“: names, ids, values from the file) and a suggested Python expression
    ("Vorschlag: …") are the user's own text and not checked."""
    for problem in problems:
        data = problem if isinstance(problem, dict) else problem.as_dict()
        for key in ("message", "hint"):
            text = data.get(key) or ""
            own = re.sub(r"„[^“]*“|Vorschlag: .*$", "", text)
            found = ENGLISH.search(own)
            assert found is None, f"English {found.group(0)!r} in {key}: {text}"
        assert data.get("hint"), f"no hint: {data}"


# (fixture, valid, [(element id, part of the message, part of the hint or "")]) – the complete list
THIRD_PARTY = [
    ("camunda7.bpmn", False, [
        ("Lane_sachbearbeitung", "Bahn „Sachbearbeitung“", "Rolle der Bahn"),
        ("Activity_pruefen", "Benutzeraufgabe „Antrag prüfen“ (Activity_pruefen): kein Formular gewählt",
         "embedded:app:forms/pruefen.html"),
        ("Gateway_genehmigt", "keinen Standardfluss", "Standardfluss"),
        ("Flow_ja", "„${approved}“ ist ein Ausdruck in JUEL", "Vorschlag: approved"),
        ("Flow_nein", "„${!approved}“ ist ein Ausdruck in JUEL", "Vorschlag: not approved"),
    ]),
    ("zeebe.bpmn", False, [
        ("Activity_erfassen", "kein Formular gewählt", "„antrag-erfassen“"),
        ("Activity_erfassen", "die Zuständigkeit „sachbearbeitung“", "in eine Bahn legen"),
        ("Activity_benachrichtigen", "keine externen Dienste", "Benutzeraufgabe"),
        ("Event_warten", "PT5M muss in Anführungszeichen stehen", "Dauerauswahl"),
        ("Flow_gross", "ist ein Ausdruck in FEEL", "Vorschlag: betrag"),
    ]),
    ("signavio.bpmn", False, [
        ("alltagsbegleitung", "„nicht ausführbar“", "ausführbar"),
        ("sid-lane-sozialarbeit", "Bahn „Sozialarbeit“", "Rolle der Bahn"),
        ("sid-task-gespraech", "Aufgabe „Erstgespräch führen“ (sid-task-gespraech) hat keinen Aufgabentyp",
         "Benutzeraufgabe"),
        ("sid-ja", "ohne Bedingung", "Standardfluss"),
        ("sid-nein", "ohne Bedingung", "Standardfluss"),
        ("sid-task-vermitteln", "keinen Aufgabentyp", ""),
    ]),
    ("bpmnio.bpmn", True, []),
    ("bizagi.bpmn", False, [
        ("Id_lane-sachbearbeiter", "Bahn „Sachbearbeiter“", ""),
        ("Id_task-pruefen", "kein Formular gewählt", "Formular"),
        ("Id_f-ja", "ohne Bedingung", ""),
        ("Id_f-nein", "ohne Bedingung", ""),
        ("Id_task-bescheid", "keinen Aufgabentyp", ""),
    ]),
    ("collaboration_two_pools.bpmn", False, [
        ("alltagsbegleitung", "Prozess alltagsbegleitung hat kein Startereignis", "Startereignis einfügen"),
    ]),
    ("data_objects.bpmn", True, []),
    ("no_di.bpmn", True, []),
    ("duplicate_ids.bpmn", False, [
        ("Activity_1", "Schemafehler (Zeile 21) bei Benutzeraufgabe „Vermittlung“ (Activity_1): die ID „Activity_1“ "
                       "kommt in der Datei mehrfach vor", "eigene ID"),
        ("Activity_1", "„Vorgespräch“ (Activity_1) hat 2 ausgehende Flüsse", "Gateway"),
        ("Activity_1", "„Vermittlung“ (Activity_1) hat 2 ausgehende Flüsse", "Gateway"),
        ("Activity_1", "„Vermittlung“ (Activity_1): kein Formular gewählt", ""),
    ]),
    ("missing_target.bpmn", False, [
        ("Flow_2", "Fluss Flow_2: das Ziel „Activity_geloescht“ gibt es in der Datei nicht", "neu"),
        ("Flow_3", "den Anfang „Activity_geloescht“", ""),
        ("Event_1", "ist von keinem Startereignis aus erreichbar", ""),
    ]),
]


def _matches(problems: list[dict], expected) -> None:
    assert len(problems) == len(expected), [(p["element_id"], p["message"]) for p in problems]
    rest = list(problems)
    for element, message, hint in expected:
        hit = next((p for p in rest if p["element_id"] == element and message in p["message"]
                    and hint in p["hint"]), None)
        assert hit is not None, (element, message, hint, [(p["element_id"], p["message"], p["hint"]) for p in rest])
        rest.remove(hit)


@pytest.mark.parametrize(("name", "valid", "expected"), THIRD_PARTY, ids=[t[0] for t in THIRD_PARTY])
def test_third_party_export_via_api_gets_the_complete_german_list(app, api, name, valid, expected):
    response = post_xml(api("prozess"), (THIRDPARTY / name).read_bytes())
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["valid"] is valid
    assert all(set(p) == {"element_id", "message", "hint"} for p in body["problems"])
    _matches(body["problems"], expected)
    assert_no_english(body["problems"])


@pytest.mark.parametrize(("name", "valid", "expected"), THIRD_PARTY, ids=[t[0] for t in THIRD_PARTY])
def test_third_party_export_via_web_upload_shows_problems_and_hints(app, name, valid, expected):
    web = login(app.test_client(), "prozess")
    created = web.post("/prozessmodelle/alltagsbegleitung/entwuerfe",
                       data={"bpmn_file": (io.BytesIO((THIRDPARTY / name).read_bytes()), name)},
                       content_type="multipart/form-data")
    assert created.status_code == 302, created.status_code
    page = web.get(created.headers["Location"])
    assert page.status_code == 200
    text = html.unescape(page.get_data(as_text=True))
    if valid:
        assert "Keine Probleme gefunden." in text
        return
    assert f"{len(expected)} Problem(e) verhindern das Veröffentlichen" in text
    for _element, message, hint in expected:
        assert message in text
        assert hint in text
    assert "Abhilfe:" in text


def test_an_accepted_export_publishes(app, api):
    owner = api("prozess")
    draft = post_xml(owner, (THIRDPARTY / "bpmnio.bpmn").read_bytes()).get_json()
    publish = owner.post(f"/process-models/alltagsbegleitung/drafts/{draft['id']}/publish", json={"comment": "bpmn.io"})
    assert publish.status_code == 201, publish.get_json()


def problems(app, xml: str | bytes, key: str = "alltagsbegleitung"):
    with app.test_request_context():
        return validate_bpmn(xml, key)


SCHEMA_CASES = [
    ("attribute not allowed", '<bpmn:userTask id="vermittlung"', '<bpmn:userTask id="vermittlung" bogus="1"',
     "vermittlung", "das Attribut „bogus“ ist hier nicht erlaubt"),
    ("boolean", 'id="alltagsbegleitung" name="Alltagsbegleitung" isExecutable="true"',
     'id="alltagsbegleitung" name="Alltagsbegleitung" isExecutable="ja"', "alltagsbegleitung",
     "„ja“ im Attribut „isExecutable“ muss „true“ oder „false“ sein"),
    ("bad id", '<bpmn:userTask id="vermittlung"', '<bpmn:userTask id="2 vermittlung"', "2 vermittlung",
     "„2 vermittlung“ ist keine gültige ID"),
    ("required attribute", 'sourceRef="bedarfsermittlung" targetRef="vermittlung"', 'targetRef="vermittlung"', None,
     "das vorgeschriebene Attribut „sourceRef“ fehlt"),
    ("unexpected element", '<bpmn:userTask id="vermittlung"',
     '<bpmn:weissnicht id="x1" /><bpmn:userTask id="vermittlung"',
     "x1", "Element „weissnicht“ x1: das Element ist an dieser Stelle nicht erlaubt; erwartet wird hier:"),
    ("duplicate id", '<bpmn:userTask id="vermittlung"', '<bpmn:userTask id="bedarfsermittlung"',
     "bedarfsermittlung", "die ID „bedarfsermittlung“ kommt in der Datei mehrfach vor"),
]


@pytest.mark.parametrize(("case", "old", "new", "element", "message"), SCHEMA_CASES, ids=[c[0] for c in SCHEMA_CASES])
def test_schema_errors_are_german_with_element_and_line(app, case, old, new, element, message):
    assert old in SHIPPED, case
    found = problems(app, SHIPPED.replace(old, new, 1))
    schema = [p for p in found if p.message.startswith("Schemafehler (Zeile ")]
    assert schema, [p.message for p in found]
    assert any(message in p.message and (element is None or p.element_id == element) for p in schema), \
        [(p.element_id, p.message) for p in schema]
    assert_no_english(found)


def test_a_schema_error_does_not_hide_the_other_checks_or_the_engine(app):
    xml = (SHIPPED.replace('<bpmn:userTask id="vermittlung"', '<bpmn:userTask id="vermittlung" bogus="1"', 1)
           .replace('ergebnis == "ueberleiten"', 'ergebnis == "ueberleiten" and', 1)
           .replace('name="Koordinierungsstelle"', 'name="Hausmeisterei"', 1))
    found = problems(app, xml)
    codes = {p.code for p in found}
    assert {"schema.attribute", "expression.sandbox", "lane.unknown"} <= codes, codes
    assert_no_english(found)
    assert any("Syntaxfehler im Ausdruck: die Schreibweise ist ungültig" in p.message for p in found)


def _failing_parser(message: str, node_id: str | None = None):
    class Cause(Exception):
        id = node_id

    def parse(*_args, **_kwargs):
        try:
            raise Cause(message)
        except Cause as cause:
            raise SpecError(message) from cause
    return parse


def test_unknown_engine_text_becomes_a_german_sentence_with_element_and_line(app, monkeypatch):
    monkeypatch.setattr(validation, "parse_bpmn", _failing_parser("KeyError('spooky internals')", "vermittlung"))
    found = problems(app, SHIPPED)
    assert [(p.element_id, p.code) for p in found] == [("vermittlung", "engine.other")]
    assert "Die Prozess-Engine kann Benutzeraufgabe „Vermittlung“ (vermittlung) (Zeile " in found[0].message
    assert "spooky" not in found[0].message
    assert_no_english(found)


def test_known_engine_text_is_translated(app, monkeypatch):
    monkeypatch.setattr(validation, "parse_bpmn", _failing_parser(
        "A loopMaximum or loopCondition must be specified for Loop Tasks", "vermittlung"))
    found = problems(app, SHIPPED)
    assert [(p.element_id, p.code) for p in found] == [("vermittlung", "loop.missing")]
    assert_no_english(found)


def test_engine_that_cannot_read_a_schema_broken_file_says_so(app, monkeypatch):
    calls = []

    def parse(*args, **kwargs):
        calls.append(kwargs.get("schema"))
        return _failing_parser("AttributeError('NoneType' object has no attribute 'get')")()
    monkeypatch.setattr(validation, "parse_bpmn", parse)
    found = problems(app, SHIPPED.replace('<bpmn:userTask id="vermittlung"',
                                          '<bpmn:userTask id="vermittlung" bogus="1"', 1))
    assert calls == [False]  # the engine ran, without the schema check
    assert [p.code for p in found] == ["schema.attribute", "engine.schema"]
    assert "wegen der Schemafehler nicht vollständig prüfen" in found[1].message
    assert_no_english(found)


def test_without_the_models_process_id_the_file_is_checked_all_the_same(app):
    xml = (THIRDPARTY / "camunda7.bpmn").read_text(encoding="utf-8").replace("alltagsbegleitung", "Process_neu")
    found = problems(app, xml)
    assert found[0].element_id is None and "keinen Prozess mit der ID „alltagsbegleitung“" in found[0].message
    assert {"Activity_pruefen", "Flow_ja", "Lane_sachbearbeitung"} <= {p.element_id for p in found}
    assert_no_english(found)


def test_a_pool_whose_process_never_runs_is_named(app):
    xml = (THIRDPARTY / "bpmnio.bpmn").read_text(encoding="utf-8").replace(
        '<bpmn:participant id="Participant_1" name="Alltagsbegleitung (kurz)" processRef="alltagsbegleitung" />',
        '<bpmn:participant id="Participant_1" name="Alltagsbegleitung (kurz)" processRef="alltagsbegleitung" />'
        '<bpmn:participant id="Participant_2" name="Träger" processRef="Process_traeger" />').replace(
        "</bpmn:process>", '</bpmn:process><bpmn:process id="Process_traeger" isExecutable="false">'
        '<bpmn:startEvent id="StartEvent_t" /></bpmn:process>', 1)
    found = problems(app, xml)
    assert [(p.element_id, p.code) for p in found] == [("Participant_2", "structure.other_process")]
    assert "Pool „Träger“ (Participant_2): dieser Ablauf wird nie ausgeführt" in found[0].message


def test_a_file_of_black_box_pools_only_is_refused_in_german(app, api):
    data = (THIRDPARTY / "collaboration_black_box.bpmn").read_bytes()
    response = post_xml(api("prozess"), data)
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "Die BPMN-Datei enthält keinen Prozess (bpmn:process)."
    web = login(app.test_client(), "prozess")
    page = web.post("/prozessmodelle/alltagsbegleitung/entwuerfe",
                    data={"bpmn_file": (io.BytesIO(data), "pools.bpmn")}, content_type="multipart/form-data")
    assert page.status_code == 400
    assert "enthält keinen Prozess" in html.unescape(page.get_data(as_text=True))


@pytest.mark.parametrize(("payload", "reason"), [
    (b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'><bpmn:process></bpmn:definitions>",
     "ein schließendes Tag passt nicht zum geöffneten Element (Zeile 1, Spalte "),
    (b"<bpmn:definitions><x:process/></bpmn:definitions>", "ein Namensraum-Präfix ist nicht erklärt (Zeile 1"),
    (b"kein xml", "das ist kein XML-Text (Zeile 1, Spalte 1)"),
])
def test_broken_xml_is_described_in_german(app, api, payload, reason):
    message = post_xml(api("prozess"), payload).get_json()["error"]["message"]
    assert message.startswith("Die Datei ist kein gültiges XML: ") and reason in message, message
    assert ENGLISH.search(message) is None, message
