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


ENGINE = sorted((ROOT / "app" / "engine").glob("*.py"))
FEATURES = sorted(p.name for p in (ROOT / "app").iterdir()
                  if p.is_dir() and (p / "__init__.py").exists() and p.name not in {"engine", "auth"})


def test_the_scan_sees_the_engine_and_the_features():
    assert {"actions.py", "runtime.py", "taskrows.py", "timers.py", "versions.py"} <= {p.name for p in ENGINE}
    assert {"cases", "crisis", "notify", "decisions", "absence", "api"} <= set(FEATURES)


@pytest.mark.parametrize("path", ENGINE, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_engine_imports_no_feature_and_nothing_inside_functions(path):
    """Features plug into the engine through signals (app/engine/signals.py), the event registry
    and small providers (app.engine.specs.provide_decisions, app.auth.deputies); an import inside
    a function is how a cycle used to be hidden. ``make lint`` checks the same as a contract."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    wrong = []
    for line, module, _name in _imports(path):
        parts = module.split(".")
        if parts[0] == "forms" or (parts[0] == "app" and len(parts) > 1 and parts[1] in FEATURES):
            wrong.append(f"line {line}: imports {module}")
        elif parts[:2] == ["app", "auth"] and module not in {"app.auth", "app.auth.models", "app.auth.deputies"}:
            wrong.append(f"line {line}: imports {module}")
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            wrong += [f"line {node.lineno}: import inside {function.name}()" for node in ast.walk(function)
                      if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app")]
    assert wrong == []


def test_the_facade_exports_the_public_door_only():
    """``app.engine.service`` stays importable for every feature (a thin facade over the split
    modules) and exports no underscore name."""
    from app.engine import service

    assert service.__all__ and not [name for name in service.__all__ if name.startswith("_")]
    assert all(callable(getattr(service, name)) for name in service.__all__)
    assert service.start_instance.__module__ == "app.engine.actions"
    assert len((ROOT / "app" / "engine" / "service.py").read_text(encoding="utf-8").splitlines()) < 80
