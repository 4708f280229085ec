"""Hostile process-owner code through the real engine path: a BPMN published as a new version,
a case started, the step completed. Each probe must end as the usual German engine error for
that one case — nothing saved, the case still at its step — while this process (the web or
timer worker) and every other case go on working.

The probes are the security test's reproductions (issue 11: BaseException, long C calls,
memory, huge task data) and further attempts; they run in the sandbox processes
(``app/engine/isolation.py``), which are killed and replaced when they do not answer.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from app import create_app
from app.auth.models import Team, User
from app.engine import service
from app.engine.isolation import POOL
from app.engine.models import ACTIVE_TASK_STATES, ProcessInstance, ProcessModel, Task
from app.extensions import db
from tests.conftest import _config, _dispose, prepare_database
from tests.flows import to_form, valid_data

FIXTURES = Path(__file__).parent / "fixtures"
PROBE = (FIXTURES / "script_probe.bpmn").read_text(encoding="utf-8")
PROBE_SCRIPT = "__import__('os').makedirs(marker)"
TIMEOUT = 0.5  # the script budget in these tests; the kill deadline is TIMEOUT + grace

# name -> script. Every one must be stopped with a German message.
HOSTILE = {
    # BaseException reaches scripts through the class hierarchy
    "base-exception": "raise Exception.mro()[1]('x')",
    "base-exception-caught-budget": "try:\n    while True: pass\nexcept Exception.mro()[1]:\n    while True: pass",
    "generator-throw": "g = (i for i in [1])\ng.throw(Exception.mro()[1])",
    "base-exception-class": "raise Exception.mro()[1]",
    # long C calls with bounded parameters (the report's measurements)
    "sorted-bomb": "ergebnis = all(map(sorted, [range(1000000)] * 100))",
    "int-division": "x = int.from_bytes(b'\\xff' * 350000, 'big')\nergebnis = x // (x >> 1000 | 1)",
    "strptime-format": "ergebnis = datetime.strptime('x', '%%' * 250000)",
    "hash-collisions": "ergebnis = len(set(range(0, 60000 * (2 ** 61 - 1), 2 ** 61 - 1)))",
    "punycode": "x = '%c' * 5000 % tuple(range(200, 5200))\nergebnis = len(x.encode('punycode'))",
    "compare-bomb": "x = [1]\ny = [1]\nfor i in range(60):\n    x = [x, x]\n    y = [y, y]\nergebnis = x == y",
    "str-bomb": "x = [1]\nfor i in range(60):\n    x = [x, x]\nergebnis = len(str(x))",
    "sorted-key-str": "ergebnis = all(map(lambda r: sorted(r, key=str), [range(1000000)] * 100))",
    # memory
    "list-of-lists": "ergebnis = len(list(map(list, [range(1000000)] * 200)))",
    "nested-comprehension": "ergebnis = [[0] * 1000000 for i in range(1000)]",
    "big-task-data": "ergebnis = ['a' * 1000000 for i in range(100)]",
    "many-strings": "ergebnis = [str(i) for i in range(900000)]",
    "two-mb-data": "ergebnis = ['a' * 100000 for i in range(20)]",
    "dict-data": "ergebnis = {str(i): 'a' * 1000 for i in range(100000)}",
    "split-data": "ergebnis = ('ab' * 500000).split('a')",
    "deep-nesting": "x = []\nfor i in range(100000):\n    x = [x]\nergebnis = x",
    # recursion
    "recursion": "def f(n):\n    return f(n + 1)\nergebnis = f(0)",
    "omega": "ergebnis = (lambda f: f(f))(lambda f: f(f))",
    "exponential": "def f(n):\n    return 0 if n > 60 else f(n + 1) + f(n + 1)\nergebnis = f(0)",
    # plain endless loops and swallowing the budget
    "while-true": "while True:\n    pass",
    "swallow-budget": "while True:\n    try:\n        while True: pass\n    except Exception.mro()[1]:\n        pass",
    "double-loop": "x = [1] * 1000000\nfor a in x:\n    for b in x:\n        pass",
    # escapes and refused operations
    "import": "import os\nos.system('true')",
    "open": "ergebnis = open('/etc/passwd').read()",
    "dunder": "ergebnis = ().__class__.__bases__[0].__subclasses__()",
    "format-walk": "ergebnis = '{0.__class__}'.format(1)",
    "huge-power": "ergebnis = 10 ** 10 ** 8",
    "huge-repeat": "ergebnis = 'a' * 10 ** 9",
    "huge-percent-width": "ergebnis = '%1000000000d' % 1",
    "round-digits": "ergebnis = round(1.5, 10 ** 9)",
    # values that cannot be stored
    "nul-text": "ergebnis = 'a\\x00b'",
    "lone-surrogate": "ergebnis = '\\ud800'",
    "unstorable-range": "ergebnis = range(3)",
}


WITH_FORM = (
    '<bpmn:userTask id="eingabe" name="Eingabe"><bpmn:extensionElements><spiffworkflow:properties>'
    '<spiffworkflow:property name="formKey" value="alltagsbegleitung.zwischengespraech" />'
    '</spiffworkflow:properties></bpmn:extensionElements>'
)


def _publish(key: str, script: str, form: bool = False) -> None:
    assert PROBE_SCRIPT in PROBE
    owner = db.session.scalar(select(User).where(User.username == "prozess"))
    model = ProcessModel(key=key, name=f"Probe {key}", start_departments="FB36", start_role="",
                         reference_prefix="HP")
    db.session.add(model)
    db.session.flush()
    xml = PROBE.replace(PROBE_SCRIPT, script).replace('id="script_probe"', f'id="{key}"')
    if form:
        xml = xml.replace('<bpmn:userTask id="eingabe" name="Eingabe">', WITH_FORM).replace(
            "<bpmn:definitions ",
            '<bpmn:definitions xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" ', 1)
    service.import_version(model, xml, owner, "Probe")


def _key(name: str) -> str:
    return "hostile_" + name.replace("-", "_")


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    """One app for all probes (publishing 37 models once is cheaper than an app per probe)."""
    app = create_app(_config(tmp_path_factory.mktemp("hostile"), {"SCRIPT_TIMEOUT_SECONDS": TIMEOUT}))
    prepare_database(app, demo=True)
    with app.app_context():
        for name, script in HOSTILE.items():
            _publish(_key(name), script)
        _publish("hostile_web", HOSTILE["base-exception"], form=True)
        _publish("harmless_probe", "laenge = len(marker)\nteile = [t.upper() for t in marker.split('/') if t]")
        db.session.commit()
    yield app
    _dispose(app)


def _start(app, key: str) -> tuple[int, int]:
    with app.test_request_context():
        model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == key))
        starter = db.session.scalar(select(User).where(User.username == "fb36"))
        team = db.session.scalar(select(Team).where(Team.key == "asd"))
        instance = service.start_instance(model, starter, team)
        db.session.commit()
        task = db.session.scalar(select(Task).where(Task.instance_id == instance.id, Task.bpmn_id == "eingabe"))
        return instance.id, task.id


def _complete(app, task_id: int, data: dict) -> BaseException | None:
    """Complete like a request does, in a daemon thread: a hang fails the test, not the suite."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        with app.test_request_context():
            try:
                task = db.session.get(Task, task_id)
                user = db.session.scalar(select(User).where(User.username == "fb36"))
                service.complete_task(task, user, data)
                db.session.commit()
                outcome.append(None)
            except BaseException as exc:  # noqa: BLE001 - checked by the caller
                db.session.rollback()
                outcome.append(exc)
            finally:
                db.session.remove()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "the script was not stopped"
    return outcome[0]


