"""What the engine tells other features (blinker signals; the sender is the ``ProcessInstance``).

Features react to the life of a case without the engine knowing them: MBE links the client and
writes its statistics rows when a task is completed, the Beratungskontakt turns its capture task
into a contact record, the case file names the case after the family. Receivers run in the same
transaction as the change (they only flush; the request or worker commits once), and an exception
in a receiver undoes the whole change.

- ``task_completing``: ``(instance, task=Task, user=User, data=dict)`` after the task's data joined
  the case file and the workflow moved on, *before* the change is saved: for receivers that only
  set columns of the case row (the case file's title), which then go out with the one UPDATE of
  the save instead of a second one. No queries, no other rows.
- ``task_completed``: ``(instance, task=Task, user=User, data=dict)`` after the task's data joined
  the case file and the workflow moved on (saved, not yet committed).
- ``case_started``: ``(instance, user=User)`` after the first engine steps of a new case.
- ``case_closed``: ``(instance, outcome=str)`` when a case ends (completed or terminated).
- ``tasks_assigned``: ``(instance, tasks=[Task], actor=User | None)`` after the flush of a change
  that gave open task rows to new people (created by the engine, or reassigned by a supervisor);
  app/notify tells them (crises also by mail). ``actor`` is who made the change (None for timers):
  nobody is told of a task they gave themselves (the starter's first task, a supervisor
  reassigning a task to themself).
- ``timer_fired``: ``(instance, name=str, due_at=datetime)`` for each timer event that fired
  (observability: app/ops measures the lag from ``due_at``).
- ``sandbox_evaluated``: ``(mode, ok=bool)`` after each script (``exec``) or expression
  (``eval``) ran in the sandbox, in the process that asked for it (observability: app/ops counts).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

task_completing = _signals.signal("task-completing")
task_completed = _signals.signal("task-completed")
case_started = _signals.signal("case-started")
case_closed = _signals.signal("case-closed")
tasks_assigned = _signals.signal("tasks-assigned")
timer_fired = _signals.signal("timer-fired")
sandbox_evaluated = _signals.signal("sandbox-evaluated")
