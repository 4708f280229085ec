"""Engine-side time: which timer events of a workflow are armed and when they are due, and the
due date of a user task from its BPMN properties. Pure evaluation over a loaded workflow; the
worker that fires due timers is ``app/timers`` (through ``actions.fire_timers``)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition


def timer_events(workflow) -> dict[str, datetime]:
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


def next_timer_due(workflow) -> datetime | None:
    """When the next armed timer of the workflow is due (stored on the case for the worker)."""
    due = timer_events(workflow)
    return min(due.values()) if due else None


def due_at(spiff_task, props: dict, now: datetime) -> datetime | None:
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
