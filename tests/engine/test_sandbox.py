"""The sandboxed script engine, exercised through real SpiffWorkflow workflows."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from app.engine.isolation import make_script_engine
from app.engine.sandbox import (
    RestrictedEnvironment,
    SandboxError,
    check_expression,
    check_script,
)

TIMEOUT = 0.5

# ---------------------------------------------------------------------------------------------
# Tiny BPMN models
# ---------------------------------------------------------------------------------------------

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'id="defs" targetNamespace="http://bpmn.io/schema/bpmn">\n'
    '<bpmn:process id="p" isExecutable="true">\n<bpmn:startEvent id="start"/>\n'
)
_TAIL = '<bpmn:endEvent id="end"/>\n</bpmn:process>\n</bpmn:definitions>\n'


def _flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>\n'
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(condition)}'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>\n"
    )


def _script_task(task_id: str, script: str) -> str:
    return f'<bpmn:scriptTask id="{task_id}"><bpmn:script>{escape(script)}</bpmn:script>' \
        "</bpmn:scriptTask>\n"


def script_bpmn(script: str) -> str:
    return (
        _HEAD + _script_task("script", script)
        + _flow("f1", "start", "script") + _flow("f2", "script", "end") + _TAIL
    )


def gateway_bpmn(condition: str) -> str:
    """Exclusive gateway: `condition` true -> weg = "ja", default flow -> weg = "nein"."""
    return (
        _HEAD
        + '<bpmn:exclusiveGateway id="gw" default="f_no"/>\n'
        + _script_task("yes", 'weg = "ja"') + _script_task("no", 'weg = "nein"')
        + _flow("f1", "start", "gw") + _flow("f_yes", "gw", "yes", condition)
        + _flow("f_no", "gw", "no") + _flow("f3", "yes", "end") + _flow("f4", "no", "end")
        + _TAIL
    )


def timer_bpmn(duration_expression: str) -> str:
    """Intermediate timer whose duration is a Python expression, then a script task."""
    return (
        _HEAD
        + '<bpmn:intermediateCatchEvent id="timer"><bpmn:timerEventDefinition>'
        + '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">'
        + f"{escape(duration_expression)}</bpmn:timeDuration>"
        + "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>\n"
        + _script_task("after", "nach_timer = True")
        + _flow("f1", "start", "timer") + _flow("f2", "timer", "after")
        + _flow("f3", "after", "end") + _TAIL
    )


def prepost_bpmn(pre: str, post: str) -> str:
    """A manual task with spiffworkflow:preScript / postScript extensions."""
    return (
        _HEAD
        + '<bpmn:manualTask id="manual"><bpmn:extensionElements>'
        + f"<spiffworkflow:preScript>{escape(pre)}</spiffworkflow:preScript>"
        + f"<spiffworkflow:postScript>{escape(post)}</spiffworkflow:postScript>"
        + "</bpmn:extensionElements></bpmn:manualTask>\n"
        + _flow("f1", "start", "manual") + _flow("f2", "manual", "end") + _TAIL
    )


BUSINESS_RULE_BPMN = (
    _HEAD
    + '<bpmn:businessRuleTask id="regel"><bpmn:extensionElements>'
    + "<spiffworkflow:calledDecisionId>einstufung</spiffworkflow:calledDecisionId>"
    + "</bpmn:extensionElements></bpmn:businessRuleTask>\n"
    + _flow("f1", "start", "regel") + _flow("f2", "regel", "end") + _TAIL
)


def dmn_xml(input_entry: str, output_entry: str) -> str:
    """Decision `einstufung` on `alter`: rule 1 is given, rule 2 is `>= 18` -> "erwachsen"."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs_dmn" '
        'name="d" namespace="http://example.org/dmn">'
        '<decision id="einstufung" name="Einstufung"><decisionTable id="table">'
        '<input id="i1" label="Alter"><inputExpression id="ie1" typeRef="integer">'
        "<text>alter</text></inputExpression></input>"
        '<output id="o1" label="Gruppe" name="gruppe" typeRef="string"/>'
        f'<rule id="r1"><inputEntry id="e1"><text>{escape(input_entry)}</text></inputEntry>'
        f'<outputEntry id="oe1"><text>{escape(output_entry)}</text></outputEntry></rule>'
        '<rule id="r2"><inputEntry id="e2"><text>&gt;= 18</text></inputEntry>'
        '<outputEntry id="oe2"><text>"erwachsen"</text></outputEntry></rule>'
        "</decisionTable></decision></definitions>"
    )