def _state(app, case_id: int) -> tuple[str, int, list[tuple[str, str]]]:
    with app.app_context():
        instance = db.session.get(ProcessInstance, case_id)
        rows = db.session.execute(select(Task.bpmn_id, Task.status).where(Task.instance_id == case_id)
                                  .order_by(Task.id)).all()
        return instance.state, instance.row_version, [tuple(r) for r in rows]


def _harmless_case_runs(app) -> None:
    case_id, task_id = _start(app, "harmless_probe")
    assert _complete(app, task_id, {"marker": "/a/b"}) is None
    with app.app_context():
        open_steps = db.session.scalars(select(Task.bpmn_id).where(
            Task.instance_id == case_id, Task.status.in_(ACTIVE_TASK_STATES))).all()
    assert open_steps == ["weiter"]


def test_there_are_at_least_thirty_probes():
    assert len(HOSTILE) >= 30


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_script_ends_as_a_german_engine_error(hostile_app, name):
    case_id, task_id = _start(hostile_app, _key(name))
    before = _state(hostile_app, case_id)

    error = _complete(hostile_app, task_id, {"marker": "/tmp/fallwerk-eingedrungen"})

    assert isinstance(error, service.EngineError), repr(error)
    message = str(error)
    assert message.startswith("Der Prozess konnte nicht fortgesetzt werden")
    assert "Traceback" not in message and "0x" not in message
    assert _state(hostile_app, case_id) == before  # nothing saved: still at "Eingabe"
    assert not os.path.exists("/tmp/fallwerk-eingedrungen")
    _harmless_case_runs(hostile_app)  # this process and the other cases go on


