"""The form editor without JavaScript: the whole definition travels in the page's form data.

Each field is a row of inputs named ``f-<i>-<property>`` (the fields of a repeating group
``f-<i>-s-<j>-<property>``); buttons named ``action`` add, move, remove fields or save. This
module turns the form data into a definition (and back into rows) and maps the problems of
``forms.builder.check_definition`` (paths like ``fields[1].label.de``) to the inputs.
"""

from __future__ import annotations

import re
from typing import Any

from forms.builder import CHOICE, GROUP, MULTICHOICE, TYPE_LABELS, YESNO, text_of

PROPS = ("name", "type", "label_de", "label_en", "help_de", "help_en", "required", "volunteer", "max_length",
         "min", "max", "decimal", "earliest", "latest", "widget", "choices", "min_entries", "max_entries")
_ROW = re.compile(r"^(f-\d+(?:-s-\d+)?)-name$")


def _number(text: str) -> Any:
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return text  # the check says what is wrong


def _choices_from_text(text: str) -> list[dict[str, Any]]:
    """One choice per line: ``wert | Beschriftung | English label`` (value alone: also the label)."""
    choices = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        label = {"de": parts[1] if len(parts) > 1 and parts[1] else parts[0]}
        if len(parts) > 2 and parts[2]:
            label["en"] = parts[2]
        choices.append({"value": parts[0], "label": label})
    return choices


def choices_text(choices: list[dict[str, Any]] | None) -> str:
    lines = []
    for choice in choices or []:
        label = text_of(choice.get("label"))
        line = f"{choice.get('value', '')} | {label['de']}"
        if label.get("en"):
            line += f" | {label['en']}"
        lines.append(line)
    return "\n".join(lines)


def _field_from(form: Any, prefix: str, *, nested: bool) -> dict[str, Any]:
    def get(prop: str) -> str:
        return str(form.get(f"{prefix}-{prop}", "") or "")

    spec: dict[str, Any] = {"name": get("name").strip(), "type": get("type"),
                            "label": {"de": get("label_de").strip(), "en": get("label_en").strip()}}
    if get("help_de").strip() or get("help_en").strip():
        spec["help"] = {"de": get("help_de").strip(), "en": get("help_en").strip()}
    for flag in ("required", "decimal") + (() if nested else ("volunteer",)):
        if get(flag):
            spec[flag] = True
    for prop in ("max_length", "min", "max", "min_entries", "max_entries"):
        value = _number(get(prop))
        if value is not None:
            spec[prop] = value
    for prop in ("earliest", "latest", "widget"):
        if get(prop).strip():
            spec[prop] = get(prop).strip()
    if spec["type"] in (CHOICE, MULTICHOICE):
        spec["choices"] = _choices_from_text(get("choices"))
    if spec["type"] == GROUP and not nested:
        spec["fields"] = [_field_from(form, p, nested=True) for p in _rows(form, f"{prefix}-s-")]
    return _only_relevant(spec)


def _only_relevant(spec: dict[str, Any]) -> dict[str, Any]:
    """Drop the properties the field's type does not use (left over from a type change)."""
    kind = spec.get("type")
    keep = {"name", "type", "label", "help", "required", "volunteer"}
    keep |= {"text": {"max_length"}, "longtext": {"max_length"}, "number": {"min", "max", "decimal"},
             "date": {"earliest", "latest"}, "choice": {"choices", "widget"}, "multichoice": {"choices"},
             "group": {"fields", "min_entries", "max_entries"}}.get(str(kind), set())
    if kind == GROUP:
        keep.discard("required")
    return {k: v for k, v in spec.items() if k in keep}


def _rows(form: Any, start: str) -> list[str]:
    found = []
    for key in form:
        match = _ROW.match(key)
        if match and match.group(1).startswith(start) and match.group(1).count("-s-") == start.count("-s-"):
            rest = match.group(1)[len(start):]
            if rest.isdigit():
                found.append((int(rest), match.group(1)))
    return [prefix for _n, prefix in sorted(found)]


