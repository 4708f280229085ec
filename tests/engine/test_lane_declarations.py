"""Lane rules and limited fields are declared per process (processes/<key>.lanes.toml)."""

from __future__ import annotations

import re

import pytest

from app.cases.services import visible_data
from app.engine import lanes
from app.engine.lanes import LIMITED_FIELDS, limited_fields
from app.engine.models import FULL, LIMITED


def test_every_lane_of_a_shipped_process_is_declared_by_that_process():
    for key, declared in lanes.DECLARATIONS.items():
        bpmn = (lanes.LANES_DIR / f"{key}.bpmn").read_text(encoding="utf-8")
        used = set(re.findall(r'<bpmn:lane [^>]*name="([^"]+)"', bpmn))
        used |= set(re.findall(r'<spiffworkflow:property name="lane" value="([^"]+)"', bpmn))
        assert used and used <= set(declared.rules), (key, used - set(declared.rules))
    assert set(lanes.DECLARATIONS) == {"alltagsbegleitung", "beratungskontakt", "mbe_beratung", "junge_erwachsene"}


def test_the_catalogue_and_the_volunteer_fields_come_from_the_declarations():
    assert lanes.LANE_RULES["Koordinierungsstelle"] == (lanes.TEAM, "k201")
    assert lanes.LANE_RULES["Alltagsbegleitung"] == (lanes.USER_FROM_DATA, "ehrenamtliche")
    assert lanes.LIMITED_FIELDS == lanes.DECLARATIONS["alltagsbegleitung"].limited_fields
    assert "familienname" in lanes.LIMITED_FIELDS and "notizen" not in lanes.LIMITED_FIELDS


@pytest.mark.parametrize("text, message", [
    ('[lanes]\nA = { rule = "somewhere" }\n', "unknown rule"),
    ('[lanes]\nA = { rule = "team" }\n', "needs 'team'"),
])
def test_a_bad_declaration_is_refused(tmp_path, text, message):
    (tmp_path / "p.lanes.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        lanes.load_declarations(tmp_path)


def test_one_lane_name_means_one_rule_in_every_process(tmp_path):
    (tmp_path / "a.lanes.toml").write_text('[lanes]\nX = { rule = "starter" }\n', encoding="utf-8")
    (tmp_path / "b.lanes.toml").write_text('[lanes]\nX = { rule = "owner_team" }\n', encoding="utf-8")
    with pytest.raises(ValueError, match="differs"):
        lanes._catalogue(lanes.load_declarations(tmp_path))


def test_a_volunteer_sees_the_fields_its_process_declares_not_those_of_another(ctx):  # builder flags: DB
    """Limited fields are per process: an MBE case declares none (no volunteer lane), an
    Alltagsbegleitung case its own list; a process without a declaration gets the shipped lists."""
    data = {"familienname": "Beispiel", "anamnese": "vertraulich", "beratungsthemen": ["Wohnen"]}
    assert "familienname" in limited_fields("alltagsbegleitung")
    assert limited_fields("mbe_beratung") == frozenset()
    assert limited_fields("im_modeler_gezeichnet") == LIMITED_FIELDS
    assert visible_data(data, LIMITED, "alltagsbegleitung") == {"familienname": "Beispiel"}
    assert visible_data(data, LIMITED, "mbe_beratung") == {}
    assert visible_data(data, FULL, "mbe_beratung") == data
