"""The engine sits behind one door (issue 12): outside ``app/engine/`` no module imports
SpiffWorkflow or an underscore name of the engine's modules. Read from the source, so the test
also sees imports inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for base in ("app", "forms") for p in (ROOT / base).rglob("*.py")
                 if "engine" not in p.relative_to(ROOT).parts[:2])


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                yield node.lineno, node.module, alias.name
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id == "service" and node.attr.startswith("_"):
            yield node.lineno, "app.engine.service", node.attr


def test_the_scan_sees_files_outside_the_engine():
    names = {p.relative_to(ROOT).as_posix() for p in SOURCES}
    assert "app/monitor/services.py" in names and "app/modeler/validation.py" in names
    assert not any(n.startswith("app/engine/") for n in names)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_spiffworkflow_and_no_private_engine_names_outside_the_engine(path):
    wrong = []
    for line, module, name in _imports(path):
        if module.split(".")[0] == "SpiffWorkflow":
            wrong.append(f"line {line}: imports {module}")
        elif module.startswith("app.engine") and name and name.startswith("_"):
            wrong.append(f"line {line}: uses {module}.{name}")
    assert wrong == []


def test_no_template_branches_on_a_process_key():
    """Features plug their parts into shared pages (e.g. the case view's plan panel through
    ``app.cases.services.case_plan_panel``) instead of a template asking which process it is."""
    offenders = [p.relative_to(ROOT).as_posix() for p in (ROOT / "app" / "templates").rglob("*.html")
                 if "model.key ==" in p.read_text(encoding="utf-8")]
    assert offenders == []
