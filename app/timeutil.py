"""Time helpers: the database stores UTC; SQLite forgets the offset, so we restore it."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import overload
from zoneinfo import ZoneInfo

DEFAULT_OFFICE_TIMEZONE = "Europe/Berlin"


def use_office_timezone(zone: str | None = None) -> None:
    """Make the process's local time the offices' time (``APP_TIMEZONE``, default Berlin).

    Timestamps are stored in UTC; but "today" — a form's "not in the future", a statistics period
    ending today, this year's report — is the office's calendar day. Setting TZ once lets
    ``date.today()`` mean that day everywhere (between 23:00 and 00:00 UTC it is already tomorrow
    in Berlin), in the web server, the timer worker and the tests alike.
    """
    os.environ["TZ"] = zone or os.environ.get("APP_TIMEZONE") or DEFAULT_OFFICE_TIMEZONE
    if hasattr(time, "tzset"):
        time.tzset()


def office_zone() -> ZoneInfo:
    """The offices' time zone (the process time zone set by ``use_office_timezone``)."""
    return ZoneInfo(os.environ.get("TZ") or DEFAULT_OFFICE_TIMEZONE)


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC instants from the start of the office day ``first`` to the end of the day ``last``."""
    zone = office_zone()
    return (datetime.combine(first, dtime.min, zone).astimezone(UTC),
            datetime.combine(last + timedelta(days=1), dtime.min, zone).astimezone(UTC))


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
@overload
def aware(value: datetime | None) -> datetime | None: ...
def aware(value: datetime | None) -> datetime | None:
    """Return ``value`` as an aware UTC datetime (SQLite returns naive values)."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def iso(value: datetime | None) -> str | None:
    value = aware(value)
    return value.isoformat() if value else None
