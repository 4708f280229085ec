"""Guided conditions and due dates (app/modeler/conditions.py) and the modeler's JSON endpoints
for them: round trip, hand-written expressions, the sandbox still refusing what it refused,
durations, fields of earlier forms, and who may use the endpoints."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.engine.models import ProcessModel
from app.engine.sandbox import RestrictedEnvironment, SandboxError, check_expression
from app.extensions import db
from app.modeler import conditions, durations, services
from app.modeler.conditions import Clause, ConditionError
from app.modeler.models import ProcessDraft
from app.modeler.validation import validate_bpmn
from tests.modeler.conftest import FIXTURES, SHIPPED

FIXTURE = (FIXTURES / "condition_fields.bpmn").read_text(encoding="utf-8")
KINDS = {"ergebnis": "choice", "alter": "number", "stunden": "number", "problem": "boolean", "beginn": "date",
         "notiz": "text", "themen": "multiple"}

ROUND_TRIP = [
    ([Clause("ergebnis", "gleich", "fortfuehren")], "und"),
    ([Clause("ergebnis", "ungleich", "beenden")], "und"),
    ([Clause("alter", "groesser_gleich", 18), Clause("alter", "kleiner_gleich", 27)], "und"),
    ([Clause("stunden", "kleiner", 2.5), Clause("stunden", "groesser", 10)], "oder"),
    ([Clause("ergebnis", "ist_einer_von", ["beenden", "ueberleiten"])], "und"),
    ([Clause("ergebnis", "ist_keiner_von", ["beenden"])], "und"),
    ([Clause("problem", "ist_ja"), Clause("notiz", "ist_ausgefuellt")], "oder"),
    ([Clause("problem", "ist_nein"), Clause("notiz", "ist_leer")], "und"),
    ([Clause("beginn", "kleiner", "2027-01-31")], "und"),
    ([Clause("themen", "enthaelt", "schule"), Clause("alter", "gleich", -1)], "und"),
    ([Clause("notiz", "gleich", 'Er sagte "nein" \\ und ging.\n')], "und"),
]


@pytest.mark.parametrize(("clauses", "join"), ROUND_TRIP)
def test_build_then_parse_gives_the_same_clauses(ctx, clauses, join):
    expression = conditions.build_condition(clauses, join, KINDS)
    assert check_expression(expression) is None
    assert conditions.parse_condition(expression, KINDS) == (clauses, join)


def test_built_expressions_run_in_the_sandbox_as_meant(ctx):
    env = RestrictedEnvironment()
    data = {"ergebnis": "fortfuehren", "alter": 27, "problem": False, "notiz": "", "themen": ["schule"],
            "beginn": "2026-12-05"}
    cases = [
        ([("ergebnis", "gleich", "fortfuehren")], "und", True),
        ([("alter", "groesser_gleich", "18"), ("alter", "kleiner_gleich", "27")], "und", True),
        ([("alter", "groesser", "27")], "und", False),
        ([("ergebnis", "ist_einer_von", ["beenden", "ueberleiten"])], "und", False),
        ([("problem", "ist_nein"), ("notiz", "ist_leer")], "und", True),
        ([("themen", "enthaelt", "wohnen"), ("beginn", "kleiner", "31.12.2026")], "oder", True),
    ]
    for clauses, join, expected in cases:
        expression = conditions.build_condition(clauses, join, KINDS)
        assert bool(env.evaluate(expression, dict(data))) is expected, expression


def test_values_from_the_editor_are_typed_by_field(ctx):
    assert conditions.build_condition([("alter", "groesser_gleich", "18")], "und", KINDS) == "alter >= 18"
    assert conditions.build_condition([("stunden", "kleiner", "2,5")], "und", KINDS) == "stunden < 2.5"
    assert conditions.build_condition([("ergebnis", "gleich", "18")], "und", KINDS) == 'ergebnis == "18"'
    assert conditions.build_condition([("beginn", "kleiner", "31.01.2027")], "und", KINDS) == 'beginn < "2027-01-31"'
    assert conditions.build_condition([("ergebnis", "ist_einer_von", ["a"])], "und", KINDS) == 'ergebnis in ("a",)'
    with pytest.raises(ConditionError, match="keine Zahl"):
        conditions.build_condition([("alter", "gleich", "achtzehn")], "und", KINDS)
    with pytest.raises(ConditionError, match="kein Datum"):
        conditions.build_condition([("beginn", "gleich", "morgen")], "und", KINDS)
    with pytest.raises(ConditionError, match="passt nicht"):
        conditions.build_condition([("problem", "kleiner", "1")], "und", KINDS)
    with pytest.raises(ConditionError):
        conditions.build_condition([("alter", "gleich", "18")], "xor", KINDS)
    with pytest.raises(ConditionError):
        conditions.build_condition([], "und", KINDS)


@pytest.mark.parametrize(("expression", "expected"), [
    ('ergebnis == "fortfuehren"', ([Clause("ergebnis", "gleich", "fortfuehren")], "und")),
    ("ergebnis == 'fortfuehren'", ([Clause("ergebnis", "gleich", "fortfuehren")], "und")),
    ("alter >= 18 and alter <= 27",
     ([Clause("alter", "groesser_gleich", 18), Clause("alter", "kleiner_gleich", 27)], "und")),
    ("18 <= alter <= 27", ([Clause("alter", "groesser_gleich", 18), Clause("alter", "kleiner_gleich", 27)], "und")),
    ('x in ("a", "b")', ([Clause("x", "ist_einer_von", ["a", "b"])], "und")),
    ('x not in ["a"]', ([Clause("x", "ist_keiner_von", ["a"])], "und")),
    ("problem", ([Clause("problem", "ist_ja")], "und")),
    ("not problem", ([Clause("problem", "ist_nein")], "und")),
    ("problem is False", ([Clause("problem", "ist_nein")], "und")),
    ('"schule" in themen or alter < 18', ([Clause("themen", "enthaelt", "schule"), Clause("alter", "kleiner", 18)],
                                          "oder")),
])
def test_hand_written_equivalents_are_read(expression, expected):
    assert conditions.parse_condition(expression, {"problem": "boolean"}) == expected


@pytest.mark.parametrize("expression", [
    'x == "a" and (y or z)', 'krise["dringlichkeit"] == "hoch"', "alter + 1 > 18", "x == y", "len(x) > 2",
    "a == 1 and b == 2 or c == 3", "", "x ==", "18 <= alter <= 27 or x == 1",
])
def test_other_expressions_are_for_experts(expression):
    assert conditions.parse_condition(expression) is None


@pytest.mark.parametrize("expression", [
    "().__class__.__bases__[0].__subclasses__()", "__import__('os').system('id')", "_x == 1",
    "import os", "x.__dict__ == {}", "(lambda: __builtins__)() == 1",
])
def test_sandbox_still_refuses_free_expressions_and_they_are_never_guided(expression):
    assert check_expression(expression) is not None
    assert conditions.parse_condition(expression) is None


def test_the_sandbox_still_refuses_dangerous_calls_when_running():
    env = RestrictedEnvironment()
    for expression in ("open('/etc/passwd').read() == ''", "getattr(x, 'real') == 1", "type(x) == int"):
        assert conditions.parse_condition(expression) is None
        with pytest.raises(SandboxError):
            env.evaluate(expression, {"x": 1})


def test_names_that_the_sandbox_refuses_cannot_be_built(ctx):
    for name in ("__class__", "_geheim", "import", "a.b", "1x"):
        with pytest.raises(ConditionError):
            conditions.build_condition([(name, "gleich", "x")])


def test_durations_number_and_unit_to_iso_and_back(ctx):
    for amount, unit, iso in ((5, "tage", "P5D"), (4, "stunden", "PT4H"), (30, "minuten", "PT30M"),
                              (2, "wochen", "P2W"), (6, "monate", "P6M"), (1, "jahre", "P1Y")):
        assert durations.to_iso(amount, unit) == iso
        assert durations.from_iso(iso) == (amount, unit)
    assert str(durations.label("P5D")) == "5 Tage"
    for bad in ((0, "tage"), (10000, "tage"), (5, "jahrzehnte"), (True, "tage"), ("5", "tage")):
        with pytest.raises(ValueError):
            durations.to_iso(*bad)
    assert durations.from_iso("P1DT4H") is None and durations.from_iso("14 Tage") is None


def test_due_dates_are_built_read_back_and_evaluate_to_dates(ctx):
    env = RestrictedEnvironment()
    assert conditions.build_due_date(5, "tage") == '"P5D"'
    assert conditions.parse_due_date('"P5D"') == (5, "tage", None, "nach")
    cases = [((2, "wochen", "beginn", "nach"), "2026-12-19"), ((3, "tage", "beginn", "vor"), "2026-12-02"),
             ((0, "tage", "beginn", "nach"), "2026-12-05")]
    for args, expected in cases:
        expression = conditions.build_due_date(*args)
        assert check_expression(expression) is None
        assert conditions.parse_due_date(expression) == args
        assert env.evaluate(expression, {"beginn": "2026-12-05"}) == expected
    assert conditions.parse_due_date('"PT1H" if krise["dringlichkeit"] == "hoch" else "PT4H"') is None
    assert conditions.parse_due_date('"P1DT4H"') is None
    for bad in ((0, "tage"), (5, "monate", "beginn"), (5, "tage", "_x"), (5, "tage", None, "vor"),
                (5, "tage", "beginn", "neben")):
        with pytest.raises(ConditionError):
            conditions.build_due_date(*bad)


def test_fields_before_a_gateway_come_from_the_earlier_form_with_labels_types_and_choices(ctx):
    fields = {f.name: f for f in conditions.fields_before(FIXTURE, "bedingungen", "gw")}
    assert (fields["art"].label, fields["art"].type) == ("Art des Kontakts", "choice")
    assert (fields["dauer_minuten"].label, fields["dauer_minuten"].task_name) == ("Dauer in Minuten",
                                                                                 "Kontakt erfassen")
    assert ("telefon", "Telefon") in fields["art"].choices
    assert fields["nachverfolgung"].type == "boolean"
    assert fields["nachverfolgung_bis"].type == "date"
    assert fields["dauer_minuten"].type == "number"
    assert fields["themen"].type == "multiple" and fields["themen"].choices
    assert {f.task_id for f in fields.values()} == {"erfassen"}
    # The same for a flow leaving the gateway and for the later task (its due date); nothing of
    # the later task's own form, nothing before the first task.
    assert {f.name for f in conditions.fields_before(FIXTURE, "bedingungen", "f_ja")} == set(fields)
    assert {f.name for f in conditions.fields_before(FIXTURE, "bedingungen", "nachverfolgen")} == set(fields)
    assert conditions.fields_before(FIXTURE, "bedingungen", "erfassen") == []
    assert conditions.fields_before(FIXTURE, "bedingungen", "gibt_es_nicht") == []
    assert conditions.fields_before(FIXTURE, "anderer_prozess", "gw") == []


# --- endpoints ---------------------------------------------------------------------------------------

def _draft_id(app) -> int:
    with app.app_context():
        model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == "alltagsbegleitung"))
        owner = db.session.scalar(select(User).where(User.username == "prozess"))
        draft = services.create_draft(model, owner, SHIPPED)
        db.session.commit()
        return draft.id


def _base(draft_id: int) -> str:
    return f"/prozessmodelle/alltagsbegleitung/entwuerfe/{draft_id}"


def test_endpoints_list_fields_check_and_build_for_the_process_owner(app, login_as):
    base = _base(_draft_id(app))
    owner = login_as("prozess")
    answer = owner.get(f"{base}/felder?element=gw_ergebnis")
    assert answer.status_code == 200
    fields = {f["name"]: f for f in answer.get_json()["fields"]}
    assert fields["ergebnis"]["type"] == "choice"
    assert {"value": "fortfuehren", "label": fields["ergebnis"]["choices"][1]["label"]} in fields["ergebnis"]["choices"]
    assert "gleich" in [o["key"] for o in fields["ergebnis"]["operators"]]
    assert {"key": "tage", "label": "Tage"} in answer.get_json()["units"]

    checked = owner.post(f"{base}/ausdruck-pruefen", json={"expression": 'ergebnis == "fortfuehren"',
                                                           "element": "gw_ergebnis"}).get_json()
    assert checked["ok"] and checked["guided"]["clauses"] == [
        {"field": "ergebnis", "operator": "gleich", "value": "fortfuehren"}]
    assert "ist gleich" in checked["guided"]["text"]
    refused = owner.post(f"{base}/ausdruck-pruefen", json={"expression": "().__class__"}).get_json()
    assert not refused["ok"] and refused["problem"] and refused["guided"] is None
    expert = owner.post(f"{base}/ausdruck-pruefen", json={"expression": "len(ziele) > 2"}).get_json()
    assert expert["ok"] and expert["guided"] is None
    due = owner.post(f"{base}/ausdruck-pruefen", json={"kind": "dueDate", "expression": '"P5D"'}).get_json()
    assert due["guided"]["amount"] == 5 and due["guided"]["unit"] == "tage"

    built = owner.post(f"{base}/ausdruck-bauen", json={
        "element": "gw_ergebnis", "join": "oder",
        "clauses": [{"field": "ergebnis", "operator": "gleich", "value": "beenden"},
                    {"field": "ergebnis", "operator": "ist_einer_von", "value": ["ueberleiten"]}]})
    assert built.status_code == 200
    assert built.get_json()["expression"] == 'ergebnis == "beenden" or ergebnis in ("ueberleiten",)'
    bad = owner.post(f"{base}/ausdruck-bauen", json={"clauses": [{"field": "_x", "operator": "gleich", "value": 1}]})
    assert bad.status_code == 422 and "Feldname" in bad.get_json()["problem"]
    due = owner.post(f"{base}/ausdruck-bauen", json={"kind": "dueDate", "amount": "14", "unit": "tage"})
    assert due.get_json()["expression"] == '"P14D"'
    # The diagram as it is in the browser (unsaved) can be sent along.
    posted = owner.post(f"{base}/felder", json={"element": "gw", "bpmn_xml": FIXTURE.replace(
        'id="bedingungen"', 'id="alltagsbegleitung"')})
    assert "nachverfolgung" in {f["name"] for f in posted.get_json()["fields"]}


@pytest.mark.parametrize("username", ["fb36", "leitung", "admin"])
def test_endpoints_are_for_process_owners_only(app, login_as, username):
    base = _base(_draft_id(app))
    client = login_as(username)
    assert client.get(f"{base}/felder?element=gw_ergebnis").status_code == 403
    assert client.post(f"{base}/ausdruck-pruefen", json={"expression": "x == 1"}).status_code == 403
    assert client.post(f"{base}/ausdruck-bauen", json={"clauses": []}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(ProcessDraft).where(ProcessDraft.id.isnot(None))) is not None


def test_endpoints_404_for_an_unknown_draft(login_as):
    owner = login_as("prozess")
    assert owner.get("/prozessmodelle/alltagsbegleitung/entwuerfe/999999/felder?element=x").status_code == 404
    assert owner.get("/prozessmodelle/gibtsnicht/entwuerfe/1/felder?element=x").status_code == 404


def test_validation_proves_coverage_of_guided_yes_no_conditions(ctx):
    yes = conditions.build_condition([("nachverfolgung", "ist_ja")], "und", {"nachverfolgung": "boolean"})
    no = conditions.build_condition([("nachverfolgung", "ist_nein")], "und", {"nachverfolgung": "boolean"})
    xml = (FIXTURE.replace(' default="f_nein"', "").replace("nachverfolgung == True", yes)
           .replace('<bpmn:sequenceFlow id="f_nein" sourceRef="gw" targetRef="ende" />',
                    f'<bpmn:sequenceFlow id="f_nein" sourceRef="gw" targetRef="ende">'
                    f"<bpmn:conditionExpression>{no}</bpmn:conditionExpression></bpmn:sequenceFlow>"))
    assert [p.message for p in validate_bpmn(xml, "bedingungen") if p.element_id in ("gw", "f_ja", "f_nein")] == []
    # Without the "no" branch the gateway lacks a default flow and a case.
    partial = FIXTURE.replace(' default="f_nein"', "")
    assert any(p.element_id in ("gw", "f_nein") for p in validate_bpmn(partial, "bedingungen"))
