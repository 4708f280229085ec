"""Disclosure control for published person-level figures (issue 14, item 6), shared by every
statistic that counts people: the MBE statistics (app/mbe/statistics.py) and the alliance figures
of the young adults' case management (app/alliance/figures.py).

* Primary suppression: a count of 1 or 2 is shown as "< 3".
* Secondary suppression: where cells add up to a published total, :func:`suppress` plays the
  attacker: it narrows every cell to an interval (visible: its value, "< 3": 1..2, "x": 3 or
  more) and propagates the sum constraints of all groups (``(total, cells)``; groups may share a
  total, and there may be several totals) until nothing changes. As long as any masked cell (or
  a masked total) is pinned to one value, it masks the smallest visible non-zero cell of an
  affected group as "x"; with no visible cell left there, the group's total. If even that leaves
  a value pinned (e.g. fewer than 3 people), the groups that give it away are withheld
  altogether and the others are decided again.
* Periods: person-level figures cover whole calendar months only (:func:`month_end`).
"""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

MASK = "< 3"
SECONDARY = "x"  # masked so that no "< 3" can be computed from a sum
VISIBLE, PRIMARY, HIDDEN, WITHHELD = "visible", "primary", "secondary", "withheld"
INF = float("inf")
WITHHELD_NOTE = _l("Bei weniger als 3 Fällen wird nicht aufgeschlüsselt.")
LEGEND = _l("„< 3“: 1 oder 2; „x“: geheim gehalten, damit sich keine kleine Zahl aus einer Summe errechnen lässt.")


def mask(count: int) -> str:
    """Counts of 1 or 2 are shown as "< 3" so that nobody can be singled out."""
    return MASK if 0 < count < 3 else str(count)


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def whole_months(start: date, end: date) -> bool:
    """Whether [start, end] covers whole calendar months (at least one)."""
    return start.day == 1 and end == month_end(end) and end >= start


Key = tuple[str, str]
Group = tuple[Key, list[Key]]  # (total, cells adding up to it)


def _start_interval(value: int, status: str) -> tuple[float, float]:
    if status == VISIBLE:
        return value, value
    if status == PRIMARY:
        return 1, 2
    if status == HIDDEN:
        return 3, INF
    return 0, INF  # withheld: nothing shown


def intervals(values: dict[Key, int], status: dict[Key, str], groups: list[Group]) -> dict[Key, tuple[float, float]]:
    """What an attacker can infer about each cell from what is shown and the sum constraints."""
    known = {key: _start_interval(values[key], status[key]) for key in values}
    for _round in range(50):
        changed = False
        for total, cells in groups:
            lo_sum = sum(known[c][0] for c in cells)
            hi_sum = sum(known[c][1] for c in cells)
            t_lo, t_hi = max(known[total][0], lo_sum), min(known[total][1], hi_sum)
            if (t_lo, t_hi) != known[total]:
                known[total], changed = (t_lo, t_hi), True
            for cell in cells:
                lo, hi = known[cell]
                others = [known[c] for c in cells if c != cell]
                new_lo = max(lo, t_lo - sum(o[1] for o in others))  # t_lo is finite: no inf - inf
                new_hi = min(hi, t_hi - sum(o[0] for o in others))
                if (new_lo, new_hi) != (lo, hi):
                    known[cell], changed = (new_lo, new_hi), True
        if not changed:
            break
    return known


def recovered(values: dict[Key, int], status: dict[Key, str], groups: list[Group]) -> set[Key]:
    """Masked cells whose exact value follows from what is shown."""
    known = intervals(values, status, groups)
    return {key for key, (lo, hi) in known.items() if status[key] in (PRIMARY, HIDDEN) and lo == hi}


def suppress(values: dict[Key, int], groups: list[Group]) -> dict[Key, str]:
    """Primary plus secondary suppression (see the module docstring): key -> status."""
    withheld: set[int] = set()
    while True:
        active = [g for i, g in enumerate(groups) if i not in withheld]
        status = {key: PRIMARY if 0 < n < 3 else VISIBLE for key, n in values.items()}
        for i in withheld:
            status.update({cell: WITHHELD for cell in groups[i][1]})
        bad = _secondary(values, status, active)
        if not bad:
            return status
        # Nothing left to mask: withhold the breakdowns that still give a value away (all when
        # only the total does) and start again without their constraints.
        culprits = {i for i, (_total, cells) in enumerate(groups) if i not in withheld and not bad.isdisjoint(cells)}
        withheld |= culprits or {i for i in range(len(groups))}


def _secondary(values: dict[Key, int], status: dict[Key, str], groups: list[Group]) -> set[Key]:
    """Mask the next smallest cells (or the total) until nothing is pinned; returns what still is."""
    for _step in range(len(values) + 1):
        bad = recovered(values, status, groups)
        if not bad:
            return bad
        for total, cells in groups:
            if bad.isdisjoint([total, *cells]):
                continue
            visible = sorted((values[c], c) for c in cells if status[c] == VISIBLE and values[c] > 0)
            if visible:
                status[visible[0][1]] = HIDDEN
                break
            if status[total] == VISIBLE:
                status[total] = HIDDEN
                break
        else:
            return bad
    return recovered(values, status, groups)


def shown(value: int, status: str) -> str:
    if status == PRIMARY:
        return MASK
    if status in (HIDDEN, WITHHELD):
        return SECONDARY
    return str(value)
