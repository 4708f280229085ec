"""Every label of bpmn-js the process owner sees is German: the strings that the palette, the
context pad, the replace menu, diagram-js and the properties panel (its BPMN part and its
header) pass to ``translate`` are collected from node_modules and run through
assets/translate.js with node; none may come back unchanged (apart from words that are the
same in German). Skipped where node or node_modules are missing (CI has both: it builds the
assets)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = ROOT / "node_modules"
SAME_IN_GERMAN = {"Name", "ID", "Signal", "Link", "Code"}
CALL = re.compile(r"""translate\(\s*(['"])((?:\\.|(?!\1).)+)\1""")
LABEL = re.compile(r"""label:\s*(['"])((?:\\.|(?!\1).)+)\1""")

pytestmark = pytest.mark.skipif(shutil.which("node") is None or not (MODULES / "bpmn-js").exists(),
                                reason="node and node_modules are needed")


def _code_lines(text: str) -> str:
    """The text without comment lines (JSDoc examples such as translate('HELLO {you}'))."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(("*", "//", "/*")))


def _calls(path: Path, pattern=CALL) -> set[str]:
    return {m.group(2) for m in pattern.finditer(_code_lines(path.read_text(encoding="utf-8")))}


def visible_strings() -> set[str]:
    strings: set[str] = set()
    bpmn = MODULES / "bpmn-js" / "lib" / "features"
    for path in bpmn.rglob("*.js"):
        strings |= _calls(path)
    for path in [*(bpmn / "replace").glob("*.js"), *(bpmn / "popup-menu").glob("*.js")]:
        strings |= _calls(path, LABEL)  # replace menu entries, translated by their provider
    for path in (MODULES / "diagram-js" / "lib" / "features").rglob("*.js"):
        if "spec" not in path.parts:
            strings |= _calls(path)
    strings |= _calls(MODULES / "@bpmn-io" / "properties-panel" / "dist" / "index.esm.js")
    panel = (MODULES / "bpmn-js-properties-panel" / "dist" / "index.esm.js").read_text(encoding="utf-8")
    bpmn_part = _code_lines(panel[:panel.index("function ActiveElementsProps(")])  # before Camunda/Zeebe
    strings |= {m.group(2) for m in CALL.finditer(bpmn_part)}
    # the header: the element's concrete type split into words (PanelHeaderProvider)
    icons = bpmn_part[bpmn_part.index("var iconsByType = {"):]
    icons = icons[:icons.index("};")]
    for key in re.findall(r"'([A-Za-z]+)':", icons):
        words = re.sub(r"(\B[A-Z])", r" \1", key)
        strings.add(re.sub(r"(\bNon Interrupting)", r"(\1)", words))
    return {s for s in strings if "' + " not in s}


def test_every_visible_bpmn_js_label_has_a_german_translation():
    strings = sorted(visible_strings())
    assert len(strings) > 150  # the scan found the modules' strings
    script = ("import { translate } from './assets/translate.js';\n"
              "let data = ''; process.stdin.on('data', (c) => { data += c; });\n"
              "process.stdin.on('end', () => { const out = {};\n"
              "  for (const s of JSON.parse(data)) out[s] = translate(s, {});\n"
              "  process.stdout.write(JSON.stringify(out)); });\n")
    result = subprocess.run(["node", "--input-type=module", "-e", script], cwd=ROOT, input=json.dumps(strings),
                            capture_output=True, text=True, timeout=60, check=True)
    german = json.loads(result.stdout)
    english = [s for s in strings if german[s] == s and s not in SAME_IN_GERMAN]
    assert english == []
