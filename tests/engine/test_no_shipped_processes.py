"""Issue 12: engine tests run on small BPMN fixtures of their own (tests/engine/fixtures/), so a
process owner editing a shipped process (processes/*.bpmn) cannot break them.

Two checks: no engine test module names a shipped process or the processes/ folder (read from
the source), and no engine test starts a case of a shipped process (tests/engine/conftest.py
counts them around every test that has a database; its guard is checked here too).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import select

from app.auth.models import Team
from app.engine import lanes, service
from app.engine.models import ProcessModel
from app.extensions import db
from tests import factories
from tests.engine.conftest import SHIPPED_KEYS, assert_no_shipped_case_started, shipped_cases

HERE = Path(__file__).parent
#: Tests about the shipped processes themselves (not engine features) may name them: the lane
#: declarations of processes/, and this module, which names them to look for them.
ABOUT_SHIPPED_CONTENT = {"test_lane_declarations.py", Path(__file__).name}


def _literals(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def test_the_shipped_processes_are_known():
    assert {"alltagsbegleitung", "mbe_beratung", "beratungskontakt"} <= SHIPPED_KEYS


@pytest.mark.parametrize("module", sorted(p.name for p in HERE.glob("*.py")
                                          if p.name not in ABOUT_SHIPPED_CONTENT))
def test_engine_tests_do_not_name_a_shipped_process(module):
    literals = _literals(HERE / module)
    assert not literals & SHIPPED_KEYS, f"{module} names {sorted(literals & SHIPPED_KEYS)}"
    assert "processes" not in literals and not any(s.startswith("processes/") for s in literals), \
        f"{module} reads the processes/ folder"


def test_fixtures_are_not_shipped_processes():
    fixtures = {p.name.removesuffix(".bpmn") for p in (HERE / "fixtures").glob("*.bpmn")}
    assert fixtures and not fixtures & SHIPPED_KEYS
    for path in (HERE / "fixtures").glob("*.bpmn"):
        assert f'<bpmn:process id="{path.stem}"' in path.read_text(encoding="utf-8"), path.name


def test_a_case_of_a_shipped_process_is_noticed(ctx):
    """The guard of tests/engine/conftest.py fails a test that starts a shipped process."""
    before = shipped_cases()
    model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == sorted(SHIPPED_KEYS)[0]))
    asd = db.session.scalar(select(Team).where(Team.key == "asd"))
    service.start_instance(model, factories.user("fb36"), asd)
    db.session.flush()
    with pytest.raises(AssertionError, match="case\\(s\\) of a shipped process"):
        assert_no_shipped_case_started(before, "this test")
    db.session.rollback()  # nothing stays behind, so this test passes the guard itself
    assert_no_shipped_case_started(before, "this test")


def test_fixture_lanes_are_registered_only_during_a_test(fixture_lanes):
    assert "engine_case" in fixture_lanes and "engine_case" in lanes.DECLARATIONS
    assert lanes.LANE_RULES["Probe-Gruppe"] == (lanes.TEAM, "k201")
    with pytest.raises(ValueError, match="already declared"):
        with lanes.declared(HERE / "fixtures"):
            pass


def test_declared_lanes_end_with_the_block_and_cannot_redefine_a_shipped_lane(tmp_path):
    (tmp_path / "probe.lanes.toml").write_text('[lanes]\nProbe-X = { rule = "starter" }\n', encoding="utf-8")
    with lanes.declared(tmp_path):
        assert lanes.LANE_RULES["Probe-X"] == (lanes.STARTER, None) and "probe" in lanes.DECLARATIONS
    assert "Probe-X" not in lanes.LANE_RULES and "probe" not in lanes.DECLARATIONS
    (tmp_path / "probe.lanes.toml").write_text('[lanes]\nKoordinierungsstelle = { rule = "starter" }\n',
                                               encoding="utf-8")
    with pytest.raises(ValueError, match="differs"), lanes.declared(tmp_path):
        pass
    assert lanes.LANE_RULES["Koordinierungsstelle"] == (lanes.TEAM, "k201")
    (tmp_path / "probe.lanes.toml").write_text(
        '[lanes]\nProbe-X = { rule = "starter" }\n[limited]\nfields = ["notizen"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="limited fields"), lanes.declared(tmp_path):
        pass
