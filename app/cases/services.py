"""Reading cases for people: lists, the case file as each participant may see it, timelines."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select
from wtforms import FieldList, FormField

from app.auth.access import visible_instance_ids
from app.auth.models import User
from app.cases.taskforms import volunteer_choices
from app.engine import events as event_kinds
from app.engine import signals
from app.engine.lanes import limited_fields
from app.engine.models import (
    ACTIVE_TASK_STATES,
    FULL,
    WITHDRAWN,
    ProcessInstance,
    ProcessModel,
    ProcessVersion,
    Task,
)
from app.extensions import db
from forms import ACTION_FORMS, FORMS


def visible_cases(user: User, *, process: str | None = None, status: str | None = None,
                  page: int = 1, per_page: int = 50) -> tuple[list[ProcessInstance], int]:
    # a counselling contact is listed only when asked for by process (API ?process=beratungskontakt)
    query = select(ProcessInstance).where(ProcessInstance.id.in_(visible_instance_ids(user)),
                                          *counted_cases(contacts=process in NOT_A_CASE))
    if process:
        query = query.join(ProcessVersion).join(ProcessModel).where(ProcessModel.key == process)
    if status:
        query = query.where(ProcessInstance.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = db.session.scalars(
        query.order_by(case((ProcessInstance.id.in_(open_crisis_case_ids()), 0), else_=1),  # crises on top
                       ProcessInstance.started_at.desc(), ProcessInstance.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(items), total


NOT_A_CASE = ("beratungskontakt",)  # a counselling contact is a record, not a case (app/counselling)


def counted_cases(*, contacts: bool = False) -> list:
    """SQL conditions on process_instance: a real case, i.e. not withdrawn (started by mistake)
    and, unless ``contacts``, no counselling contact. For case lists, the monitor and the
    statistics' case figures (contacts are counted as contacts there)."""
    where = [or_(ProcessInstance.outcome.is_(None), ProcessInstance.outcome != WITHDRAWN)]
    if not contacts:
        versions = (select(ProcessVersion.id).join(ProcessModel, ProcessVersion.model_id == ProcessModel.id)
                    .where(ProcessModel.key.in_(NOT_A_CASE)))
        where.append(ProcessInstance.version_id.not_in(versions))
    return where


def open_crisis_case_ids():
    """SQL: ids of the cases with an open crisis task (shown first in every list)."""
    return select(Task.instance_id).where(Task.crisis.is_(True), Task.status.in_(ACTIVE_TASK_STATES))


def open_tasks_for(instance: ProcessInstance, user: User, level: str) -> list[Task]:
    """The case's open tasks this participant sees: all of them with full access, otherwise only
    the ones assigned to them (a volunteer sees their own step, not the team's)."""
    query = select(Task).where(Task.instance_id == instance.id, Task.status.in_(ACTIVE_TASK_STATES))
    if level != FULL:
        query = query.where(Task.assignee_id == user.id)
    return list(db.session.scalars(query.order_by(Task.id)))


def visible_data(data: dict | None, level: str, process_key: str | None = None) -> dict:
    """The part of the case file a participant of ``level`` may see in a case of ``process_key``
    (the limited fields that process declares in processes/<key>.lanes.toml)."""
    data = dict(data or {})
    if level == FULL:
        return data
    fields = limited_fields(process_key)
    return {k: v for k, v in data.items() if k in fields}


def _fields():
    for form_cls in [*FORMS.values(), *ACTION_FORMS.values()]:
        form = form_cls(formdata=None, meta={"csrf": False})
        for field in form:
            yield field.name, field
            if isinstance(field, FieldList):
                entry = field.entries[0] if field.entries else field.append_entry()
                if isinstance(entry, FormField):
                    for sub in entry.form:
                        yield sub.short_name, sub


def field_labels() -> dict[str, str]:
    """Labels of every task form field (in the current language), for showing entered data."""
    labels: dict[str, str] = {"gemeldet_von": _("Gemeldet von"), "gemeldet_am": _("Gemeldet am"),
                              "vertretung_fuer": _("Vertretung für")}
    for name, field in _fields():
        labels.setdefault(name, str(field.label.text))
    return labels


def choice_labels() -> dict[str, dict[str, str]]:
    """Per field, the label of each stored choice value (e.g. ergebnis: beenden → "Einsatz
    beenden"; ehrenamtliche: username → name)."""
    result: dict[str, dict[str, str]] = {}
    for name, field in _fields():
        choices = getattr(field, "choices", None)
        if choices and not callable(choices):
            mapping = result.setdefault(name, {})
            for choice in choices:
                value, label = (choice.value, choice.label) if hasattr(choice, "value") else choice[:2]
                mapping.setdefault(str(value), str(label))
    result["ehrenamtliche"] = dict(volunteer_choices())
    return result


# The plan section of the case view. A feature whose process keeps its plan differently connects
# a receiver ``(instance) -> template name | None``; the first name given wins, else the goals.
case_plan_panel = Namespace().signal("case-plan-panel")
DEFAULT_PLAN_PANEL = "cases/_goals.html"


def plan_panel(instance: ProcessInstance) -> str:
    for _receiver, template in case_plan_panel.send(instance):
        if template:
            return template
    return DEFAULT_PLAN_PANEL


# Sections of the case view that features add (journal, documents, appointments, ...). A receiver
# ``(instance, user=User, level=str) -> CasePanel | None`` loads what its section shows (the view
# never asks which features exist, the template never queries) and names its template.
case_panels = Namespace().signal("case-panels")
HEADER, MAIN, HISTORY = "header", "main", "history"  # after the facts; before the plan; beside the history


@dataclass(frozen=True)
class CasePanel:
    template: str
    position: str = MAIN
    order: int = 50
    context: dict = dataclasses.field(default_factory=dict)


def panels(instance: ProcessInstance, user: User, level: str) -> dict[str, list[CasePanel]]:
    """The sections features add to ``instance``'s case view for ``user``, by position and order."""
    found: dict[str, list[CasePanel]] = {HEADER: [], MAIN: [], HISTORY: []}
    for _receiver, panel in case_panels.send(instance, user=user, level=level):
        if panel is not None:
            found.setdefault(panel.position, []).append(panel)
    for items in found.values():
        items.sort(key=lambda p: (p.order, p.template))
    return found


@signals.task_completed.connect
def _name_the_case(instance, task=None, user=None, data=None, **_kwargs) -> None:
    """A case is listed under the family's name once a form has given it."""
    if data and data.get("familienname"):
        instance.title = str(data["familienname"])[:200]


def event_title(event) -> str:
    return event_kinds.event_title(event)


def goals(data: dict) -> list[dict]:
    """The case's goals with their latest assessment (if the closing meeting rated them)."""
    assessments = {a.get("ziel"): a for a in (data.get("zielbewertungen") or []) if isinstance(a, dict)}
    result = []
    for goal in data.get("ziele") or []:
        if not isinstance(goal, dict):
            continue
        rating = assessments.get(goal.get("beschreibung"), {})
        result.append({**goal, "bewertung": rating.get("bewertung"), "kommentar": rating.get("kommentar")})
    return result


RATING_LABELS = {"erreicht": "erreicht", "teilweise": "teilweise erreicht", "nicht_erreicht": "nicht erreicht"}


def rating_label(value: str | None) -> str:
    return _(RATING_LABELS[value]) if value in RATING_LABELS else _("offen")
