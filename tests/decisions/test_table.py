"""The editor's table model without the web: constants, form round trip, actions, diff, engine."""

from __future__ import annotations

from app.decisions import services
from app.decisions import table as t

DMN_MODEL = t.TableModel(
    decision_id="rabatt", name="Rabatt", hit_policy="FIRST",
    inputs=[t.Column("in_alter", "Alter", "alter", "integer"), t.Column("in_ort", "Ort", "ort", "string")],
    outputs=[t.Column("out_rabatt", "Rabatt", "rabatt")],
    rules=[t.Rule("r_jung", "Jung", ["< Grenze", ""], ["Hoch"]),
           t.Rule("r_ort", "Ort", ["", '"Grenze"'], ["10"]),
           t.Rule("r_sonst", "Sonst", ["", ""], ["0"])],
    constants=[t.Constant("Grenze", "18"), t.Constant("Hoch", "25")],
    tests=[t.TestCase("jung", {"alter": "17", "ort": '"Nord"'}, {"rabatt": "25"}),
           t.TestCase("Text Grenze bleibt Text", {"alter": "40", "ort": '"Grenze"'}, {"rabatt": "10"})],
)


def test_constants_are_expanded_outside_string_literals_only():
    values = {"Grenze": "18", "Liste": '("a", "b")'}
    assert t.expand("< Grenze", values) == "< 18"
    assert t.expand('"Grenze"', values) == '"Grenze"'
    assert t.expand("? in Liste", values) == '? in (("a", "b"))'
    assert t.expand("x.Grenze", values) == "x.Grenze"
    assert t.constant_names_used('<= Altersgrenze and "Text" != Ort or True') == ["Altersgrenze", "Ort"]


def test_form_round_trip_and_structural_actions():
    data = t.form_data(DMN_MODEL)
    again = t.from_form("rabatt", data)
    assert again.to_json() == DMN_MODEL.to_json()
    assert t.apply_action(again, "regel-runter-0") and [r.id for r in again.rules] == ["r_ort", "r_jung", "r_sonst"]
    assert t.apply_action(again, "regel-hoch-1") and [r.id for r in again.rules] == ["r_jung", "r_ort", "r_sonst"]
    assert t.apply_action(again, "regel-hoch-0") and [r.id for r in again.rules][0] == "r_jung"  # stays first
    assert t.apply_action(again, "eingabe-loeschen-1") and [r.inputs for r in again.rules] == [["< Grenze"], [""], [""]]
    assert not t.apply_action(again, "etwas-anderes")


def test_engine_evaluates_the_generated_table_with_first_hit_policy(ctx):
    xml = t.to_dmn(DMN_MODEL)
    assert "Grenze" in xml  # only as the string literal of rule r_ort
    assert "&lt; 18" in xml and ">25<" in xml
    assert [r.passed for r in services.run_tests(DMN_MODEL)] == [True, True]
    services.check_dmn(xml)


def test_diff_names_constants_hit_policy_and_cells():
    new = t.TableModel.from_json(DMN_MODEL.to_json())
    new.constants[0].value = "21"
    new.hit_policy = "COLLECT"
    new.rules[2].outputs[0] = "5"
    texts = [c.text for c in t.diff(DMN_MODEL, new)]
    assert "Konstante Grenze: 18 → 21" in texts
    assert "Trefferregel: FIRST → COLLECT" in texts
    assert "Regel 3 „Sonst“, Rabatt: „0“ → „5“" in texts
    assert len(texts) == 3
