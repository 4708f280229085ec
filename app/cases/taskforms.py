"""Binding task forms to a case: context, dynamic choices, defaults (the inbox, the case view
and the API build task forms through here)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.auth.models import ROLE_EHRENAMT, User
from app.engine.models import ProcessInstance, Task
from app.extensions import db
from app.formbuilder.services import form_class_for
from app.volunteers.services import matches_for
from forms import FormContext, TaskForm, bind_form, form_schema


def volunteer_choices() -> list[tuple[str, str]]:
    users = db.session.scalars(
        select(User).where(User.active.is_(True), User.with_role(ROLE_EHRENAMT))
        .order_by(User.display_name)
    )
    return [(u.username, u.display_name) for u in users]


def ranked_volunteer_choices(instance: ProcessInstance) -> list[tuple[str, str]]:
    """The eligible volunteers, best match first, labelled with rank and short reasons."""
    eligible = [m for m in matches_for(instance) if m.eligible]
    return [(m.user.username, f"{rank}. {m.user.display_name} – {', '.join(m.reasons[:3])}")
            for rank, m in enumerate(eligible, start=1)]


class _LazyVolunteers(Sequence):
    """Loaded on first use: only the matching form needs the (ranked) volunteer list."""

    def __init__(self, instance: ProcessInstance) -> None:
        self._instance = instance
        self._items: list[tuple[str, str]] | None = None

    def _load(self) -> list[tuple[str, str]]:
        if self._items is None:
            self._items = ranked_volunteer_choices(self._instance)
        return self._items

    def __getitem__(self, index):
        return self._load()[index]

    def __len__(self) -> int:
        return len(self._load())


def form_context(instance: ProcessInstance) -> FormContext:
    return FormContext(data=dict(instance.data or {}), today=date.today(),
                       volunteers=_LazyVolunteers(instance))  # type: ignore[arg-type]


def build_form(task: Task, *, formdata: MultiDict | None = None, json_data: dict | None = None,
               csrf: bool = True) -> TaskForm:
    """The task's form, configured for its case.

    ``json_data`` (API) or ``formdata`` (browser POST) fill it for validation; with neither it
    is prefilled with the form's defaults and any draft saved for the task, plus empty slots
    for list fields (``blank_entries``) so that no JavaScript is needed to add entries.
    """
    if not task.form_key:
        raise LookupError(f"task {task.bpmn_id} names no form")
    form_cls = form_class_for(task.form_key, task.instance.version_id)  # code or builder form (pinned)
    ctx = form_context(task.instance)
    if json_data is not None or formdata is not None:
        return bind_form(form_cls, ctx, json_data=json_data, formdata=formdata, csrf=csrf)
    form = bind_form(form_cls, ctx, csrf=csrf, current=task.draft)
    for name, count in getattr(form_cls, "blank_entries", {}).items():
        for _ in range(count):
            form[name].append_entry()
    return form


def initial_values(task: Task) -> dict:
    """JSON-plain current values / defaults of the task's form (the API's form_data)."""
    form_cls = form_class_for(task.form_key, task.instance.version_id)  # no form key: KeyError
    ctx = form_context(task.instance)
    return {**form_cls.initial(ctx), **(task.draft or {})}


def task_schema(task: Task) -> dict | None:
    """The JSON Schema of the task's form (None for a task without form)."""
    if not task.form_key:
        return None
    return form_schema(build_form(task, csrf=False))