def new_workflow(
    xml: str, data: dict | None = None, timeout: float = TIMEOUT, dmn: str | None = None
) -> BpmnWorkflow:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_str(xml.encode("utf-8"))
    if dmn is not None:
        parser.add_dmn_str(dmn.encode("utf-8"))
    workflow = BpmnWorkflow(
        parser.get_spec("p"),
        parser.get_subprocess_specs("p"),
        script_engine=make_script_engine(timeout=timeout),
    )
    if data:
        (start,) = workflow.get_tasks(state=TaskState.READY)
        start.data.update(data)
    return workflow


def run(xml: str, data: dict | None = None, timeout: float = TIMEOUT) -> BpmnWorkflow:
    workflow = new_workflow(xml, data, timeout)
    workflow.do_engine_steps()
    return workflow


def sandbox_error(exc: BaseException) -> SandboxError:
    """The SandboxError behind a Spiff exception (Spiff wraps it, keeping it as context)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, SandboxError):
            return seen
        seen = seen.__cause__ or seen.__context__
    raise AssertionError(f"no SandboxError behind {exc!r}")


def task_data(workflow: BpmnWorkflow, spec_name: str) -> dict:
    (task,) = [t for t in workflow.get_tasks() if t.task_spec.name == spec_name]
    return task.data


# ---------------------------------------------------------------------------------------------
# Legitimate scripts and expressions
# ---------------------------------------------------------------------------------------------


def test_script_arithmetic_structures_and_loops() -> None:
    script = (
        "summe = a + b * 2\n"
        "liste = [summe, 'x']\n"
        "liste.append(3)\n"
        "daten = {'summe': summe, 'teile': [a, b]}\n"
        "daten['neu'] = True\n"
        "daten['teile'][0] = 10\n"
        "quadrate = [i * i for i in range(4)]\n"
        "paare = {k: v for k, v in zip(['x', 'y'], [1, 2])}\n"
        "zaehler = 0\n"
        "while zaehler < 3:\n"
        "    zaehler += 1\n"
        "erster, *rest = liste\n"
        "text = f'{summe:05d}-' + '%s/%d' % ('a', 2) + ' '.join(['b', 'c'])\n"
        "gross = max(quadrate) > 5 and not any(q < 0 for q in quadrate)\n"
        "erstes_grosses = next((q for q in quadrate if q > 3), None)\n"
    )
    workflow = run(script_bpmn(script), {"a": 1, "b": 2})
    assert workflow.is_completed()
    data = workflow.last_task.data
    assert data["summe"] == 5
    assert data["liste"] == [5, "x", 3]
    assert data["daten"] == {"summe": 5, "teile": [10, 2], "neu": True}
    assert data["quadrate"] == [0, 1, 4, 9]
    assert data["paare"] == {"x": 1, "y": 2}
    assert data["zaehler"] == 3
    assert (data["erster"], data["rest"]) == (5, ["x", 3])
    assert data["text"] == "00005-a/2b c"
    assert data["gross"] is True
    assert data["erstes_grosses"] == 4


def test_script_reads_overwrites_and_deletes_variables() -> None:
    script = "zaehler = zaehler + 1\nname = name.upper()\ndel alt\nneu = len(name)"
    workflow = run(script_bpmn(script), {"zaehler": 1, "name": "anna", "alt": "weg damit"})
    assert workflow.last_task.data == {"zaehler": 2, "name": "ANNA", "neu": 4}


def test_functions_and_print_do_not_leak_into_task_data() -> None:
    script = (
        "def doppelt(x):\n    return x * 2\n"
        "ergebnis = doppelt(21)\n"
        "sortiert = sorted([3, 1, 2], key=lambda v: -v)\n"
        "print('wird verworfen')\n"
    )
    workflow = run(script_bpmn(script))
    assert workflow.last_task.data == {"ergebnis": 42, "sortiert": [3, 2, 1]}
    # Still plain, serialisable task data.
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    assert '"ergebnis": 42' in serializer.serialize_json(workflow)


def test_date_arithmetic() -> None:
    script = (
        "frist = beginn + timedelta(days=14)\n"
        "tage = (frist - date(2024, 1, 1)).days\n"
        "text = datetime(2024, 5, 1, 12, 30).strftime('%d.%m.%Y %H:%M')\n"
        "gelesen = datetime.strptime('05.01.2024', '%d.%m.%Y').date().isoformat()\n"
        "heute_ok = date.today() > date(2020, 1, 1)\n"
        "frist = frist.isoformat()\n"
    )
    workflow = run(script_bpmn(script), {"beginn": date(2024, 1, 31)})
    data = workflow.last_task.data
    assert data["frist"] == "2024-02-14"
    assert data["tage"] == 44
    assert data["text"] == "01.05.2024 12:30"
    assert data["gelesen"] == "2024-01-05"
    assert data["heute_ok"] is True


@pytest.mark.parametrize(
    ("condition", "data", "expected"),
    [
        ('ergebnis == "beenden"', {"ergebnis": "beenden"}, "ja"),
        ('ergebnis == "beenden"', {"ergebnis": "fortfuehren"}, "nein"),
        ("not abschluss_einleiten", {"abschluss_einleiten": False}, "ja"),
        ("not abschluss_einleiten", {"abschluss_einleiten": True}, "nein"),
        ("len(teilnehmer) >= 2 and alter > 17", {"teilnehmer": [1, 2], "alter": 18}, "ja"),
        ("\n    betrag * 2 > 100\n", {"betrag": 60}, "ja"),  # whitespace as editors leave it
    ],
)
def test_gateway_conditions(condition: str, data: dict, expected: str) -> None:
    workflow = run(gateway_bpmn(condition), data)
    assert workflow.is_completed()
    assert workflow.last_task.data["weg"] == expected


def test_timer_duration_expression_is_evaluated(clock) -> None:
    workflow = run(timer_bpmn('f"PT{frist_stunden}H"'), {"frist_stunden": 2})
    assert not workflow.is_completed()
    (waiting,) = workflow.get_tasks(state=TaskState.WAITING)
    due = datetime.fromisoformat(waiting._get_internal_data("event_value"))
    assert (due - clock.now).total_seconds() == 7200


def test_timer_with_zero_duration_fires(clock) -> None:
    workflow = run(timer_bpmn('"PT" + str(sekunden) + "S"'), {"sekunden": 0})
    clock.advance(seconds=1)  # the engine's time moves on; nothing sleeps
    workflow.refresh_timers()
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert workflow.last_task.data["nach_timer"] is True


@pytest.mark.parametrize(
    ("input_entry", "alter", "expected"),
    [("< 18", 10, "kind"), ("< 18", 30, "erwachsen"), ("? < 18", 10, "kind")],
)
def test_dmn_cells(input_entry: str, alter: int, expected: str) -> None:
    dmn = dmn_xml(input_entry, '"kind"')
    workflow = new_workflow(BUSINESS_RULE_BPMN, {"alter": alter}, dmn=dmn)
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert workflow.last_task.data == {"alter": alter, "gruppe": expected}


@pytest.mark.parametrize(
    ("input_entry", "output_entry", "fragment"),
    [
        ("< 18", "open('{marker}', 'w').write('x')", "open()"),
        ("__import__('os').system('touch {marker}') != 0", '"kind"', "„__import__“"),
    ],
)
def test_dmn_cell_escapes_are_blocked(
    tmp_path: Path, input_entry: str, output_entry: str, fragment: str
) -> None:
    marker = tmp_path / "pwned"
    dmn = dmn_xml(input_entry.format(marker=marker), output_entry.format(marker=marker))
    workflow = new_workflow(BUSINESS_RULE_BPMN, {"alter": 10}, dmn=dmn)
    with pytest.raises(WorkflowTaskException) as info:
        workflow.do_engine_steps()
    assert fragment in str(sandbox_error(info.value))
    assert not marker.exists()
    assert not workflow.is_completed()


def test_spiff_pre_and_post_scripts_run_in_the_sandbox() -> None:
    workflow = run(prepost_bpmn("vorher = 1", "nachher = vorher + 1"))
    (manual,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    assert manual.data == {"vorher": 1}
    manual.run()
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert workflow.last_task.data == {"vorher": 1, "nachher": 2}

    workflow = new_workflow(prepost_bpmn("vorher = open('/etc/passwd').read()", "nachher = 1"))
    with pytest.raises(WorkflowTaskException) as info:
        workflow.do_engine_steps()
    assert info.value.error_type == "SandboxError"
    assert "open()" in str(sandbox_error(info.value))


# ---------------------------------------------------------------------------------------------
# Escapes
# ---------------------------------------------------------------------------------------------

# (script, fragment of the German message); `{marker}` is a file the attack would create.
SCRIPT_ESCAPES = [
    ("__import__('os').system('touch {marker}')", "„__import__“"),
    ("import os\nos.system('touch {marker}')", "Import von Modulen"),
    ("from os import system\nsystem('touch {marker}')", "Import von Modulen"),
    ("import subprocess as sp", "Import von Modulen"),
    ("ergebnis = open('/etc/passwd').read()", "open()"),
    ("ergebnis = open('{marker}', 'w').write('x')", "open()"),
    ("ergebnis = ().__class__.__bases__[0].__subclasses__()", "„__class__“"),
    ("ergebnis = getattr(1, '__class__')", "getattr()"),
    ("ergebnis = '{{0.__class__}}'.format(1)", "str.format()"),
    ("ergebnis = '{{x.__globals__}}'.format(x=len)", "str.format()"),
    ("ergebnis = str.format('{{0.__class__}}', 1)", "str.format()"),
    ("ergebnis = '{{a.__class__}}'.format_map({{'a': 1}})", "format_map()"),
    ("ergebnis = eval('1')", "eval()"),
    ("exec('ergebnis = 1')", "exec()"),
    ("ergebnis = compile('1', '', 'eval')", "compile()"),
    ("ergebnis = globals()", "globals()"),
    ("ergebnis = vars()", "vars()"),
    ("ergebnis = type(1).__mro__", "„__mro__“"),
    ("ergebnis = type(1)", "type()"),
    ("ergebnis = (lambda: 1).__code__", "„__code__“"),
    ("ergebnis = (x for x in []).gi_frame", "„gi_frame“"),
    ("g = (x for x in [1])\nergebnis = g.gi_code", "„gi_code“"),
    ("ergebnis = len.__self__", "„__self__“"),
    ("ergebnis = [].__class__", "„__class__“"),
    ("ergebnis = datetime.now().__class__", "„__class__“"),
    ("ergebnis = int.mro()[-1].__subclasses__()", "„__subclasses__“"),
    ("class A:\n    pass", "Klassendefinitionen"),
    ("ergebnis = sum(range(10**9))", "range() mit mehr als 1.000.000"),
    ("ergebnis = list(range(0, 10**12, 2))", "range() mit mehr als 1.000.000"),
    ("ergebnis = 'a' * 10**10", "1.000.000"),
    ("ergebnis = [0] * 10**9", "1.000.000"),
    ("s = 'a' * 1000\ns *= 10**7", "1.000.000"),
    ("ergebnis = 10 ** 10 ** 10", "100.000 Bit"),
    ("ergebnis = 1 << 10**9", "100.000 Bit"),
    ("ergebnis = 'x'.ljust(10**10)", "1.000.000"),
    ("ergebnis = '-'.join(['a' * 1000] * 10000)", "1.000.000"),
    ("l = [1]\nwhile True:\n    l.extend(l)", "1.000.000"),
    ("l = [1]\nwhile True:\n    l = [*l, *l]", "1.000.000"),
    ("ergebnis = '%*d' % (10**9, 1)", "%-Formatierung"),
    ("ergebnis = f'{{1:>10000000000}}'", "Formatbreiten"),
    ("ergebnis = sum([[1]] * 1000, [])", "sum()"),
    ("ergebnis = (1).to_bytes(10**10, 'big')", "1.000.000"),
    ("ergebnis = any(iter(int, 1))", "iter()"),
    ("l = [0] * 999999\nwhile True:\n    l.append(0)", "1.000.000"),
    ("l = [0] * 1000000\nl.insert(0, 1)", "1.000.000"),
]


@pytest.mark.parametrize(("script", "fragment"), SCRIPT_ESCAPES)
def test_script_escapes_are_blocked(tmp_path: Path, script: str, fragment: str) -> None:
    marker = tmp_path / "pwned"
    workflow = new_workflow(script_bpmn(script.format(marker=marker)))
    with pytest.raises(WorkflowTaskException) as info:
        workflow.do_engine_steps()
    assert info.value.error_type == "SandboxError"
    message = str(sandbox_error(info.value))
    assert message.startswith("Nicht erlaubt im Skript: "), message
    assert fragment in message
    assert not marker.exists()
    (task,) = [t for t in workflow.get_tasks() if t.task_spec.name == "script"]
    assert task.state == TaskState.ERROR
    assert "ergebnis" not in task.data
    assert not any(key.startswith("_") for key in task.data)


EXPRESSION_ESCAPES = [
    ("__import__('os').system('touch {marker}') == 0", "„__import__“"),
    ("open('{marker}', 'w').write('x') > 0", "open()"),
    ("().__class__.__bases__[0].__subclasses__() != []", "„__class__“"),
    ("'{{0.__class__}}'.format(1) != ''", "str.format()"),
    ("eval('1') == 1", "eval()"),
    ("vars() != {{}}", "vars()"),
    ("getattr(1, '__class__') is not None", "getattr()"),
    ("len(range(10**9)) > 0", "range()"),
]


@pytest.mark.parametrize(("condition", "fragment"), EXPRESSION_ESCAPES)
def test_gateway_condition_escapes_are_blocked(
    tmp_path: Path, condition: str, fragment: str
) -> None:
    marker = tmp_path / "pwned"
    workflow = new_workflow(gateway_bpmn(condition.format(marker=marker)))
    with pytest.raises(WorkflowTaskException) as info:
        workflow.do_engine_steps()
    message = str(sandbox_error(info.value))
    assert message.startswith("Nicht erlaubt im Ausdruck: "), message
    assert fragment in message
    assert not marker.exists()
    assert not workflow.is_completed()
    assert all("weg" not in task.data for task in workflow.get_tasks())


def test_timer_expression_escape_is_blocked(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    workflow = new_workflow(timer_bpmn(f"__import__('os').system('touch {marker}') or 'PT0S'"))
    with pytest.raises(WorkflowTaskException) as info:
        workflow.do_engine_steps()
    assert "„__import__“" in str(sandbox_error(info.value))
    assert not marker.exists()
    assert not workflow.is_completed()


def test_task_data_cannot_override_guards_or_builtins() -> None:
    hostile = {
        # JSON values only: task data crosses to the sandbox process as JSON (a function in
        # task data is refused before it gets there).
        "__builtins__": {"open": "kaputt", "__import__": "kaputt"},
        "_getattr_": "kaputt",
        "_getiter_": "kaputt",
        "_write_": "kaputt",
        "_tick_": "kaputt",
        "__import__": "kaputt",
    }
    script = (
        "summe = 0\n"
        "for w in werte:\n"
        "    summe += w\n"
        "d = {}\n"
        "d['erster'] = werte[0]\n"
        "name = 'abc'.upper()\n"
    )
    workflow = run(script_bpmn(script), {**hostile, "werte": [1, 2, 3]})
    data = workflow.last_task.data
    assert (data["summe"], data["d"], data["name"]) == (6, {"erster": 1}, "ABC")
    for key, value in hostile.items():  # data under reserved names is kept untouched
        assert data[key] == value

    # The guards are still the sandbox's, not the data's.
    for condition, fragment in [
        ("open('/etc/passwd').read() != ''", "open()"),
        ("'{0.__class__}'.format(1) != ''", "str.format()"),
    ]:
        workflow = new_workflow(gateway_bpmn(condition), dict(hostile))
        with pytest.raises(WorkflowTaskException) as info:
            workflow.do_engine_steps()
        assert fragment in str(sandbox_error(info.value))

    workflow = new_workflow(script_bpmn("ergebnis = open('/etc/passwd').read()"), dict(hostile))
    with pytest.raises(WorkflowTaskException) as info:
        workflow.do_engine_steps()
    assert "open()" in str(sandbox_error(info.value))


# ---------------------------------------------------------------------------------------------
# Time and memory budget
# ---------------------------------------------------------------------------------------------

ENDLESS_SCRIPTS = [
    "while True: pass",
    "while True:\n    pass",
    "x = 0\nwhile x >= 0:\n    x = x + 1",
    "try:\n    while True: pass\nexcept:\n    while True: pass",
    "while True:\n    try:\n        while True: pass\n    finally:\n        continue",
    "try:\n    while True: pass\nexcept BaseException:\n    pass\nergebnis = 1",
    "def f(n):\n    return 0 if n > 40 else f(n + 1) + f(n + 1)\nergebnis = f(0)",
    "f = lambda n: 0 if n > 40 else f(n + 1) + f(n + 1)\nergebnis = f(0)",
    "def g():\n    while True:\n        yield 1\nergebnis = sum(g())",
    "l = []\nwhile True:\n    l.append(l.copy())",
    # C-level loops without script code in between: the list methods tick themselves.
    "l = [1]\nergebnis = any(map(l.append, l))",
    "l = [1]\nergebnis = list(filter(l.append, l))",
]


@pytest.mark.parametrize("script", ENDLESS_SCRIPTS)
def test_endless_scripts_are_stopped(script: str) -> None:
    workflow = new_workflow(script_bpmn(script))
    started = time.monotonic()
    with pytest.raises(WorkflowTaskException) as info:
        workflow.do_engine_steps()
    elapsed = time.monotonic() - started
    message = str(sandbox_error(info.value))
    # Growing scripts may meet the sandbox process's memory limit or the size cap of a list
    # before the time budget.
    assert message in (
        "Skript hat das Zeitlimit von 0,5 s überschritten",
        "Skript hat das Speicherlimit von 256 MB überschritten",
        "Nicht erlaubt im Skript: Ergebnis mit mehr als 1.000.000 Elementen bzw. Zeichen",
    )
    if "Zeitlimit" in message:
        assert elapsed >= TIMEOUT * 0.9  # never stopped before its budget
    assert "ergebnis" not in workflow.get_tasks(state=TaskState.ERROR)[0].data


def test_endless_expression_is_stopped() -> None:
    workflow = new_workflow(gateway_bpmn("[a.append(1) for a in [[1]] for x in a] != []"))
    with pytest.raises(WorkflowTaskException) as info:
        workflow.do_engine_steps()
    assert str(sandbox_error(info.value)) == "Ausdruck hat das Zeitlimit von 0,5 s überschritten"


@pytest.mark.parametrize(
    "script",
    [
        "x = [0]\nfor i in range(60):\n    x = [x, x]",  # 2**60 values once serialised
        "zyklus = []\nzyklus.append(zyklus)",
        "zeilen = [[0] * 1000] * 1000",
    ],
)
def test_oversized_or_cyclic_task_data_is_refused_and_rolled_back(script: str) -> None:
    workflow = new_workflow(script_bpmn(script), {"alt": 1})
    with pytest.raises(WorkflowTaskException) as info:
        workflow.do_engine_steps()
    assert "zu große oder zirkuläre Daten" in str(sandbox_error(info.value))
    assert workflow.get_tasks(state=TaskState.ERROR)[0].data == {"alt": 1}


def test_expression_results_are_size_checked() -> None:
    env = RestrictedEnvironment(timeout=TIMEOUT)
    with pytest.raises(SandboxError, match="Ausdruck hat zu große"):
        env.evaluate("[zeile] * 1000", {"zeile": [0] * 1000})
    assert env.evaluate("[zeile] * 10", {"zeile": [0] * 10}) == [[0] * 10] * 10


def test_list_growth_from_c_code_is_finite_and_print_is_discarded() -> None:
    script = (
        "l = [1, -2]\n"
        "l.extend(map(abs, l))\n"
        "l += map(abs, l)\n"
        "l.insert(0, 9)\n"
        "x = [0]\n"
        "for i in range(60):\n"
        "    x = [x, x]\n"
        "print(x)\n"  # would never finish if print converted x to text
        "x = printed\n"
    )
    workflow = run(script_bpmn(script))
    assert workflow.last_task.data == {"l": [9, 1, -2, 1, 2, 1, 2, 1, 2], "i": 59, "x": ""}


def test_timeout_works_in_a_worker_thread() -> None:
    outcome: list[BaseException | None] = []

    def worker() -> None:
        try:
            run(script_bpmn("while True: pass"))
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            outcome.append(exc)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    thread.join(TIMEOUT + 3)
    assert not thread.is_alive()
    (exc,) = outcome
    assert exc is not None
    assert "Zeitlimit" in str(sandbox_error(exc))


def test_memory_limit_of_the_sandbox_process_stops_a_growing_script() -> None:
    """The address-space limit of the sandbox process (not the RSS of this one) stops it."""
    workflow = new_workflow(script_bpmn("l = []\nfor i in range(600):\n    l.append(str(i) + 'x' * 900000)"),
                            timeout=60.0)
    with pytest.raises(WorkflowTaskException) as info:
        workflow.do_engine_steps()
    assert str(sandbox_error(info.value)) == "Skript hat das Speicherlimit von 256 MB überschritten"
    assert "l" not in workflow.get_tasks(state=TaskState.ERROR)[0].data


def test_timeout_is_per_call_and_a_fast_script_after_a_timeout_works() -> None:
    env = RestrictedEnvironment(timeout=0.2)
    with pytest.raises(SandboxError, match="0,2 s"):
        env.execute("while True: pass", {})
    context = {"a": 1}
    env.execute("b = a + 1", context)
    assert context == {"a": 1, "b": 2}
    assert env.evaluate("a + 1 == 2", context) is True


# ---------------------------------------------------------------------------------------------
# Compile-only checks
# ---------------------------------------------------------------------------------------------


def test_sandbox_error_is_not_a_syntax_error() -> None:
    assert issubclass(SandboxError, Exception)
    assert not issubclass(SandboxError, SyntaxError)


@pytest.mark.parametrize(
    "source",
    ['ergebnis == "beenden"', "not abschluss_einleiten", '"P14D"', "True", "x is 1", "'\\d' == x"],
)
def test_check_expression_accepts_good_code(source: str) -> None:
    # `x is 1` / `'\d'` make Python warn at compile time; the warning must not escape.
    assert check_expression(source) is None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("ergebnis ==", "Syntaxfehler im Ausdruck: "),
        ("", "Syntaxfehler im Ausdruck: "),
        ("x = 1", "Syntaxfehler im Ausdruck: "),
        ("().__class__", "Nicht erlaubt im Ausdruck: Zugriff auf „__class__“"),
        ("eval('1')", "Nicht erlaubt im Ausdruck: eval()"),
        ("_geheim", "Nicht erlaubt im Ausdruck: der Name „_geheim“"),
        ("(x for x in y).gi_frame", "Nicht erlaubt im Ausdruck: Zugriff auf „gi_frame“"),
    ],
)
def test_check_expression_reports_errors(source: str, expected: str) -> None:
    message = check_expression(source)
    assert message is not None and message.startswith(expected), message


def test_check_script_accepts_good_code() -> None:
    script = "summe = 0\nfor x in liste:\n    summe += x\nif summe > 3:\n    ergebnis = 'viel'"
    assert check_script(script) is None
    assert check_script("def f(a):\n    return [a] * 2\nb = f(1)") is None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x = 1\ny = x +", "Syntaxfehler im Skript (Zeile 2): "),
        ("return 1", "Syntaxfehler im Skript (Zeile 1): "),
        ("import os", "Nicht erlaubt im Skript: Import von Modulen (Zeile 1)"),
        ("a = 1\nfrom os import path", "Nicht erlaubt im Skript: Import von Modulen (Zeile 2)"),
        ("a = 1\nb = a.__dict__", "Nicht erlaubt im Skript: Zugriff auf „__dict__“"),
        ("exec('x = 1')", "Nicht erlaubt im Skript: exec() (Zeile 1)"),
        ("class A:\n    pass", "Nicht erlaubt im Skript: Klassendefinitionen (Zeile 1)"),
        ("with x as y:\n    pass", "Nicht erlaubt im Skript: with-Anweisungen (Zeile 1)"),
        ("async def f():\n    pass", "Nicht erlaubt im Skript: das Sprachelement"),
        ("d = {}\nd['a'] += 1", "Nicht erlaubt im Skript: erweiterte Zuweisung"),
    ],
)
def test_check_script_reports_errors(source: str, expected: str) -> None:
    message = check_script(source)
    assert message is not None and message.startswith(expected), message
    if "Zeile" in expected:
        assert expected in message
