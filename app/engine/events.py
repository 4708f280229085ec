"""One registry of case history event kinds (``CaseEvent.kind``) and their labels.

The case view and the monitor's timeline both label history entries; two copies of this mapping
drifted (a suspended case showed an empty bold label in the case view). The engine owns the
history table and the kinds it writes itself; a feature that records a kind of its own registers
its label here when the app is set up (``register``), instead of editing another feature's dict.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

_LABELS: dict[str, LazyString] = {}


def register(kind: str, label: LazyString) -> None:
    """Label ``kind``; registering the same kind twice with another label is a programming error."""
    known = _LABELS.get(kind)
    if known is not None and known._args != label._args:  # the same msgid registered again is fine
        raise ValueError(f"event kind {kind!r} is already labelled")
    _LABELS[kind] = label


def label(kind: str) -> LazyString | None:
    return _LABELS.get(kind)


def event_title(event) -> str:
    """What a history entry says: its label, with the entry's own title (a task name) if any."""
    known = _LABELS.get(event.kind)
    if known is None:
        return event.title or event.kind
    return f"{known}: {event.title}" if event.title else str(known)


for _kind, _label in {
    "started": _l("Fall angelegt"),
    "completed": _l("Fall abgeschlossen"),
    "claimed": _l("Aufgabe übernommen"),
    "unclaimed": _l("Aufgabe an die Gruppe zurückgegeben"),
    "timer": _l("Termin erreicht"),
    "crisis": _l("Krise gemeldet"),
    "cover": _l("In Vertretung erledigt"),
    "migrated": _l("Auf neue Verfahrensversion umgestellt"),
    # supervisors' interventions (app/engine/interventions.py)
    "reassigned": _l("Aufgabe neu zugewiesen"),
    "suspended": _l("Fall angehalten"),
    "resumed": _l("Fall fortgesetzt"),
    "terminated": _l("Fall beendet (Leitung)"),
    "withdrawn": _l("Fall zurückgezogen (versehentlich angelegt)"),
    "reset": _l("Zurückgesetzt auf Schritt"),
}.items():
    register(_kind, _label)
