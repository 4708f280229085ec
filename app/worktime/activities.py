"""Working-time shares per activity (seed 004: "der prozentuale Arbeitsumfang im Verhältnis zu
Beratung, Case Management, Gruppenangebote u. a."), gathered from every feature through one signal.

Why a signal: the minutes live in several features (recorded time here, the counselling log,
the case journal); the annual report must not know each of them, and none of them may know the
report. Each source connects a receiver; :func:`collect` adds up what they answer.

Contract of :data:`activity_minutes`::

    activity_minutes.send(None, start=date, end=date, team_ids=list[int])

- ``start`` and ``end`` are office calendar days, both included;
- each receiver returns ``dict[tuple[int, int, str], int]``:
  ``(team_id, user_id, activity_key) -> minutes`` of work done on days ``start`` … ``end``, for
  the teams in ``team_ids`` only (work is counted for the team it was done for; nothing else);
  a receiver with nothing to count returns ``{}`` (``None`` is ignored too);
- activity keys are registered once with :func:`register_activity` (key, lazy label, order);
  an unregistered key is still counted and shown under its key.

Connect a receiver with ``activity_minutes.connect(fn)`` in a module imported at app start;
``fn(sender, *, start, end, team_ids)``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from blinker import Namespace
from flask_babel import lazy_gettext as _l

activity_minutes = Namespace().signal("activity-minutes")

MinuteMap = dict[tuple[int, int, str], int]


@dataclass(frozen=True)
class Activity:
    key: str
    label: Any
    order: int


_ACTIVITIES: dict[str, Activity] = {}


def register_activity(key: str, label: Any, order: int = 100) -> None:
    """Name an activity key (idempotent; the first registration keeps its place)."""
    _ACTIVITIES.setdefault(key, Activity(key, label, order))


def activity_label(key: str) -> str:
    activity = _ACTIVITIES.get(key)
    return str(activity.label) if activity else key


def activity_order(key: str) -> tuple[int, str]:
    activity = _ACTIVITIES.get(key)
    return (activity.order if activity else 1000, key)


# Work in cases (counselling log, journal) …
register_activity("beratung", _l("Beratung"), 10)
register_activity("case_management", _l("Case Management"), 20)
# … and outside cases (recorded under Zeiterfassung; the counselling log may count some too).
RECORDED = (
    ("netzwerkarbeit", _l("Netzwerkarbeit")),
    ("gremien", _l("Gremien und Arbeitskreise")),
    ("gruppenangebote", _l("Gruppenangebote")),
    ("veranstaltungen", _l("Veranstaltungen")),
    ("oeffentlichkeitsarbeit", _l("Öffentlichkeitsarbeit")),
)
for _order, (_key, _label) in enumerate(RECORDED, start=30):
    register_activity(_key, _label, _order)


def collect(start: date, end: date, team_ids: list[int]) -> MinuteMap:
    """Every receiver's minutes, added up per (team, user, activity)."""
    total: dict[tuple[int, int, str], int] = defaultdict(int)
    if not team_ids:
        return {}
    for receiver, answer in activity_minutes.send(None, start=start, end=end, team_ids=list(team_ids)):
        for row_key, minutes in (answer or {}).items():
            if not (isinstance(row_key, tuple) and len(row_key) == 3):
                raise TypeError(f"{receiver!r} answered {row_key!r}: keys must be (team_id, user_id, activity_key)")
            team_id, user_id, key = row_key
            if team_id in team_ids and minutes:
                total[(team_id, user_id, key)] += int(minutes)
    return dict(total)


@dataclass
class ShareRow:
    """One team's or person's minutes per activity and the shares (percent points, unrounded)."""

    label: str
    minutes: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.minutes.values())

    def share(self, key: str) -> float:
        return 100 * self.minutes.get(key, 0) / self.total if self.total else 0.0

    @property
    def hours(self) -> float:
        return self.total / 60


@dataclass
class Shares:
    activities: list[tuple[str, str]]  # (key, label) of the activities with any minutes
    teams: list[ShareRow]
    people: list[ShareRow]
    overall: ShareRow


def shares(minutes: MinuteMap, team_names: dict[int, str], user_names: dict[int, str]) -> Shares:
    """Group :func:`collect`'s answer by team and by person (people across the teams in scope)."""
    by_team: dict[int, ShareRow] = {}
    by_person: dict[int, ShareRow] = {}
    overall = ShareRow(label="")
    for (team_id, user_id, key), value in minutes.items():
        for rows, row_key, name in ((by_team, team_id, team_names.get(team_id, str(team_id))),
                                    (by_person, user_id, user_names.get(user_id, str(user_id)))):
            row = rows.setdefault(row_key, ShareRow(label=name))
            row.minutes[key] = row.minutes.get(key, 0) + value
        overall.minutes[key] = overall.minutes.get(key, 0) + value
    keys = sorted(overall.minutes, key=activity_order)
    return Shares(activities=[(k, activity_label(k)) for k in keys],
                  teams=sorted(by_team.values(), key=lambda r: r.label.casefold()),
                  people=sorted(by_person.values(), key=lambda r: r.label.casefold()),
                  overall=overall)
