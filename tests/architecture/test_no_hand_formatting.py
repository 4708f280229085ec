"""Numbers, dates and money reach the reader through Flask-Babel (app/web/formatting.py filters),
never formatted by hand: no decimal comma by string replacement, no German date pattern for
output, no fixed-decimal f-string turned German.

The engine's script sandbox is the exception: its messages about process scripts (sandbox.py,
sandbox_worker.py) are German by design and the worker process runs without Flask.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXEMPT = {"app/engine/sandbox.py", "app/engine/sandbox_worker.py"}
PATTERNS = [
    (re.compile(r"""\.replace\(\s*(['"])\.\1\s*,\s*(['"]),\2\s*\)"""), "decimal comma by replace('.', ',')"),
    (re.compile(r"""strftime\(\s*['"][^'"]*%d\.%m"""), "German date pattern in strftime"),
    (re.compile(r"""\{[^{}]*:[,_]?\.\d+f\}"""), "fixed decimals in an f-string / format string"),
    (re.compile(r"""['"]%\.\d+f['"]\s*%"""), "'%.2f' % value"),
]


def _sources():
    for base in ("app", "forms"):
        for path in sorted((ROOT / base).rglob("*")):
            if path.suffix in (".py", ".html", ".svg", ".txt") and path.is_file():
                rel = path.relative_to(ROOT).as_posix()
                if rel not in EXEMPT:
                    yield rel, path.read_text(encoding="utf-8")


def test_no_number_or_date_is_formatted_by_hand():
    found = []
    for rel, text in _sources():
        for number, line in enumerate(text.splitlines(), 1):
            if line.lstrip().startswith("#"):
                continue
            for pattern, what in PATTERNS:
                if pattern.search(line):
                    found.append(f"{rel}:{number}: {what}: {line.strip()[:120]}")
    assert found == [], "use the Babel filters of app/web/formatting.py:\n" + "\n".join(found)


def test_the_check_catches_what_it_should():
    samples = ['f"{x:.2f}".replace(".", ",")', "d.strftime('%d.%m.%Y')", "'%.2f' % total"]
    for sample in samples:
        assert any(p.search(sample) for p, _ in PATTERNS), sample