@pytest.mark.parametrize("name, fragment", [
    ("base-exception", "nicht erlaubte Ausnahme"),
    ("sorted-bomb", "Zeitlimit von 0,5 s"),
    ("strptime-format", "Zeitlimit von 0,5 s"),
    ("punycode", "Zeitlimit von 0,5 s"),
    ("compare-bomb", "Zeitlimit von 0,5 s"),
    ("list-of-lists", "Speicherlimit"),
    ("two-mb-data", "zu große Daten erzeugt (mehr als 1 MB)"),
    ("many-strings", "zu große"),
    ("nul-text", "Nullzeichen"),
    ("unstorable-range", "nicht gespeichert werden kann (range)"),
    ("recursion", "rekursiv"),
])
def test_the_message_says_what_happened(hostile_app, monkeypatch, name, fragment):
    if "Zeitlimit" not in fragment:
        # The probe must hit the limit it is about (memory, size, type), not the time budget that a
        # loaded CI machine may spend first: a generous budget for these probes only.
        monkeypatch.setitem(hostile_app.config, "SCRIPT_TIMEOUT_SECONDS", 30.0)
        monkeypatch.setitem(hostile_app.config, "SCRIPT_TOTAL_SECONDS", 60.0)
    _, task_id = _start(hostile_app, _key(name))
    error = _complete(hostile_app, task_id, {"marker": "x"})
    assert fragment in str(error)


def test_a_killed_sandbox_process_is_replaced(hostile_app):
    _harmless_case_runs(hostile_app)
    before = set(POOL.idle_pids())
    assert before, "a sandbox process is kept for the next call"
    _, task_id = _start(hostile_app, _key("sorted-bomb"))
    assert isinstance(_complete(hostile_app, task_id, {"marker": "x"}), service.EngineError)
    for pid in before - set(POOL.idle_pids()):
        with pytest.raises(ProcessLookupError):  # the stuck process was killed and reaped
            os.kill(pid, 0)
    _harmless_case_runs(hostile_app)


def test_hostile_step_through_the_web_is_a_clear_answer_not_a_500(hostile_app):
    case_id, task_id = _start(hostile_app, "hostile_web")
    client = hostile_app.test_client()
    assert client.post("/login", data={"username": "fb36", "password": "demo"}).status_code == 302
    response = client.post(f"/aufgaben/{task_id}", data=to_form(valid_data("zwischengespraech")))
    assert response.status_code in (200, 422), response.status_code
    assert "Der Prozess konnte nicht fortgesetzt werden" in response.get_data(as_text=True)
    assert _state(hostile_app, case_id)[2] == [("eingabe", "open")]


LOOP_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
<bpmn:process id="p" isExecutable="true">
<bpmn:startEvent id="start"/>
<bpmn:scriptTask id="schleife"><bpmn:standardLoopCharacteristics><bpmn:loopCondition>True</bpmn:loopCondition>
</bpmn:standardLoopCharacteristics><bpmn:script>x = len(sorted(range(1000000), key=str))</bpmn:script></bpmn:scriptTask>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="schleife"/>
<bpmn:sequenceFlow id="f2" sourceRef="schleife" targetRef="end"/>
</bpmn:process></bpmn:definitions>"""


def test_many_evaluations_of_one_step_share_one_time_budget():
    """A loop of scripts that each stay under the per-script limit cannot hold the worker: all
    evaluations of one engine run share ``total_seconds``."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
    from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

    from app.engine.isolation import make_script_engine

    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_str(LOOP_BPMN.encode())
    engine = make_script_engine(timeout=5.0, total_seconds=1.0)
    workflow = BpmnWorkflow(parser.get_spec("p"), parser.get_subprocess_specs("p"), script_engine=engine)
    with pytest.raises(WorkflowTaskException) as info:
        workflow.do_engine_steps()
    chain, error = [], info.value
    while error is not None:
        chain.append(str(error))
        error = error.__cause__ or error.__context__
    assert any("zusammen das Zeitlimit von 1,0 s überschritten" in text for text in chain), chain
    assert engine.environment.spent < 5.0