def definition_from(form: Any, key: str | None = None) -> dict[str, Any]:
    """The definition the editor's form data describes (unchecked)."""
    return {
        "key": (key if key is not None else str(form.get("key", "")).strip()),
        "title": {"de": str(form.get("title_de", "")).strip(), "en": str(form.get("title_en", "")).strip()},
        "fields": [_field_from(form, prefix, nested=False) for prefix in _rows(form, "f-")],
    }


def new_field(kind: str, taken: set[str]) -> dict[str, Any]:
    """A field of ``kind`` with a free name and a label, ready for the preview."""
    number = 1
    while f"feld_{number}" in taken:
        number += 1
    spec: dict[str, Any] = {"name": f"feld_{number}", "type": kind, "label": {"de": str(TYPE_LABELS[kind])}}
    if kind in (CHOICE, MULTICHOICE):
        spec["choices"] = [{"value": "option_1", "label": {"de": "Option 1"}},
                           {"value": "option_2", "label": {"de": "Option 2"}}]
    if kind == GROUP:
        spec["fields"] = [{"name": "eintrag", "type": "text", "label": {"de": "Eintrag"}}]
    if kind == YESNO:
        spec.pop("required", None)
    return spec


def _locate(defn: dict[str, Any], prefix: str) -> tuple[list[dict[str, Any]], int] | None:
    """The list holding the field of ``prefix`` (``f-1`` or ``f-1-s-0``) and its index."""
    parts = prefix.split("-")
    try:
        if len(parts) == 2:
            index = int(parts[1])
            return (defn["fields"], index) if 0 <= index < len(defn["fields"]) else None
        outer, inner = int(parts[1]), int(parts[3])
        group = defn["fields"][outer].get("fields")
        if isinstance(group, list) and 0 <= inner < len(group):
            return group, inner
    except (ValueError, IndexError):
        return None
    return None


def apply_action(defn: dict[str, Any], action: str, new_type: str) -> None:
    """Change ``defn`` in place by an editor button: add, up, down, remove, addsub."""
    verb, _sep, prefix = action.partition(":")
    if verb == "add":
        kind = new_type if new_type in TYPE_LABELS else "text"
        defn["fields"].append(new_field(kind, {f.get("name", "") for f in defn["fields"]}))
        return
    if verb == "addsub":
        where = _locate(defn, prefix)
        if where is not None:
            group = where[0][where[1]]
            group.setdefault("fields", []).append(
                new_field("text", {f.get("name", "") for f in group.get("fields", [])}))
        return
    where = _locate(defn, prefix)
    if where is None:
        return
    items, index = where
    if verb == "remove":
        items.pop(index)
    elif verb == "up" and index > 0:
        items[index - 1], items[index] = items[index], items[index - 1]
    elif verb == "down" and index < len(items) - 1:
        items[index + 1], items[index] = items[index], items[index + 1]


_PATH = re.compile(r"^fields\[(\d+)\](?:\.fields\[(\d+)\])?(?:\.(.*))?$")


def input_for(path: str) -> str:
    """The editor input a problem path belongs to (``fields[1].label.de`` -> ``f-1-label_de``)."""
    if path in ("key", "fields", ""):
        return path or "fields"
    if path.startswith("title"):
        return "title_en" if path.endswith(".en") else "title_de"
    match = _PATH.match(path)
    if not match:
        return "fields"
    outer, inner, rest = match.groups()
    prefix = f"f-{outer}" + (f"-s-{inner}" if inner is not None else "")
    rest = rest or "name"
    head = re.split(r"[.\[]", rest)[0]
    if head in ("label", "help"):
        return f"{prefix}-{head}_en" if rest.endswith(".en") else f"{prefix}-{head}_de"
    if head == "fields":  # a group without fields
        return f"{prefix}-name"
    return f"{prefix}-{head}" if head in PROPS else f"{prefix}-name"


def errors_by_input(problems: list[dict[str, str]]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in problems:
        messages = errors.setdefault(input_for(problem["path"]), [])
        if problem["message"] not in messages:
            messages.append(problem["message"])
    return errors
