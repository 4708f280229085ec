"""The engine's clock: real time, or a given moment for ``flask timers fire-due --now``.

SpiffWorkflow's timer events read ``datetime.now(timezone.utc)`` from their module; that name
is replaced by a subclass whose ``now`` honours :func:`engine_time`. Everything else about
``datetime`` is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module

_now: ContextVar[datetime | None] = ContextVar("engine_now", default=None)


class _EngineDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        fixed = _now.get()
        if fixed is None:
            return datetime.now(tz)
        return fixed.astimezone(tz) if tz is not None else fixed.replace(tzinfo=None)


_timer_module.datetime = _EngineDatetime


def engine_now() -> datetime:
    """Now, as the engine sees it (aware, UTC)."""
    fixed = _now.get()
    return fixed if fixed is not None else datetime.now(UTC)


@contextmanager
def engine_time(moment: datetime | None) -> Iterator[None]:
    """Run engine code as if it were ``moment`` (None: real time)."""
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    token = _now.set(moment)
    try:
        yield
    finally:
        _now.reset(token)
