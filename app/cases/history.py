"""The case history as people read it: each entry's input under the labels of *its* form.

One field name can mean different things in different forms ("ziel", "begruendung"); labels
collected across all forms gave a crisis the label of a goal. So each entry is labelled with the
form of its task (``CaseEvent.task.form_key``; the crisis report with the crisis form), values are
formatted like everywhere else (numbers and dates by Babel, ja/nein, choice labels) and fields
that no form of the entry shows (technical values a form derives, e.g. ``jahre_seit_einreise``)
are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import FieldList, FormField

from app.auth.models import User
from app.engine.models import CaseEvent
from app.extensions import db
from app.formbuilder.services import form_class_for
from app.web.formatting import datum, datumzeit, zahl
from forms import ACTION_FORMS, FORMS

SHOWN_KINDS = ("task_completed", "crisis", "cover")
# What a participant with limited access (the volunteer) reads of the history: the steps and the
# case's state. Not the staff's records beside the workflow – to-dos and follow-ups, referrals,
# plan changes, documents, appointments they may not take part in – whose titles carry notes.
LIMITED_KINDS = ("started", "completed", "task_completed", "timer", "crisis", "claimed", "unclaimed",
                 "cover", "suspended", "resumed", "terminated", "withdrawn", "migrated")
CRISIS_FORM = "krise_melden"  # ACTION_FORMS key of the crisis report


@dataclass(frozen=True)
class HistoryEntry:
    """What the case view's timeline reads of a ``CaseEvent``; ``data`` maps label → shown value."""

    id: int
    kind: str
    title: str
    created_at: datetime
    actor: Any
    data: dict


def _extra_labels() -> dict[str, str]:
    return {"gemeldet_von": _("Gemeldet von"), "gemeldet_am": _("Gemeldet am"),
            "vertretung_fuer": _("Vertretung für")}


def form_fields(form_key: str | None, process_version_id: int | None = None,
                ) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(labels, choice labels) of the fields of one form, sub-form fields included (a builder
    form in the version pinned for ``process_version_id``)."""
    form_cls = FORMS.get(form_key or "") or ACTION_FORMS.get(form_key or "")
    if form_cls is None and form_key:
        try:
            form_cls = form_class_for(form_key, process_version_id)
        except KeyError:
            form_cls = None
    labels: dict[str, str] = {}
    choices: dict[str, dict[str, str]] = {}
    if form_cls is None:
        return labels, choices
    form = form_cls(formdata=None, meta={"csrf": False})
    fields = []
    for field in form:
        fields.append((field.name, field))
        if isinstance(field, FieldList):
            entry = field.entries[0] if field.entries else field.append_entry()
            if isinstance(entry, FormField):
                fields.extend((sub.short_name, sub) for sub in entry.form)
    for name, field in fields:
        labels.setdefault(name, str(field.label.text))
        options = getattr(field, "choices", None)
        if options and not callable(options):
            mapping = choices.setdefault(name, {})
            for choice in options:
                value, label = (choice.value, choice.label) if hasattr(choice, "value") else choice[:2]
                mapping.setdefault(str(value), str(label))
    return labels, choices


def _form_key(event: CaseEvent) -> str | None:
    if event.kind == "crisis":
        return CRISIS_FORM
    return event.task.form_key if event.task is not None else None


def _builder_version(event: CaseEvent) -> int | None:
    """The process version of the event's case, when its form is a builder form (pinned version)."""
    key = _form_key(event)
    if not key or key in FORMS or key in ACTION_FORMS:
        return None
    instance = event.instance or (event.task.instance if event.task is not None else None)
    return instance.version_id if instance is not None else None


def shown_value(value: Any, key: str, labels: dict, choices: dict) -> Any:
    """A stored value as the reader sees it (strings; lists and mappings keep their shape)."""
    if value is True or value is False:
        return _("ja") if value else _("nein")
    if value is None or value == "":
        return "–"
    if isinstance(value, int | float | Decimal):
        return zahl(value) if isinstance(value, int) else zahl(round(float(value), 2))
    if isinstance(value, str):
        if key in choices and value in choices[key]:
            return choices[key][value]
        if len(value) == 10 and value[4:5] == "-" and value[7:8] == "-":
            return datum(value) or value
        if len(value) > 10 and value[4:5] == "-" and value[10:11] == "T":
            return datumzeit(value) or value
        return value
    if isinstance(value, dict):
        return {labels[k]: shown_value(v, k, labels, choices) for k, v in value.items() if k in labels}
    if isinstance(value, list | tuple):
        return [shown_value(v, key, labels, choices) for v in value]
    return str(value)


PERSON_FIELDS = ("gemeldet_von", "vertretung_fuer")  # user names stored in history data


def _people(data: dict) -> dict[str, dict[str, str]]:
    """Display names for the user names in ``data``'s person fields."""
    names = {str(data[k]) for k in PERSON_FIELDS if data.get(k)}
    if not names:
        return {}
    shown = dict(db.session.execute(select(User.username, User.display_name).where(User.username.in_(names))).all())
    return {k: shown for k in PERSON_FIELDS}


def entry(event: CaseEvent, data: dict | None, extra_choices: dict | None = None) -> HistoryEntry:
    """``event`` with ``data`` (the part the reader may see) labelled by the entry's own form."""
    shown: dict = {}
    if data and event.kind in SHOWN_KINDS:
        labels, choices = form_fields(_form_key(event), _builder_version(event))
        labels = {**labels, **_extra_labels()}
        choices = {**choices, **(extra_choices or {}), **_people(data)}
        shown = {labels[k]: shown_value(v, k, labels, choices) for k, v in data.items() if k in labels}
    return HistoryEntry(id=event.id, kind=event.kind, title=event.title, created_at=event.created_at,
                        actor=event.actor, data=shown)
