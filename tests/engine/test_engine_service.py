"""The engine services (app.engine.service): long loops, conflicts, engine errors, the sandbox.

Every change is made like a request makes it: services flush, the caller commits once, and on
an exception the caller rolls back. The tests check that a failure leaves *nothing* behind.

The cases run on the small process tests/engine/fixtures/engine_case.bpmn (erfassung ->
vermittlung (group k201) -> vorbereitung -> looped gespraech + rueckmeldung of the volunteer ->
abschluss with a gateway and a script task; a crisis event subprocess), not on a shipped process.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.auth.models import MEMBER, Membership, Team, User
from app.crisis import services as crisis
from app.engine import service
from app.engine.models import (
    ACTIVE_TASK_STATES,
    CaseEvent,
    CaseParticipant,
    ProcessInstance,
    ProcessModel,
    Task,
)
from app.extensions import db
from tests.engine.conftest import ENGINE_CASE, FIXTURES, fixture_xml
from tests.flows import future, to_form, valid_data

pytestmark = pytest.mark.usefixtures("engine_case")  # every test here publishes engine_case


def step_data(step: str, **overrides) -> dict:
    """Plain input for each user task of engine_case (form-valid where the task has a form)."""
    data = {
        "erfassung": valid_data("bedarfsermittlung"),
        "vermittlung": valid_data("vermittlung"),
        "vorbereitung": {"ende": future(90)},
        "gespraech": valid_data("zwischengespraech"),
        "abschluss": valid_data("abschluss"),
    }[step]
    return {**data, **overrides}


# --- helpers (inside an app + request context) ------------------------------------------------

def user(username: str) -> User:
    found = db.session.scalar(select(User).where(User.username == username))
    assert found is not None, username
    return found


def team(key: str) -> Team:
    return db.session.scalar(select(Team).where(Team.key == key))


def model(key: str = ENGINE_CASE) -> ProcessModel:
    return db.session.scalar(select(ProcessModel).where(ProcessModel.key == key))


def open_row(instance_id: int, bpmn_id: str) -> Task | None:
    return db.session.scalar(select(Task).where(
        Task.instance_id == instance_id, Task.bpmn_id == bpmn_id,
        Task.status.in_(ACTIVE_TASK_STATES)))


def start(process: str = ENGINE_CASE, by: str = "fb36", team_key: str = "asd") -> int:
    instance = service.start_instance(model(process), user(by), team(team_key))
    db.session.commit()
    return instance.id


def complete(instance_id: int, bpmn_id: str, username: str, data: dict | None = None) -> None:
    task = open_row(instance_id, bpmn_id)
    assert task is not None, f"no open task {bpmn_id}"
    service.complete_task(task, user(username), data if data is not None else step_data(bpmn_id))
    db.session.commit()


def walk_to(instance_id: int, step: str) -> None:
    """Complete the steps before ``step`` (vermittlung / vorbereitung / gespraech / abschluss)
    with valid data."""
    order = ["erfassung", "vermittlung", "vorbereitung", "gespraech", "abschluss"]
    who = {"erfassung": "fb36", "vermittlung": "k201", "vorbereitung": "fb36", "gespraech": "k201"}
    for done in order[:order.index(step)]:
        data = step_data(done)
        if done == "gespraech":
            data["abschluss_einleiten"] = True
        complete(instance_id, done, who[done], data)


def snapshot(instance_id: int) -> dict:
    """Everything a step writes, read fresh from the database."""
    db.session.expire_all()
    case = db.session.get(ProcessInstance, instance_id)
    tasks = db.session.scalars(select(Task).where(Task.instance_id == instance_id).order_by(Task.id))
    events = db.session.scalars(
        select(CaseEvent).where(CaseEvent.instance_id == instance_id).order_by(CaseEvent.id))
    participants = db.session.scalars(
        select(CaseParticipant).where(CaseParticipant.instance_id == instance_id)
        .order_by(CaseParticipant.id))
    return {
        "case": (case.status, case.title, json.dumps(case.data, sort_keys=True), case.state,
                 case.row_version, case.outcome, case.ended_at, case.version_id),
        "tasks": [(t.id, t.bpmn_id, t.status, t.assignee_id, t.completed_at, t.completed_by_id)
                  for t in tasks],
        "events": [(e.id, e.kind, e.title, e.actor_id) for e in events],
        "participants": [(p.team_id, p.user_id, p.level) for p in participants],
    }


def add_member(username: str, team_key: str) -> None:
    member = User(username=username, display_name=username, roles=["koordination"])
    member.set_password("demo")
    member.memberships.append(Membership(team=team(team_key), kind=MEMBER))
    db.session.add(member)
    db.session.commit()


# --- 300 repetitions -----------------------------------------------------------------------------

def test_300_gespraeche_then_abschluss(ctx):
    case_id = start()
    walk_to(case_id, "gespraech")
    sizes = {}
    for i in range(1, 301):
        last = i == 300
        notes = f"Gespräch Nr. {i}"
        complete(case_id, "gespraech", "k201",
                 step_data("gespraech", notizen=notes, abschluss_einleiten=last))
        if i % 50 == 0:  # the volunteer reports now and then, in parallel
            complete(case_id, "rueckmeldung", "ehrenamt1",
                     {"datum": "2026-01-01", "bericht": f"Bericht {i}"})
        if i in (10, 299):
            sizes[i] = len(db.session.get(ProcessInstance, case_id).state)
        if not last:
            assert open_row(case_id, "gespraech") is not None, f"loop stopped after {i}"
            assert open_row(case_id, "abschluss") is None

    assert open_row(case_id, "gespraech") is None
    assert open_row(case_id, "abschluss") is not None
    case = db.session.get(ProcessInstance, case_id)
    assert case.status == "running"
    assert case.data["notizen"] == "Gespräch Nr. 300"
    assert len(case.state) < 100_000
    assert sizes[299] < 2 * sizes[10], sizes  # completed iterations are not kept in the state

    complete(case_id, "abschluss", "fb36")
    case = db.session.get(ProcessInstance, case_id)
    assert (case.status, case.outcome) == ("completed", "beenden")
    done = db.session.scalar(select(func.count(Task.id)).where(
        Task.instance_id == case_id, Task.bpmn_id == "gespraech", Task.status == "completed"))
    assert done == 300
    events = db.session.scalar(select(func.count(CaseEvent.id)).where(
        CaseEvent.instance_id == case_id, CaseEvent.kind == "task_completed",
        CaseEvent.title == "Gespräch"))
    assert events == 300
    reports = db.session.scalar(select(func.count(Task.id)).where(
        Task.instance_id == case_id, Task.bpmn_id == "rueckmeldung", Task.status == "completed"))
    assert reports == 6
    assert db.session.scalar(select(func.count(Task.id)).where(
        Task.instance_id == case_id, Task.status.in_(ACTIVE_TASK_STATES))) == 0


# --- conflicts -----------------------------------------------------------------------------------

def test_double_completion_raises_conflict(ctx):
    case_id = start()
    task = open_row(case_id, "erfassung")
    service.complete_task(task, user("fb36"), step_data("erfassung"))
    db.session.commit()
    before = snapshot(case_id)
    with pytest.raises(service.ConflictError, match="bereits erledigt"):
        service.complete_task(task, user("fb36"), step_data("erfassung"))
    db.session.rollback()
    assert snapshot(case_id) == before


def test_claimed_task_cannot_be_completed_by_someone_else(ctx):
    add_member("k201b", "k201")
    case_id = start()
    walk_to(case_id, "vermittlung")
    task = open_row(case_id, "vermittlung")
    service.claim_task(task, user("k201"))
    db.session.commit()
    before = snapshot(case_id)
    with pytest.raises(service.ConflictError, match="anderen Person"):
        service.complete_task(task, user("k201b"), valid_data("vermittlung"))
    db.session.rollback()
    assert snapshot(case_id) == before


def _race(app, task_id: int, contenders: list[tuple[str, dict]]) -> list[tuple[str, str, str]]:
    """Let each (username, data) complete task ``task_id`` at the same moment, in own threads."""
    barrier = threading.Barrier(len(contenders))
    results: list[tuple[str, str, str]] = []
    lock = threading.Lock()

    def worker(username: str, data: dict) -> None:
        outcome = ("error", "did not run")
        with app.app_context(), app.test_request_context():
            try:
                task = db.session.get(Task, task_id)  # loaded freshly by this "request"
                actor = user(username)
                assert task.status == "open"
                barrier.wait(timeout=30)
                service.complete_task(task, actor, data)
                db.session.commit()
                outcome = ("ok", "")
            except service.ConflictError as exc:
                db.session.rollback()
                outcome = ("conflict", str(exc))
            except Exception as exc:  # noqa: BLE001 - reported to the test below
                db.session.rollback()
                outcome = ("error", repr(exc))
            finally:
                db.session.remove()
        with lock:
            results.append((username, *outcome))

    threads = [threading.Thread(target=worker, args=c) for c in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a completion hung"
    return results


@pytest.mark.parametrize("attempt", range(3))
def test_concurrent_completion_exactly_one_wins(app, attempt):
    with app.test_request_context():
        add_member("k201b", "k201")
        case_id = start()
        walk_to(case_id, "vermittlung")
        task_id = open_row(case_id, "vermittlung").id

    results = _race(app, task_id, [("k201", {"ehrenamtliche": "ehrenamt1"}),
                                   ("k201b", {"ehrenamtliche": "ehrenamt2"})])

    outcomes = sorted(r[1] for r in results)
    assert outcomes == ["conflict", "ok"], results
    winner = next(r[0] for r in results if r[1] == "ok")
    loser_message = next(r[2] for r in results if r[1] == "conflict")
    assert "gleichzeitig" in loser_message or "bereits" in loser_message or \
        "anderen Person" in loser_message, loser_message

    with app.test_request_context():
        chosen = {"k201": "ehrenamt1", "k201b": "ehrenamt2"}[winner]
        case = db.session.get(ProcessInstance, case_id)
        assert case.data["ehrenamtliche"] == chosen
        task = db.session.get(Task, task_id)
        assert (task.status, task.completed_by.username) == ("completed", winner)
        # the engine moved on exactly once
        assert db.session.scalar(select(func.count(Task.id)).where(
            Task.instance_id == case_id, Task.bpmn_id == "vorbereitung")) == 1
        assert db.session.scalar(select(func.count(CaseEvent.id)).where(
            CaseEvent.instance_id == case_id, CaseEvent.kind == "task_completed",
            CaseEvent.title == "Vermittlung")) == 1
        # only the winner's volunteer takes part in the case
        people = set(db.session.scalars(
            select(User.username).join(CaseParticipant, CaseParticipant.user_id == User.id)
            .where(CaseParticipant.instance_id == case_id)))
        assert people & {"ehrenamt1", "ehrenamt2"} == {chosen}
        # and the case goes on from the stored state
        complete(case_id, "vorbereitung", "fb36")
        assert open_row(case_id, "gespraech") is not None
        assert open_row(case_id, "rueckmeldung").assignee.username == chosen


def test_concurrent_completion_through_the_web(app, login_as):
    """Two members of the 201 group press "Abschließen" at once: one succeeds, one is told."""
    with app.test_request_context():
        add_member("k201b", "k201")
        case_id = start()
        walk_to(case_id, "vermittlung")
        task_id = open_row(case_id, "vermittlung").id
    clients = [login_as("k201"), login_as("k201b")]
    barrier = threading.Barrier(2)
    responses = []

    def press(client):
        barrier.wait(timeout=30)
        response = client.post(f"/aufgaben/{task_id}", data=to_form(valid_data("vermittlung")),
                               follow_redirects=True)
        responses.append((response.status_code, response.data.decode()))

    threads = [threading.Thread(target=press, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(responses) == 2
    assert all(code == 200 for code, _page in responses), [c for c, _p in responses]
    success = "Aufgabe „Vermittlung“ erledigt."
    told = [page for _code, page in responses if success not in page]
    assert len(told) == 1, "exactly one of the two must succeed"
    assert any(m in told[0] for m in ("bereits erledigt", "gleichzeitig", "anderen Person")), \
        told[0][:2000]
    with app.app_context():
        assert db.session.scalar(select(func.count(Task.id)).where(
            Task.instance_id == case_id, Task.bpmn_id == "vorbereitung")) == 1


def test_late_submission_is_told_the_task_is_done(app, login_as):
    """The slower colleague (form still open in the browser) gets a plain message, not a 403."""
    with app.test_request_context():
        add_member("k201b", "k201")
        case_id = start()
        walk_to(case_id, "vermittlung")
        task_id = open_row(case_id, "vermittlung").id
    first, second = login_as("k201"), login_as("k201b")
    assert second.get(f"/aufgaben/{task_id}").status_code == 200  # both have the form open
    assert first.post(f"/aufgaben/{task_id}", data=to_form(valid_data("vermittlung"))).status_code == 302
    with app.test_request_context():
        before = snapshot(case_id)
    response = second.post(f"/aufgaben/{task_id}",
                           data=to_form(valid_data("vermittlung", ehrenamtliche="ehrenamt2")),
                           follow_redirects=True)
    assert response.status_code == 200
    assert "Diese Aufgabe ist bereits erledigt." in response.data.decode()
    with app.test_request_context():
        assert snapshot(case_id) == before


# --- engine errors -------------------------------------------------------------------------------

ENGINE_CASE_XML = fixture_xml(ENGINE_CASE)
# the script of the script task "neuer_zeitraum" (run after the outcome "fortführen")
SCRIPT = re.compile(r'(<bpmn:scriptTask id="neuer_zeitraum".*?<bpmn:script>).*?(</bpmn:script>)', re.S)
# the condition of the flow "fortführen" of the outcome gateway
CONDITION = re.compile(r'(<bpmn:sequenceFlow id="f_fortfuehren".*?<bpmn:conditionExpression[^>]*>)'
                       r'.*?(</bpmn:conditionExpression>)', re.S)

BROKEN_VERSIONS = {
    # the script task after "fortführen" raises
    "script": (SCRIPT, 'raise ValueError("Zeitraum kaputt")',
               {"ergebnis": "fortfuehren", "neues_ende": "2099-01-31"}, "Zeitraum kaputt"),
    # a gateway condition raises, whatever the outcome
    "condition": (CONDITION, "ergebnis == 1 / 0", {"ergebnis": "beenden"}, "division by zero"),
}


def publish_broken(kind: str) -> None:
    pattern, replacement, _data, _message = BROKEN_VERSIONS[kind]
    broken, count = pattern.subn(rf"\g<1>{replacement}\g<2>", ENGINE_CASE_XML, count=1)
    assert count == 1, "engine_case.bpmn changed; adapt the test"
    version = service.import_version(model(), broken, user("prozess"), f"kaputt: {kind}")
    assert version is not None and version.number == 2
    db.session.commit()


@pytest.mark.parametrize("kind", sorted(BROKEN_VERSIONS))
def test_engine_error_saves_nothing(ctx, kind):
    publish_broken(kind)
    case_id = start()
    assert db.session.get(ProcessInstance, case_id).version.number == 2
    walk_to(case_id, "abschluss")
    _old, _new, outcome, message = BROKEN_VERSIONS[kind]
    before = snapshot(case_id)

    task = open_row(case_id, "abschluss")
    with pytest.raises(service.EngineError) as raised:
        service.complete_task(task, user("fb36"), step_data("abschluss", **outcome))
    db.session.rollback()
    assert "Der Prozess konnte nicht fortgesetzt werden" in str(raised.value)
    assert message in str(raised.value)
    assert snapshot(case_id) == before
    assert open_row(case_id, "abschluss").status == "open"

    # the stored state is still the last good one: the case can still be worked on
    if kind == "script":
        complete(case_id, "abschluss", "fb36", step_data("abschluss", ergebnis="beenden"))
        assert db.session.get(ProcessInstance, case_id).status == "completed"


def test_engine_error_on_the_task_page(app, login_as):
    with app.test_request_context():
        publish_broken("condition")
        case_id = start()
        walk_to(case_id, "abschluss")
        task_id = open_row(case_id, "abschluss").id
        before = snapshot(case_id)
    response = login_as("fb36").post(f"/aufgaben/{task_id}", data=to_form(valid_data("abschluss")))
    assert response.status_code == 422
    page = response.data.decode()
    assert "Der Prozess konnte nicht fortgesetzt werden" in page
    assert "division by zero" in page
    with app.test_request_context():
        assert snapshot(case_id) == before


def test_running_cases_keep_their_version(ctx):
    """Publishing a broken version does not touch cases started on the old one."""
    case_id = start()
    publish_broken("condition")
    walk_to(case_id, "abschluss")
    complete(case_id, "abschluss", "fb36")
    case = db.session.get(ProcessInstance, case_id)
    assert (case.version.number, case.status) == (1, "completed")


# --- the sandbox ---------------------------------------------------------------------------------

PROBE = (FIXTURES / "script_probe.bpmn").read_text(encoding="utf-8")
PROBE_SCRIPT = "__import__('os').makedirs(marker)"


def publish_probe(script: str) -> None:
    assert PROBE_SCRIPT in PROBE
    probe = ProcessModel(key="script_probe", name="Skript-Probe", start_departments="FB36",
                         start_role="", reference_prefix="SP")
    db.session.add(probe)
    db.session.flush()
    service.import_version(probe, PROBE.replace(PROBE_SCRIPT, script), user("prozess"), "Probe")
    db.session.commit()


ESCAPES = {
    "import-builtin": PROBE_SCRIPT,
    "import-statement": "import os\nos.makedirs(marker)",
    "open": "open(marker + '.txt', 'w').write('x')",
    "dunder-walk": "x = ().__class__.__bases__[0].__subclasses__()",
    "format-attribute": "x = '{0.__class__.__mro__}'.format(marker)",
    "getattr": "x = getattr(marker, '__class__')",
    "endless-loop": "while True:\n    pass",
}


@pytest.mark.parametrize("probe", sorted(ESCAPES))
def test_sandbox_blocks_script(app, tmp_path, probe):
    with app.test_request_context():
        publish_probe(ESCAPES[probe])
        case_id = start("script_probe")
        task_id = open_row(case_id, "eingabe").id
        before = snapshot(case_id)
    marker = tmp_path / "eingedrungen"

    # Complete in a daemon thread: should the sandbox ever stop bounding run time, this test
    # fails instead of hanging the whole suite.
    raised: list[BaseException | None] = []

    def run() -> None:
        with app.app_context(), app.test_request_context():
            try:
                service.complete_task(db.session.get(Task, task_id), user("fb36"),
                                      {"marker": str(marker)})
                db.session.commit()
                raised.append(None)
            except Exception as exc:  # noqa: BLE001 - checked below
                db.session.rollback()
                raised.append(exc)
            finally:
                db.session.remove()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "the script was not stopped"
    [error] = raised
    assert isinstance(error, service.EngineError), repr(error)
    assert "Der Prozess konnte nicht fortgesetzt werden" in str(error)
    assert not marker.exists() and not Path(str(marker) + ".txt").exists()
    with app.test_request_context():
        assert snapshot(case_id) == before
        assert open_row(case_id, "weiter") is None


def test_sandbox_runs_harmless_script(ctx, tmp_path):
    """Control: the same fixture with an allowed script runs through."""
    publish_probe("laenge = len(marker)\nteile = [t.upper() for t in marker.split('/') if t]")
    case_id = start("script_probe")
    marker = str(tmp_path / "harmlos")
    complete(case_id, "eingabe", "fb36", {"marker": marker})
    assert open_row(case_id, "weiter") is not None
    complete(case_id, "weiter", "fb36", {})
    assert db.session.get(ProcessInstance, case_id).status == "completed"
    assert not Path(marker).exists()


def test_a_crisis_does_not_change_the_cached_spec_for_later_cases(ctx):
    """Issue 12: SpiffWorkflow connected the crisis event subprocess into the cached spec, so
    every case started later by the same process carried a crisis subprocess (6 KB -> 12.5 KB)."""
    def fresh_tasks(case_id: int) -> list[str]:
        state = json.loads(db.session.get(ProcessInstance, case_id).state)
        return sorted(task["task_spec"] for task in state["tasks"].values())

    before = start()
    in_crisis = start()
    crisis.report_crisis(db.session.get(ProcessInstance, in_crisis), user("fb36"), "Notlage", "hoch")
    db.session.commit()
    after = start()
    assert fresh_tasks(after) == fresh_tasks(before)
    assert len(db.session.get(ProcessInstance, after).state) < 1.2 * len(db.session.get(ProcessInstance, before).state)
    # the crisis itself still works: its task is open for the owner team
    assert open_row(in_crisis, "krise_quittieren") is not None or db.session.scalar(
        select(func.count()).select_from(Task).where(Task.instance_id == in_crisis, Task.crisis.is_(True))) > 0


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _shape(state: str):
    """A stored state without what differs between any two cases: task ids (numbered in order of
    appearance) and timestamps."""
    ids: dict[str, str] = {}

    def walk(value):
        if isinstance(value, dict):
            return {walk(k): walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str) and _UUID.match(value):
            return ids.setdefault(value, f"id{len(ids)}")
        if isinstance(value, float):
            return 0.0
        return value

    return walk(json.loads(state))


def test_fresh_states_are_identical_before_and_after_a_crisis_in_the_same_process(ctx):
    """Issue 12: parsed specs are immutable once cached. A case started after another case's
    crisis (same worker process, same cached spec) gets the same fresh state as one started
    before it, up to task ids and timestamps."""
    before = start()
    in_crisis = start()
    crisis.report_crisis(db.session.get(ProcessInstance, in_crisis), user("fb36"), "Notlage", "hoch")
    db.session.commit()
    after = start()
    state = {case_id: db.session.get(ProcessInstance, case_id).state for case_id in (before, after)}
    assert _shape(state[after]) == _shape(state[before])


def test_features_hear_the_life_of_a_case_through_signals(ctx):
    """Issue 12: the engine announces start, completion and end; receivers run in the same
    transaction (a receiver's failure undoes the change)."""
    from app.engine import interventions, signals

    heard: list[tuple] = []

    def on_start(instance, user, **_):
        heard.append(("started", instance.id, user.username))

    def on_task(instance, task, user, data, **_):
        heard.append(("completed", task.bpmn_id, user.username))

    def on_close(instance, outcome, **_):
        heard.append(("closed", instance.id, outcome))

    with signals.case_started.connected_to(on_start), signals.task_completed.connected_to(on_task), \
            signals.case_closed.connected_to(on_close):
        case_id = start()
        complete(case_id, "erfassung", "fb36")
        assert db.session.get(ProcessInstance, case_id).title == step_data("erfassung")["familienname"]
        interventions.terminate(db.session.get(ProcessInstance, case_id), user("leitung"), "Familie verzogen")
        db.session.commit()
    assert heard == [("started", case_id, "fb36"), ("completed", "erfassung", "fb36"),
                     ("closed", case_id, "terminated")]

    def broken(instance, **_):
        raise RuntimeError("receiver failed")

    other = start()
    before = snapshot(other)
    with signals.task_completed.connected_to(broken), pytest.raises(RuntimeError):
        complete(other, "erfassung", "fb36")
    db.session.rollback()
    assert snapshot(other) == before
