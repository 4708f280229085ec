"""A readable difference between two versions: elements added, removed, renamed, changed."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from app.modeler.inspect import TIMER_LABELS, Element, read

ASPECTS = [
    ("kind", _l("Art")), ("lane", _l("Bahn")), ("formKey", _l("Formular")), ("dueIn", _l("Frist (Dauer)")),
    ("dueDate", _l("Frist (Ausdruck)")), ("lane_prop", _l("Zuständig")), ("condition", _l("Bedingung")),
    ("script", _l("Skript")), ("timer", _l("Zeitgeber")), ("source", _l("Von")), ("target", _l("Nach")),
    ("default_flow", _l("Standardfluss")), ("loopCondition", _l("Wiederholungsbedingung")),
    ("preScript", _l("Skript davor")), ("postScript", _l("Skript danach")), ("other", _l("Weitere Eigenschaften")),
]
KNOWN_PROPS = {"formKey", "dueIn", "dueDate", "lane", "loopCondition", "preScript", "postScript"}


@dataclass
class Change:
    element: Element
    old_name: str = ""
    changes: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class VersionDiff:
    added: list[Element]
    removed: list[Element]
    renamed: list[Change]
    changed: list[Change]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.renamed or self.changed)


def _aspects(el: Element) -> dict[str, str]:
    timer = f"{TIMER_LABELS[el.timer[0]]}: {el.timer[1]}" if el.timer else ""
    other = {k: v for k, v in el.props.items() if k not in KNOWN_PROPS}
    return {
        "kind": el.kind_label, "lane": el.lane, "formKey": el.props.get("formKey", ""),
        "dueIn": el.props.get("dueIn", ""), "dueDate": el.props.get("dueDate", ""),
        "lane_prop": el.props.get("lane", ""), "condition": el.condition, "script": el.script, "timer": timer,
        "source": el.source, "target": el.target, "default_flow": el.default_flow,
        "loopCondition": el.props.get("loopCondition", ""), "preScript": el.props.get("preScript", ""),
        "postScript": el.props.get("postScript", ""),
        "other": ", ".join(f"{k}={v}" for k, v in sorted(other.items())),
    }


def diff_versions(old_xml: str, new_xml: str, process_id: str) -> VersionDiff:
    old, new = read(old_xml, process_id), read(new_xml, process_id)
    added = [el for ident, el in new.items() if ident not in old]
    removed = [el for ident, el in old.items() if ident not in new]
    renamed, changed = [], []
    for ident, el in new.items():
        before = old.get(ident)
        if before is None:
            continue
        if before.name != el.name:
            renamed.append(Change(el, old_name=before.name))
        a, b = _aspects(before), _aspects(el)
        changes = [(str(label), a[key], b[key]) for key, label in ASPECTS if a[key] != b[key]]
        if changes:
            changed.append(Change(el, old_name=before.name, changes=changes))
    return VersionDiff(added, removed, renamed, changed)
