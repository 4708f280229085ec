"""mypy guards app/ and forms/: `make lint` (and so CI) runs it, and nobody switches it off
for our own code. The type check itself runs in `make lint`, not here (it takes a while on a
loaded machine); these checks keep the configuration honest."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _mypy_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]


def test_mypy_checks_app_and_forms_strictly_enough():
    config = _mypy_config()
    assert config["files"] == ["app", "forms"]
    assert config.get("check_untyped_defs") is True
    # Missing imports are tolerated only per untyped third-party library, never globally.
    assert "ignore_missing_imports" not in config
    assert "ignore_errors" not in config


def test_no_module_of_ours_is_exempt():
    for override in _mypy_config().get("overrides", []):
        modules = override["module"] if isinstance(override["module"], list) else [override["module"]]
        ours = [m for m in modules if m.split(".")[0] in ("app", "forms")]
        assert not ours, f"mypy override for our own modules: {ours}"
        assert "ignore_errors" not in override
        assert "disable_error_code" not in override


def test_make_lint_runs_mypy_and_ci_runs_make_lint():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lint = re.search(r"^lint:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert lint is not None
    assert "mypy app forms" in lint.group(1)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make lint$", ci, re.MULTILINE)
