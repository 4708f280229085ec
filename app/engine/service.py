"""The one door to SpiffWorkflow: start, complete, claim, and the task-row sync.

Services only flush; the request (or CLI command) commits once at its edge. An exception from
here means nothing of the change may be committed. A write that lost against a concurrent
request is rolled back here already (``write_conflicts``) and raised as ``ConflictError``.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from uuid import UUID, uuid4

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.auth.models import Team, User
from app.engine import lanes, signals
from app.engine.clock import engine_now, engine_time
from app.engine.isolation import make_script_engine
from app.engine.models import (
    ACTIVE_TASK_STATES,
    CANCELLED,
    CLAIMED,
    COMPLETED,
    DONE,
    FULL,
    LIMITED,
    OPEN,
    RUNNING,
    CaseEvent,
    CaseParticipant,
    ProcessInstance,
    ProcessModel,
    ProcessVersion,
    Task,
)
from app.engine.specs import ParsedProcess, spec_cache
from app.engine.state import dump_state, load_state
from app.extensions import db
from app.timeutil import utcnow

# Workflows with nested subprocesses recurse in Spiff; loops are kept flat by pruning.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))


class EngineError(Exception):
    """The engine could not run the step; nothing was saved."""


class ConflictError(Exception):
    """Someone else changed the task or case first (HTTP 409)."""


class ForbiddenError(Exception):
    """The user may see the object but not do this (HTTP 403)."""


def _script_engine():
    config = current_app.config
    return make_script_engine(
        timeout=config["SCRIPT_TIMEOUT_SECONDS"], memory_mb=config["SANDBOX_MEMORY_MB"],
        kill_grace=config["SANDBOX_KILL_GRACE_SECONDS"], max_data_bytes=config["CASE_DATA_MAX_BYTES"],
        max_processes=config["SANDBOX_MAX_PROCESSES"], idle_processes=config["SANDBOX_IDLE_PROCESSES"],
        total_seconds=config["SCRIPT_TOTAL_SECONDS"],
    )


def latest_version(model: ProcessModel) -> ProcessVersion | None:
    return db.session.scalar(
        select(ProcessVersion)
        .where(ProcessVersion.model_id == model.id)
        .order_by(ProcessVersion.number.desc())
        .limit(1)
    )


def parsed_version(version: ProcessVersion) -> ParsedProcess:
    return spec_cache.get(version.content_hash, lambda: version.bpmn_xml, version.model.key)


def import_version(model: ProcessModel, xml: str, user: User | None, comment: str) -> ProcessVersion | None:
    """Store ``xml`` as a new version of ``model`` unless it equals the newest one."""
    digest = hashlib.sha256(xml.encode("utf-8")).hexdigest()
    newest = latest_version(model)
    if newest is not None and newest.content_hash == digest:
        return None
    if user is None and _last_file_import_hash(model) == digest:
        return None  # the file is unchanged since its last import: a process owner's newer version stays
    from app.engine.specs import parse_bpmn

    parse_bpmn(xml, model.key)  # refuse what cannot run
    version = ProcessVersion(
        model=model, number=(newest.number + 1) if newest else 1, bpmn_xml=xml,
        content_hash=digest, published_by=user, comment=comment,
    )
    db.session.add(version)
    db.session.flush()
    return version


def _last_file_import_hash(model: ProcessModel) -> str | None:
    """Content hash of the newest version imported from a shipped file (no publishing user)."""
    return db.session.scalar(
        select(ProcessVersion.content_hash)
        .where(ProcessVersion.model_id == model.id, ProcessVersion.published_by_id.is_(None))
        .order_by(ProcessVersion.number.desc())
        .limit(1)
    )


# --- starting and completing ----------------------------------------------------------------

def start_instance(model: ProcessModel, user: User, team: Team, draft: dict | None = None) -> ProcessInstance:
    version = latest_version(model)
    if version is None:
        raise EngineError(_("Für diesen Prozess ist keine Version veröffentlicht."))
    parsed = parsed_version(version)
    from SpiffWorkflow.bpmn import BpmnWorkflow

    instance = ProcessInstance(
        reference=uuid4().hex[:20], version=version, owner_team=team, started_by=user,
        data={}, state="",
    )
    db.session.add(instance)
    db.session.flush()
    year = utcnow().year
    instance.reference = f"{model.reference_prefix}-{year}-{instance.id:05d}"
    db.session.add(CaseParticipant(instance=instance, team_id=team.id, level=FULL, reason="owner",
                                   leads_only=bool(model.confidential)))
    _add_lane_teams(instance, parsed)

    workflow = _run(lambda: _new_workflow(BpmnWorkflow, parsed))
    new_tasks = _sync(instance, workflow, parsed, completed_row=None, actor=user, fresh=True)
    if draft and new_tasks:
        new_tasks[0].draft = draft
    _record(instance, "started", "", user, None)
    _save(instance, workflow)
    signals.case_started.send(instance, user=user)
    return instance


def _new_workflow(cls, parsed: ParsedProcess):
    workflow = cls(parsed.spec, parsed.subprocess_specs, script_engine=_script_engine())
    workflow.do_engine_steps()
    return workflow


def complete_task(task: Task, user: User, data: dict) -> ProcessInstance:
    """Complete ``task`` with validated, JSON-plain ``data`` and run the engine onwards."""
    instance = task.instance
    if task.status not in ACTIVE_TASK_STATES:
        raise ConflictError(_("Diese Aufgabe ist bereits erledigt."))
    standing_in_for = _standing_in_for(task, user)
    if task.assignee_id is not None and task.assignee_id != user.id and standing_in_for is None:
        raise ConflictError(_("Diese Aufgabe wurde von einer anderen Person übernommen."))
    if instance.status != RUNNING:
        raise ConflictError(_("Der Fall ist nicht aktiv."))
    _check_unchanged(task, instance)
    parsed = parsed_version(instance.version)
    workflow = _load(instance, parsed)
    spiff_task = workflow.get_task_from_id(UUID(task.spiff_task_id))
    if spiff_task is None or spiff_task.state != TaskState.READY:
        raise ConflictError(_("Diese Aufgabe ist bereits erledigt."))

    def step():
        spiff_task.data.update(data)
        spiff_task.run()
        baseline.update(spiff_task.data)
        workflow.do_engine_steps()

    baseline: dict = {}
    _run(step)
    with write_conflicts(task):  # the flush in _save writes everything at once; a race surfaces there
        _apply_completion(instance, task, user, data, parsed, workflow, baseline, standing_in_for)
    return instance


def _standing_in_for(task: Task, user: User) -> User | None:
    """The absent colleague whose personal task ``user`` works on as their substitute."""
    if task.assignee_id is None or task.assignee_id == user.id:
        return None
    from app.absence.services import covered_user_ids

    return task.assignee if task.assignee_id in covered_user_ids(user) else None


def _apply_completion(instance, task, user, data, parsed, workflow, baseline,
                      standing_in_for: User | None = None) -> None:
    with db.session.no_autoflush:
        if standing_in_for is not None:
            _record(instance, "cover", task.title, user, {"vertretung_fuer": standing_in_for.username},
                    task=task)
        task.assignee = user
        instance.data = {**(instance.data or {}), **data}
        _record(instance, "task_completed", task.title, user, data, task=task)
        _add_data_participants(instance, parsed, data)
        _sync(instance, workflow, parsed, completed_row=task, actor=user, baseline=baseline)
    _save(instance, workflow)
    # e.g. app/mbe: link the client, write statistics rows; app/cases: the case's title
    signals.task_completed.send(instance, task=task, user=user, data=data)


CRISIS_MESSAGE = "krise_gemeldet"


def crisis_not_offered_message() -> str:
    return _("Dieses Verfahren sieht keine Krisenmeldung vor.")


def offers_crisis(instance: ProcessInstance) -> bool:
    """Does the case's process version catch the crisis message (``krise_gemeldet``)? Read from
    the cached parsed version, so the case view can ask without loading the workflow."""
    return _message_definition(parsed_version(instance.version), CRISIS_MESSAGE) is not None


def report_crisis(instance: ProcessInstance, user: User, beschreibung: str,
                  dringlichkeit: str) -> list[Task]:
    """Send the crisis message into the case; returns the crisis task rows it created.

    The BPMN decides what happens (event subprocess started by the message ``krise_gemeldet``):
    who gets the task, the acknowledgement deadline, the escalation.
    """
    if instance.status != RUNNING:
        raise ConflictError(_("Der Fall ist nicht aktiv."))
    parsed = parsed_version(instance.version)
    definition = _message_definition(parsed, CRISIS_MESSAGE)
    if definition is None:
        raise ConflictError(crisis_not_offered_message())
    report = {"beschreibung": beschreibung, "dringlichkeit": dringlichkeit,
              "gemeldet_von": user.username, "gemeldet_am": engine_now().isoformat()}
    # The crisis event subprocess runs on a spec in which it is already connected, so that
    # SpiffWorkflow does not connect it into the shared one (see ParsedProcess.specs_for).
    workflow = _load(instance, parsed, also_triggered=frozenset(parsed.trigger_specs))

    def step():
        from SpiffWorkflow.bpmn import BpmnEvent

        workflow.catch(BpmnEvent(definition, payload=report))
        workflow.do_engine_steps()

    _run(step)
    with write_conflicts():
        with db.session.no_autoflush:
            instance.data = {**(instance.data or {}),
                             "krisen": [*(instance.data or {}).get("krisen", []), report]}
            _record(instance, "crisis", "", user, report)
            created = _sync(instance, workflow, parsed, completed_row=None, actor=user)
        _save(instance, workflow)
    return [row for row in created if row.crisis]


def _message_definition(parsed: ParsedProcess, name: str):
    for spec in [parsed.spec, *parsed.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            if definition is not None and getattr(definition, "name", None) == name:
                return definition
    return None


def claim_task(task: Task, user: User) -> None:
    if task.status not in ACTIVE_TASK_STATES:
        raise ConflictError(_("Diese Aufgabe ist bereits erledigt."))
    if task.assignee_id == user.id:
        return
    if task.assignee_id is not None:
        raise ConflictError(_("Diese Aufgabe wurde bereits von einer anderen Person übernommen."))
    if task.candidate_team_id not in (user.lead_team_ids if task.for_leads else user.member_team_ids):
        raise ForbiddenError(_("Sie gehören nicht zur Gruppe dieser Aufgabe."))
    task_id = task.id
    try:
        _take_row(task, {"status": task.status, "assignee_id": None}, assignee_id=user.id, status=CLAIMED)
    except ConflictError:
        if _fresh_row(task_id) == (CLAIMED, user.id):
            return  # the same person pressed twice: the first press took the task
        raise
    _record(task.instance, "claimed", task.title, user, None, task=task)


def unclaim_task(task: Task, user: User) -> None:
    if task.status != CLAIMED or task.candidate_team_id is None:
        raise ConflictError(_("Diese Aufgabe kann nicht zurückgegeben werden."))
    if task.assignee_id != user.id and _standing_in_for(task, user) is None:
        raise ForbiddenError(_("Nur die Person, die die Aufgabe übernommen hat, kann sie zurückgeben."))
    _take_row(task, {"status": CLAIMED, "assignee_id": task.assignee_id}, assignee_id=None, status=OPEN)
    _record(task.instance, "unclaimed", task.title, user, None, task=task)


# --- internals -------------------------------------------------------------------------------

def _run(fn):
    """Run engine code; any failure becomes an EngineError with a readable message."""
    try:
        return fn()
    except (ConflictError, EngineError):
        raise
    except Exception as exc:  # noqa: BLE001 - the engine raises anything; report, save nothing
        current_app.logger.warning("engine step failed: %s", exc, exc_info=True)
        detail = getattr(exc, "error_msg", None) or str(exc) or type(exc).__name__
        cause = exc.__cause__ or exc.__context__  # Spiff wraps e.g. a failing condition's error
        if cause is not None and str(cause) and str(cause) not in detail:
            detail = f"{detail.strip().rstrip('.')}: {type(cause).__name__}: {cause}"
        raise EngineError(_("Der Prozess konnte nicht fortgesetzt werden: %(detail)s", detail=detail)) from exc


def _load(instance: ProcessInstance, parsed: ParsedProcess, also_triggered: frozenset[str] = frozenset()):
    spec, subprocess_specs = parsed.specs_for(parsed.triggered_in(instance.state) | also_triggered)
    return _run(lambda: load_state(instance.state, spec, subprocess_specs, _script_engine()))


def completed_element_ids(instance: ProcessInstance) -> set[str]:
    """BPMN ids of the events, gateways and tasks the engine completed in this case (the path
    shown in the monitor); empty if the state cannot be loaded."""
    if not instance.state:
        return set()
    try:
        workflow = _load(instance, parsed_version(instance.version))
    except Exception:  # noqa: BLE001 - the caller still shows the path from the task rows
        return set()
    return {bpmn_id for spiff_task in workflow.get_tasks(state=TaskState.COMPLETED)
            if (bpmn_id := getattr(spiff_task.task_spec, "bpmn_id", None))}


def _case_ending(workflow) -> str | None:
    """The outcome of a reached end event marked ``endsCase`` (ends the whole case), if any.

    BPMN's terminate end event only ends its own (sub)process; an end event inside an event
    subprocess that must end the case carries ``endsCase=true`` and an ``outcome``.
    """
    for spiff_task in workflow.get_tasks(state=TaskState.COMPLETED):
        props = (getattr(spiff_task.task_spec, "extensions", None) or {}).get("properties") or {}
        if str(props.get("endsCase", "")).lower() == "true":
            return props.get("outcome") or "beendet"
    return None


def dumped_state(workflow) -> str:
    """The workflow's state to store, refused (EngineError, nothing saved) above
    ``CASE_STATE_MAX_BYTES``: a case state is loaded and written on every step of the case."""
    state = _run(lambda: dump_state(workflow))
    limit = current_app.config["CASE_STATE_MAX_BYTES"]
    if len(state) > limit:
        raise EngineError(_(
            "Der Prozess konnte nicht fortgesetzt werden: Die Falldaten wären zu groß "
            "(%(size)s MB, erlaubt sind %(limit)s MB).",
            size=format_decimal(round(len(state) / 2**20, 1)), limit=format_decimal(round(limit / 2**20, 1))))
    return state


def _save(instance: ProcessInstance, workflow) -> None:
    ending = _case_ending(workflow)
    if ending is not None and not workflow.is_completed():
        _run(workflow.cancel)
        _cancel_open_rows(instance)
    instance.state = dumped_state(workflow)
    instance.next_timer_due = _next_timer_due(workflow)
    instance.error_message = None  # a step went through: an earlier timer error is over
    if workflow.is_completed():
        instance.status = COMPLETED
        instance.ended_at = engine_now()
        instance.outcome = ending or (instance.data or {}).get("ergebnis") or "abgeschlossen"
        _record(instance, "completed", "", None, {"ergebnis": instance.outcome})
        signals.case_closed.send(instance, outcome=instance.outcome)
    _flush()
    _announce_new_tasks()


_NEW_ROWS = "engine.new_task_rows"


def _announce_new_tasks() -> None:
    """Tell the people of each task created in this change (in the app; crises also by mail).

    Runs after the flush (the rows need their ids for links) in the same transaction: a
    rolled-back change announces nothing.
    """
    from app.notify.services import notify_task

    rows = db.session.info.pop(_NEW_ROWS, [])
    for row in rows:
        if row.status in ACTIVE_TASK_STATES:
            notify_task(row, email=row.crisis)
    if rows:
        db.session.flush()


def _cancel_open_rows(instance: ProcessInstance) -> None:
    for row in db.session.scalars(select(Task).where(
            Task.instance_id == instance.id, Task.status.in_(ACTIVE_TASK_STATES))):
        row.status = CANCELLED


def lock_case(instance: ProcessInstance) -> None:
    """Take the case's optimistic lock for a change made outside the engine (e.g. a handover):
    a concurrent change of the same case then conflicts (ConflictError) instead of both winning."""
    _touch(instance)


def _touch(instance: ProcessInstance, task: Task | None = None) -> None:
    """Bump the row version so concurrent changes of the same case conflict."""
    db.session.add(instance)
    from sqlalchemy.orm.attributes import flag_modified

    flag_modified(instance, "status")
    _flush(task)


def _flush(task: Task | None = None) -> None:
    with write_conflicts(task):
        db.session.flush()


# --- one winner: conditional writes and lost races ---------------------------------------------

# PostgreSQL's "another transaction was in the way": serialization failure, deadlock detected,
# lock not available (lock_timeout).
_PG_RACES = frozenset({"40001", "40P01", "55P03"})


def is_write_conflict(exc: BaseException) -> bool:
    """Did a write fail only because a concurrent request changed or locked the same rows?"""
    if isinstance(exc, StaleDataError):
        return True
    if isinstance(exc, DBAPIError):
        if (getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)) in _PG_RACES:
            return True
        return "database is locked" in str(exc.orig)  # SQLite: the busy timeout ran out
    return False


@contextmanager
def write_conflicts(task: Task | None = None) -> Iterator[None]:
    """Turn a write that lost against a concurrent request into a ConflictError (HTTP 409).

    The session is rolled back *before* the message is made: after a failed flush every
    attribute access raises PendingRollbackError, and translating the message may read the
    user's locale (an API caller's ``User.locale``), which was the 500 of the losing claims.
    """
    task_id = task.id if task is not None else None  # unreadable once the flush has failed
    try:
        yield
    except (StaleDataError, DBAPIError) as exc:
        if not is_write_conflict(exc):
            raise
        db.session.rollback()
        raise _task_conflict(task_id) from exc


def commit() -> None:
    """Commit a request's change at its edge (views, CLI); a commit that loses against a
    concurrent one becomes a ConflictError, after the rollback (``write_conflicts``)."""
    with write_conflicts():
        db.session.commit()


def _take_row(task: Task, seen: dict, **values) -> None:
    """Write ``values`` to the row of ``task`` only if its columns are still ``seen`` (what this
    request checked, e.g. status and assignee): "check, then write" of claims and reassignments
    made atomic.

    First the case's row version is bumped (every change of a task row does that, so that a
    completion computed from an older case state conflicts; PostgreSQL thereby locks the case
    before the task, in the order of a completion's flush: no deadlock). Then one conditional
    UPDATE: of concurrent requests exactly one finds the row unchanged (PostgreSQL re-checks
    the WHERE clause after waiting for the row lock, SQLite has one writer at a time); the
    others get a ConflictError. Without ``values`` the row is only locked until the commit.
    """
    _touch(task.instance, task)
    unchanged = [getattr(Task, k).is_(None) if v is None else getattr(Task, k) == v for k, v in seen.items()]
    statement = (update(Task).where(Task.id == task.id, *unchanged)
                 .values(**(values or {"status": seen["status"]}))
                 .execution_options(synchronize_session=False))
    with write_conflicts(task):
        taken = db.session.execute(statement).rowcount  # type: ignore[attr-defined]  # DML gives a CursorResult
    if taken != 1:
        raise _task_conflict(task.id)
    for key, value in values.items():
        set_committed_value(task, key, value)
    if "assignee_id" in values:
        db.session.expire(task, ["assignee"])


def _check_unchanged(task: Task, instance: ProcessInstance) -> None:
    """Is the task row still as this request read it? Read fresh *after* the case row: a change
    of the task committed later also bumped the case's row version (claims, reassignments and
    completions all do), so the version check of the final flush catches it; one committed
    before is seen here. So a completion never overwrites a claim it did not see."""
    _ = instance.row_version  # loaded (if expired) before the fresh read
    if _fresh_row(task.id) != (task.status, task.assignee_id):
        raise _task_conflict(task.id)


def _fresh_row(task_id: int | None) -> tuple[str, int | None] | None:
    row = db.session.execute(select(Task.status, Task.assignee_id).where(Task.id == task_id)).first()
    return (row.status, row.assignee_id) if row is not None else None


def _task_conflict(task_id: int | None) -> ConflictError:
    """The answer to a request that lost a race, saying what became of the task (read fresh;
    only on a healthy session, i.e. after the rollback of a failed write)."""
    from app.engine.interventions import PAUSED

    fresh = _fresh_row(task_id) if task_id is not None else None
    status, assignee_id = fresh or (None, None)
    if status == CANCELLED:
        return ConflictError(_("Diese Aufgabe wurde abgebrochen."))
    if status == PAUSED:
        return ConflictError(_("Dieser Fall ist angehalten; die Aufgabe kann erst nach der Fortsetzung "
                               "bearbeitet werden."))
    if status is not None and status not in ACTIVE_TASK_STATES:
        return ConflictError(_("Diese Aufgabe ist bereits erledigt."))
    if assignee_id is not None:
        return ConflictError(_("Diese Aufgabe wurde bereits von einer anderen Person übernommen."))
    return ConflictError(_("Der Fall wurde gleichzeitig von einer anderen Person geändert."))


def _timer_events(workflow) -> dict[str, datetime]:
    """Armed timer events of the workflow: event name (or type) -> due time (aware)."""
    due: dict[str, datetime] = {}
    for event in workflow.waiting_events():
        if "Timer" not in event.event_type and "TimeDate" not in event.event_type:
            continue
        value = event.value
        if isinstance(value, dict):  # cycle timers keep {"next": iso, ...}
            value = value.get("next")
        try:
            moment = TimerEventDefinition.parse_time_or_duration(value) if isinstance(value, str) else None
        except Exception:  # noqa: BLE001 - an odd value must not block saving the case
            moment = None
        if isinstance(moment, datetime):
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
            name = event.name or event.event_type
            due[name] = min(moment, due.get(name, moment))
    return due


def _next_timer_due(workflow) -> datetime | None:
    due = _timer_events(workflow)
    return min(due.values()) if due else None


def fire_timers(instance: ProcessInstance, now: datetime) -> list[str]:
    """Let the timers of ``instance`` that are due at ``now`` fire; returns their names.

    Runs the engine as if it were ``now`` (``flask timers fire-due --now``), syncs task rows
    and records each fired timer in the case history.
    """
    if instance.status != RUNNING:
        instance.next_timer_due = None
        _flush()
        return []
    parsed = parsed_version(instance.version)
    workflow = _load(instance, parsed)
    with engine_time(now):
        before = _timer_events(workflow)

        def step():
            workflow.refresh_timers()
            workflow.do_engine_steps()

        _run(step)
        after = _timer_events(workflow)
        fired = [name for name, moment in before.items() if moment <= now and name not in after]
        with db.session.no_autoflush:
            for name in fired:
                _record(instance, "timer", name, None, None)
            _sync(instance, workflow, parsed, completed_row=None, actor=None, fresh=False,
                  baseline={})
        _save(instance, workflow)
    return fired


def _add_lane_teams(instance: ProcessInstance, parsed: ParsedProcess) -> None:
    """Fixed-team lanes make those teams participants of every case of the process."""
    seen = set()
    for info in parsed.user_tasks.values():
        kind, arg = lanes.LANE_RULES.get(info.lane or "", (lanes.OWNER_TEAM, None))
        if kind == lanes.TEAM and arg not in seen:
            seen.add(arg)
            team = db.session.scalar(select(Team).where(Team.key == arg))
            if team is not None:
                db.session.add(CaseParticipant(instance=instance, team_id=team.id, level=FULL, reason="lane"))


def _add_data_participants(instance: ProcessInstance, parsed: ParsedProcess, data: dict) -> None:
    """A person chosen in the case data for a lane (the volunteer) takes part from then on."""
    fields = set()
    for info in parsed.user_tasks.values():
        kind, arg = lanes.LANE_RULES.get(info.lane or "", (lanes.OWNER_TEAM, None))
        if kind == lanes.USER_FROM_DATA and arg and data.get(arg):
            fields.add(arg)
    for field in fields:
        user = db.session.scalar(select(User).where(User.username == str(data[field])))
        if user is not None:
            _ensure_user_participant(instance, user)


def _sync(instance: ProcessInstance, workflow, parsed: ParsedProcess, completed_row: Task | None,
          actor: User | None, baseline: dict | None = None, fresh: bool = False) -> list[Task]:
    """Make the task rows match the engine: new READY user tasks in, vanished ones out."""
    db.session.info[_NEW_ROWS] = []  # rows of this change only (announced by _save)
    ready = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
    rows = db.session.scalars(
        select(Task).where(Task.instance_id == instance.id, Task.status.in_(ACTIVE_TASK_STATES))
    ).all() if not fresh else []  # a case just started has no rows yet
    now = engine_now()
    known = set()
    for row in rows:
        known.add(row.spiff_task_id)
        if row.spiff_task_id in ready:
            continue
        if completed_row is not None and row.id == completed_row.id:
            row.status, row.completed_at, row.completed_by = DONE, now, actor
        else:
            row.status = CANCELLED
    created = []
    for spiff_id, spiff_task in ready.items():
        if spiff_id in known:
            continue
        if baseline is not None:
            _adopt_script_results(instance, baseline, spiff_task.data)
        info = parsed.user_tasks.get(spiff_task.task_spec.bpmn_id)
        created.append(_new_task_row(instance, spiff_id, spiff_task, info, now))
    return created


def _adopt_script_results(instance: ProcessInstance, baseline: dict, task_data: dict) -> None:
    """Values that scripts set between the completed task and a newly activated one join the
    case file (e.g. the new end date after "fortführen"); plain JSON scalars only.

    Comparing with the completed task's own data (``baseline``) keeps stale copies that other
    parallel branches carry from overwriting newer values.
    """
    data = instance.data or {}
    changed = {k: v for k, v in task_data.items()
               if baseline.get(k) != v and isinstance(v, (str, int, float, bool))}
    if changed:
        instance.data = {**data, **changed}


def _new_task_row(instance, spiff_id, spiff_task, info, now) -> Task:
    spec = spiff_task.task_spec
    props = info.properties if info else {}
    try:
        # A "lane" property sends one task elsewhere than its lane (e.g. to the Leitung from
        # inside a subprocess drawn in the Fachbereich lane).
        target = lanes.route(props.get("lane") or spec.lane, instance)
    except lanes.RoutingError as exc:
        raise EngineError(str(exc)) from exc
    due_at = _due_at(spiff_task, props, now)
    row = Task(
        instance=instance, spiff_task_id=spiff_id, bpmn_id=spec.bpmn_id,
        title=(info.title if info else spec.bpmn_name) or spec.bpmn_id, lane=spec.lane,
        candidate_team=target.team, assignee=target.user, for_leads=target.for_leads,
        crisis=str(props.get("crisis", "")).lower() == "true",
        priority=1 if str(props.get("crisis", "")).lower() == "true" else 0,
        context=_task_context(spiff_task),
        form_key=info.form_key if info else None, due_at=due_at, status=OPEN, created_at=now,
        iteration=int(spiff_task.internal_data.get("iteration", 0) or 0)
        if hasattr(spiff_task, "internal_data") else 0,
    )
    db.session.add(row)
    db.session.info.setdefault(_NEW_ROWS, []).append(row)
    if target.user is not None:
        _ensure_user_participant(instance, target.user)
    return row


def _due_at(spiff_task, props: dict, now: datetime) -> datetime | None:
    """The task's due date from the BPMN: ``dueIn`` (a fixed ISO 8601 duration, e.g. P10D) or
    ``dueDate`` (a sandboxed expression over the case data giving a duration, a date or a
    date-time, e.g. ``"PT1H" if krise["dringlichkeit"] == "hoch" else "PT4H"``).

    A bad value leaves the task without due date rather than stopping the case; the modeler's
    validation reports it before publishing.
    """
    try:
        if props.get("dueDate"):
            value = spiff_task.workflow.script_engine.evaluate(spiff_task, props["dueDate"])
        else:
            value = props.get("dueIn")
        if not value:
            return None
        value = str(value)
        if value.upper().startswith("P"):
            return now + TimerEventDefinition.get_timedelta_from_start(
                TimerEventDefinition.parse_iso_duration(value), now)
        moment = datetime.fromisoformat(value)
        if len(value) <= 10:  # a date: due at the end of that day (local office time ~ UTC+1)
            moment = moment.replace(hour=23, minute=59)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    except Exception as exc:  # noqa: BLE001
        current_app.logger.warning("due date of %s not computed: %s", spiff_task.task_spec.bpmn_id, exc)
        return None


def _task_context(spiff_task) -> dict | None:
    """The crisis report a crisis task answers (message payload ``krise``), if any."""
    report = spiff_task.data.get("krise")
    return {"krise": report} if isinstance(report, dict) else None


def _ensure_user_participant(instance: ProcessInstance, user: User) -> None:
    pending = any(isinstance(obj, CaseParticipant) and obj.instance is instance
                  and obj.user_id == user.id for obj in db.session.new)
    if pending:
        return
    exists = db.session.scalar(
        select(CaseParticipant.id).where(
            CaseParticipant.instance_id == instance.id, CaseParticipant.user_id == user.id
        )
    )
    if exists is None:
        level = FULL if user.id in (instance.started_by_id, instance.responsible_id) else LIMITED
        db.session.add(CaseParticipant(instance=instance, user_id=user.id, level=level, reason="lane"))


def _record(instance, kind, title, actor, data, task: Task | None = None) -> None:
    """Append to the case history. ``title`` is data (a task name), never translated text:
    the case view labels each kind in the reader's language."""
    db.session.add(CaseEvent(instance=instance, kind=kind, title=str(title), actor=actor,
                             data=data, task=task))


