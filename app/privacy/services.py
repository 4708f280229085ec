"""The record of processing (Art. 30 DSGVO), built from the running configuration.

For each process model (its newest version): purpose, legal basis and recipients from
``processes/<key>.privacy.toml`` (``PRIVACY_DIR`` in the config; missing entries are shown as
"nicht angegeben" and flagged), the running retention period (app/retention), the data
categories from the forms of its user tasks, the fields volunteers see (``limited_fields``) and
who has access (the lanes of ``<key>.lanes.toml``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms.fields import FieldList, FormField
from wtforms.fields.core import UnboundField

from app.engine import service
from app.engine.lanes import DECLARATIONS, LANES_DIR, OWNER_TEAM, OWNER_TEAM_LEADS, STARTER, TEAM, USER_FROM_DATA
from app.engine.lanes import limited_fields as declared_limited_fields
from app.engine.models import ProcessModel
from app.extensions import db
from app.formbuilder import services as formbuilder
from app.network.forms import TYPE_LABELS
from app.network.models import PARTNER_TYPES
from app.retention import services as retention

#: The entries of a ``<key>.privacy.toml`` file, in the order the page shows them.
ENTRIES = ("zweck", "rechtsgrundlage", "empfaenger", "loeschfrist")


@dataclass
class FormCategory:
    """The data one form of a process stores: its title and the labels of its fields."""

    key: str
    title: str
    labels: list[str]


@dataclass
class ProcessRecord:
    key: str
    name: str
    version: int
    entries: dict[str, str | None]
    forms: list[FormCategory] = field(default_factory=list)
    unknown_forms: list[str] = field(default_factory=list)
    limited_fields: list[str] = field(default_factory=list)
    access: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return [name for name in ENTRIES if not self.entries.get(name)]


def privacy_dir() -> Path:
    return Path(current_app.config.get("PRIVACY_DIR") or LANES_DIR)


def read_entries(key: str, directory: Path) -> dict[str, str | None]:
    path = directory / f"{key}.privacy.toml"
    raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return {name: (str(raw[name]).strip() or None) if raw.get(name) else None for name in ENTRIES}


def _label(unbound: UnboundField) -> str:
    """The label an unbound field was declared with (FormField and FieldList take it second)."""
    position = 1 if issubclass(unbound.field_class, (FormField, FieldList)) else 0
    label = unbound.kwargs.get("label")
    if label is None and len(unbound.args) > position:
        label = unbound.args[position]
    return str(label) if label is not None and not isinstance(label, UnboundField) else ""


def _fields(form_cls: type) -> list[tuple[str, UnboundField]]:
    found = [(name, value) for name in dir(form_cls)
             if not name.startswith("_") and isinstance(value := getattr(form_cls, name, None), UnboundField)]
    return sorted(found, key=lambda item: item[1].creation_counter)


def _inner_form(unbound: UnboundField) -> type | None:
    """The sub-form of a FormField (or of a FieldList of FormFields), else None."""
    if issubclass(unbound.field_class, FieldList):
        inner = unbound.args[0] if unbound.args else unbound.kwargs["unbound_field"]
        return _inner_form(inner)
    if issubclass(unbound.field_class, FormField):
        return unbound.args[0] if unbound.args else unbound.kwargs["form_class"]
    return None


def field_labels(form_cls: type) -> dict[str, str]:
    """Field name → label of a form's top-level fields."""
    return {name: _label(unbound) or name for name, unbound in _fields(form_cls)}


def form_labels(form_cls: type) -> list[str]:
    """The labels of a form's fields (sub-forms and lists flattened), in declaration order."""
    labels: list[str] = []
    for _name, unbound in _fields(form_cls):
        inner = _inner_form(unbound)
        own = _label(unbound)
        if inner is not None:
            labels.extend(f"{own}: {label}" if own else label for label in form_labels(inner))
        elif own:
            labels.append(own)
    return [label for label in dict.fromkeys(labels) if label]


def _access(key: str) -> list[str]:
    declared = DECLARATIONS.get(key)
    if declared is None:
        return [_("Keine Lanes deklariert: Aufgaben gehen an das Team, das den Fall beginnt.")]
    result = []
    for lane, (rule, arg) in declared.rules.items():
        who = {
            OWNER_TEAM: _("das fallverantwortliche Team"),
            TEAM: _("das Team %(team)s", team=arg),
            USER_FROM_DATA: _("die im Feld %(field)s genannte Person (eingeschränkte Sicht)", field=arg),
            STARTER: _("die Person, die den Fall erfasst hat"),
            OWNER_TEAM_LEADS: _("die Leitung des fallverantwortlichen Teams"),
        }[rule]
        result.append(f"{lane}: {who}")
    return result


def _retention(model: ProcessModel, declared: str | None) -> str | None:
    """The running retention period (app/retention: the process owner's setting, else
    ``aufbewahrung_monate``), with the declared text while no other period is set; None when the
    process has no period (nothing is erased; the page flags it)."""
    period = retention.period_of(model)
    text = retention.period_text(period)
    if text and declared and not period.overridden:
        text = f"{text} ({declared})"
    return text


def build_record() -> list[ProcessRecord]:
    """One entry per process model (newest version), in the order of their names."""
    directory = privacy_dir()
    records = []
    for model in db_models():
        version = service.latest_version(model)
        if version is None:
            continue
        parsed = service.parsed_version(version)
        record = ProcessRecord(key=model.key, name=model.name or parsed.name or model.key,
                               version=version.number, entries=read_entries(model.key, directory))
        record.entries["loeschfrist"] = _retention(model, record.entries.get("loeschfrist"))
        seen = set()
        names: dict[str, str] = {}
        for task in parsed.user_tasks.values():
            key = task.form_key
            if not key or key in seen:
                continue
            seen.add(key)
            try:  # a code form, or a builder form in the version pinned for this process version
                form_cls = formbuilder.form_class_for(key, version.id)
            except KeyError:
                record.unknown_forms.append(key)
                continue
            title = str(getattr(form_cls, "title", "") or task.title or key)
            record.forms.append(FormCategory(key=key, title=title, labels=form_labels(form_cls)))
            names = {**field_labels(form_cls), **names}
        limited = declared_limited_fields(model.key) if model.key in DECLARATIONS else frozenset()
        limited |= formbuilder.volunteer_visible_fields(model.key)  # builder form fields marked for volunteers
        record.limited_fields = sorted(names.get(name, name) for name in limited)
        record.access = _access(model.key)
        if model.start_role or model.start_departments:
            record.access.insert(0, _("Beginnen: Rolle %(role)s, Fachbereiche %(departments)s",
                                      role=model.start_role or "–", departments=model.start_departments or "–"))
        records.append(record)
    return records


def db_models() -> list[ProcessModel]:
    return list(db.session.scalars(select(ProcessModel).order_by(ProcessModel.key)))


def partner_types() -> list[str]:
    """Kinds of partner a case can be referred to (app/network), as labels."""
    return [str(TYPE_LABELS.get(kind, kind)) for kind in PARTNER_TYPES]
