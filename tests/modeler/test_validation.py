"""Each validation rule with a diagram that breaks it; the shipped model passes."""

from __future__ import annotations

import pytest

from app.modeler.validation import validate_bpmn
from tests.modeler.conftest import SHIPPED


def problems(app, xml: str, key: str = "alltagsbegleitung"):
    with app.test_request_context():
        return [(p.element_id, p.message) for p in validate_bpmn(xml, key)]


def test_shipped_model_has_no_problems(app):
    assert problems(app, SHIPPED) == []


FORM = '<spiffworkflow:property name="formKey" value="alltagsbegleitung.vermittlung" />'
CASES = [
    ("unknown form", FORM, '<spiffworkflow:property name="formKey" value="gibt.es.nicht" />',
     "vermittlung", "das Formular „gibt.es.nicht“ gibt es nicht"),
    ("no form", FORM, "", "vermittlung", "kein Formular gewählt"),
    ("unknown lane", 'name="Koordinierungsstelle"', 'name="Hausmeisterei"', "Lane_koordinierungsstelle",
     "Bahn „Hausmeisterei“ (Lane_koordinierungsstelle): der Name ist keiner bekannten Rolle zugeordnet"),
    ("unknown lane property", '<spiffworkflow:property name="lane" value="Leitung" />',
     '<spiffworkflow:property name="lane" value="Chefetage" />', "krise_eskalation",
     "die Zuständigkeit „Chefetage“ ist keine bekannte Bahn"),
    ("bad dueIn", '<spiffworkflow:property name="dueIn" value="P10D" />',
     '<spiffworkflow:property name="dueIn" value="zehn Tage" />', "vermittlung", "ist keine ISO-8601-Dauer"),
    ("condition does not compile", 'ergebnis == "ueberleiten"', 'ergebnis == "ueberleiten" and',
     "flow_ueberleiten", "Syntaxfehler"),
    ("condition escapes the sandbox", 'ergebnis == "ueberleiten"', 'ergebnis.__class__ == "x"',
     "flow_ueberleiten", "Nicht erlaubt"),
    ("script imports", "ende = neues_ende", "import os\nende = neues_ende", "neuer_zeitraum",
     "Import von Modulen"),
    ("script calls __import__", "ende = neues_ende", "ende = __import__('os').getcwd()", "neuer_zeitraum",
     "Nicht erlaubt"),
    ("unquoted timer duration", '"PT1H" if krise["dringlichkeit"] == "hoch" else "PT4H"', "PT4H",
     "krise_frist_abgelaufen", "muss in Anführungszeichen stehen"),
    ("invalid literal timer", '"PT1H" if krise["dringlichkeit"] == "hoch" else "PT4H"', '"vier Stunden"',
     "krise_frist_abgelaufen", "ist nicht eine ISO-8601-Dauer"),
    ("unreachable element", 'sourceRef="bedarfsermittlung" targetRef="vermittlung" />',
     'sourceRef="bedarfsermittlung" targetRef="vorgespraech" />',
     "vermittlung", "ist von keinem Startereignis aus erreichbar"),
    ("wrong process id", 'id="alltagsbegleitung" name="Alltagsbegleitung" isExecutable',
     'id="Process_1" name="Alltagsbegleitung" isExecutable', None, "keinen Prozess mit der ID „alltagsbegleitung“"),
    # issue 11: these raised RecursionError in compile and gave a 500
    ("condition nested too deep", 'ergebnis == "ueberleiten"', '"1"' + '+"1"' * 4000,
     "flow_ueberleiten", "zu tief verschachtelt"),
    ("condition of 3000 nots", 'ergebnis == "ueberleiten"', "not " * 3000 + "ergebnis",
     "flow_ueberleiten", "zu tief verschachtelt"),
    ("condition too long", 'ergebnis == "ueberleiten"', '"1"' + '+"1"' * 30000,
     "flow_ueberleiten", "zu lang"),
    ("script nested too deep", "ende = neues_ende", "ende = " + "-" * 60000 + "1", "neuer_zeitraum",
     "zu tief verschachtelt"),
    ("schema error", '<bpmn:userTask id="vermittlung"', '<bpmn:userTask id="vermittlung" bogus="1"', "vermittlung",
     "Schemafehler (Zeile"),
]


@pytest.mark.parametrize(("rule", "old", "new", "element", "message"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_reports_the_broken_element(app, rule, old, new, element, message):
    assert old in SHIPPED, rule
    found = problems(app, SHIPPED.replace(old, new, 1))
    assert found, f"{rule}: no problem reported"
    assert any(e == element and message in m for e, m in found), found


def test_gateway_without_default_lists_the_uncovered_value(app):
    xml = SHIPPED.replace('default="flow_beenden"', "", 1)
    found = problems(app, xml)
    # flow_beenden has no condition and is no longer the default flow
    assert any(e == "flow_beenden" and "ohne Bedingung" in m for e, m in found), found


def test_gateway_conditions_covering_every_value_need_no_default(app):
    xml = SHIPPED.replace('default="flow_beenden"', "", 1).replace(
        '<bpmn:sequenceFlow id="flow_beenden" name="beenden" sourceRef="gw_ergebnis" targetRef="end_beendet" />',
        '<bpmn:sequenceFlow id="flow_beenden" name="beenden" sourceRef="gw_ergebnis" targetRef="end_beendet">'
        '<bpmn:conditionExpression>ergebnis == "beenden"</bpmn:conditionExpression></bpmn:sequenceFlow>', 1)
    assert problems(app, xml) == []
    missing = xml.replace('ergebnis == "ueberleiten"', 'ergebnis == "beenden"', 1)
    found = problems(app, missing)
    assert any(e == "gw_ergebnis" and "„ueberleiten“" in m for e, m in found), found


def test_all_problems_are_listed_at_once(app):
    xml = SHIPPED.replace(FORM, "", 1).replace("ende = neues_ende", "import os", 1)
    ids = {e for e, _m in problems(app, xml)}
    assert {"vermittlung", "neuer_zeitraum"} <= ids


def test_a_hostile_condition_in_an_uploaded_draft_is_a_problem_not_a_500(app, api):
    from tests.modeler.conftest import post_xml

    owner = api("prozess")
    response = post_xml(owner, SHIPPED.replace('ergebnis == "ueberleiten"', '"1"' + '+"1"' * 4000, 1))
    assert response.status_code in (201, 422), response.status_code
    body = response.get_json()
    assert "zu tief verschachtelt" in str(body)
