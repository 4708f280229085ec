"""The one door to erasing a case's personal data (issue 14, items 3 and 4).

Contract (callers rely on it):

``erase_case(instance, *, reason, actor=None)`` removes the personal data of ``instance`` and
keeps the case as an anonymous record: the id, reference, process version, owning team, status,
dates, outcome, task rows (durations) and the anonymous statistics rows (MBE facts, time records)
stay, so every statistic shows the same figures afterwards. ``reason`` is ``"retention"`` or
``"consent_withdrawn"``. The erasure is recorded as a case event of kind ``erased`` with the
reason and the date, never with the erased data. Only flushes; the caller's edge commits.

Which case data stay (the declared rule): each process lists the keys of its case data that are
anonymous facts in ``processes/<key>.privacy.toml`` as ``anonym_behalten = [...]`` (choice fields,
dates, numbers the gateways, timers and statistics need). Everything else goes. An entry
``"ziele.frist"`` keeps the key ``ziele`` but, inside it (a dict or a list of dicts), only the
listed sub-keys (here: the deadline of each goal, not its text); such paths may nest
(``"ueberpruefungen.ziele.status"``). A process without the list keeps
nothing. The same rule filters the workflow state (every task's data, the workflow data), the form
data in the history and the task drafts, so a running case goes on anonymously: its gateways and
timers still find their keys.

Where the personal data of features live, the features clean them themselves: erase_case sends
``case_erasing`` (sender: the instance; ``reason``, ``actor``) and every receiver returns a dict of
counts of what it removed (journal texts, documents, appointments, plans, messages, referrals,
MBE client link, notifications). The erasure core knows no feature.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from blinker import Namespace
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.engine import events, service
from app.engine.lanes import LANES_DIR
from app.engine.models import TODO_TASK, CaseEvent, ProcessInstance
from app.extensions import db
from app.timeutil import office_zone, utcnow

RETENTION, CONSENT_WITHDRAWN = "retention", "consent_withdrawn"
REASONS = (RETENTION, CONSENT_WITHDRAWN)
ERASED = "erased"
REASON_LABELS = {RETENTION: _l("Aufbewahrungsfrist abgelaufen"), CONSENT_WITHDRAWN: _l("Einwilligung widerrufen")}

events.register(ERASED, _l("Personenbezogene Daten gelöscht"))

_signals = Namespace()
#: Sent by ``erase_case`` before it records the erasure (sender: the instance; kwargs ``reason``,
#: ``actor``). Each feature removes or blanks the personal data of the case in its own tables and
#: returns ``{what: count}`` (or None). Receivers only flush; files go after the commit.
case_erasing = _signals.signal("case_erasing")

#: The history kinds whose data are form data (filtered like the case data).
FORM_DATA_KINDS = ("task_completed", "crisis", "cover")
#: Keys of other history entries that hold free text written by people (reasons, notes).
FREE_TEXT_KEYS = frozenset({"grund", "notiz", "text", "anlass", "anmerkung", "kommentar", "beschreibung",
                            "vertretung_fuer"})
#: What a to-do's title becomes (a to-do title is a staff note and may name the family).
ERASED_TITLE = "—"

KeepFilter = Callable[[dict], dict]


def privacy_dir() -> Path:
    return Path(current_app.config.get("PRIVACY_DIR") or LANES_DIR)


@lru_cache(maxsize=64)
def _declared(path: Path, mtime: float) -> tuple[str, ...]:
    raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    kept = raw.get("anonym_behalten") or []
    if not isinstance(kept, list) or not all(isinstance(k, str) for k in kept):
        raise ValueError(f"{path.name}: anonym_behalten must be a list of strings")
    return tuple(k.strip() for k in kept if k.strip())


def kept_keys(process_key: str) -> tuple[str, ...]:
    """The case-data keys ``process_key`` declares as anonymous (``anonym_behalten``); empty
    if the file or the list is missing (then nothing is kept)."""
    path = privacy_dir() / f"{process_key}.privacy.toml"
    if not path.is_file():
        return ()
    return _declared(path, path.stat().st_mtime)


def _tree(declared: tuple[str, ...] | list[str]) -> dict:
    """``["a", "b.c", "b.d.e"]`` → ``{"a": True, "b": {"c": True, "d": {"e": True}}}`` (a whole
    key wins over its parts)."""
    tree: dict = {}
    for entry in declared:
        node = tree
        *path, last = entry.split(".")
        for part in path:
            child = node.get(part)
            if child is True:
                break
            node = node.setdefault(part, {})
        else:
            node[last] = True
    return tree


def _narrowed(value: Any, tree: Any) -> Any:
    """``value`` with only the parts ``tree`` keeps (``True``: all of it)."""
    if not isinstance(tree, dict):
        return value
    if isinstance(value, dict):
        return {k: _narrowed(v, tree[k]) for k, v in value.items() if k in tree}
    if isinstance(value, list):
        return [_narrowed(item, tree) if isinstance(item, dict | list) else None for item in value]
    return None  # a scalar where a structure was declared: nothing of it is known to be anonymous


def keep_filter(declared: tuple[str, ...] | list[str]) -> KeepFilter:
    """The function that returns the part of a data dict the declaration keeps (see the module
    docstring for ``key`` and ``key.sub`` entries; sub-keys may nest: ``a.b.c``)."""
    tree = _tree(declared)

    def keep(data: dict) -> dict:
        return _narrowed(data or {}, tree) if tree else {}

    return keep


def rule_for(instance: ProcessInstance) -> KeepFilter:
    return keep_filter(kept_keys(instance.version.model.key))


def erasure_of(instance_id: int) -> CaseEvent | None:
    """The latest ``erased`` history entry of the case (None: its data were never erased)."""
    return db.session.scalar(select(CaseEvent).where(CaseEvent.instance_id == instance_id, CaseEvent.kind == ERASED)
                             .order_by(CaseEvent.id.desc()).limit(1))


def _history_data(kind: str, data: dict, keep: KeepFilter) -> dict:
    if kind in FORM_DATA_KINDS:
        return keep(data)
    return {k: v for k, v in data.items() if k not in FREE_TEXT_KEYS}


def _erase_engine_rows(instance: ProcessInstance, keep: KeepFilter, counts: Counter) -> None:
    """Case data, workflow state, task drafts and to-dos, history: the engine's own tables."""
    instance.title = ""
    instance.search_name = ""
    instance.data = keep(instance.data or {})
    counts["zustand"] += service.scrub_state(instance, keep)
    todo_titles = set()
    for task in instance.tasks:
        if task.draft and (kept := keep(task.draft) or None) != task.draft:
            task.draft = kept
            counts["entwuerfe"] += 1
        if task.kind == TODO_TASK:
            if task.title != ERASED_TITLE:
                todo_titles.add(task.title)
                task.title = ERASED_TITLE
                counts["todos"] += 1
            if task.context:  # ids of what the to-do is about stay, texts go
                task.context = {k: v for k, v in task.context.items() if isinstance(v, int | bool)} or None
        elif task.context:  # a crisis task's copy of the report
            task.context = keep(task.context) or None
    for event in db.session.scalars(select(CaseEvent).where(CaseEvent.instance_id == instance.id,
                                                            CaseEvent.kind != ERASED)):
        changed = False
        if isinstance(event.data, dict):
            cleaned = _history_data(event.kind, event.data, keep)
            if cleaned != event.data:
                event.data, changed = cleaned or None, True
        if event.title and (event.kind == "todo_created" or event.title in todo_titles):
            event.title, changed = "", True
        counts["verlauf"] += changed


def erase_case(instance: ProcessInstance, *, reason: str, actor=None) -> dict[str, int]:
    """Erase the personal data of ``instance`` (see the module docstring); returns the counts of
    what was removed (also recorded in the ``erased`` history entry). Erasing again does no harm."""
    if reason not in REASONS:
        raise ValueError(f"unknown erasure reason {reason!r}")
    keep = rule_for(instance)
    counts: Counter = Counter()
    _erase_engine_rows(instance, keep, counts)
    for _receiver, result in case_erasing.send(instance, reason=reason, actor=actor):
        for what, number in (result or {}).items():
            counts[what] += int(number)
    day: date = utcnow().astimezone(office_zone()).date()
    db.session.add(CaseEvent(instance_id=instance.id, kind=ERASED, title="", actor_id=getattr(actor, "id", None),
                             data={"grund": reason, "datum": day.isoformat(),
                                   "anzahl": {k: v for k, v in sorted(counts.items()) if v}}))
    db.session.flush()
    return dict(counts)
