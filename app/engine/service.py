"""The engine's public door, in one import: ``from app.engine import service``.

A facade over the modules split by reason to change — ``actions`` (start, complete, claim,
timers firing), ``runtime`` (load, run, record, save), ``locking`` (optimistic lock, one-winner
writes, commit at the edge), ``versions`` (process versions and parsed specs), ``taskrows``
(ready user tasks as rows), ``timers`` (engine-side time) and ``errors``. Features import from
here (or from those modules' public names); nothing outside ``app/engine`` imports
SpiffWorkflow or an underscore name of the engine (tests/architecture/test_engine_door.py).
Domain rules live in their features: crisis reporting in ``app/crisis``, the case title in
``app/cases``.

Services only flush; the request (or CLI command) commits once at its edge. An exception from
here means nothing of the change may be committed. A write that lost against a concurrent
request is rolled back already (``write_conflicts``) and raised as ``ConflictError``.
"""

from __future__ import annotations

from app.engine.actions import claim_task, complete_task, fire_timers, start_instance, unclaim_task
from app.engine.errors import ConflictError, EngineError, ForbiddenError
from app.engine.interventions import withdraw
from app.engine.locking import is_write_conflict, lock_case, write_conflicts
from app.engine.participants import eligible, release_participants
from app.engine.runtime import (
    completed_element_ids,
    dumped_state,
    load_workflow,
    record,
    run_step,
    save,
    script_engine,
    scrub_state,
)
from app.engine.taskrows import sync_tasks
from app.engine.timers import next_timer_due
from app.engine.todos import close_todo, create_todo
from app.engine.versions import import_version, latest_version, parsed_version

__all__ = [
    "ConflictError", "EngineError", "ForbiddenError", "eligible", "release_participants",
    "claim_task", "close_todo", "complete_task", "create_todo", "completed_element_ids", "dumped_state", "fire_timers",
    "import_version", "is_write_conflict", "latest_version", "load_workflow", "lock_case",
    "next_timer_due", "parsed_version", "record", "run_step", "save", "script_engine", "scrub_state",
    "start_instance", "sync_tasks", "unclaim_task", "withdraw", "write_conflicts",
]
