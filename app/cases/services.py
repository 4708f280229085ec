"""Reading cases for people: lists, the case file as each participant may see it, timelines."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, SQLColumnExpression, case, func, or_, select
from sqlalchemy.orm import joinedload
from wtforms import FieldList, FormField

from app.auth.access import COVER, PARTNER, full_instance_ids, visible_instance_ids
from app.auth.models import User
from app.cases import consent
from app.cases.taskforms import volunteer_choices
from app.engine import events as event_kinds
from app.engine import signals
from app.engine.lanes import limited_fields
from app.engine.models import (
    ACTIVE_TASK_STATES,
    BPMN_TASK,
    FULL,
    WITHDRAWN,
    ProcessInstance,
    ProcessModel,
    ProcessVersion,
    Task,
)
from app.extensions import db
from app.formbuilder import services as formbuilder
from app.web.paging import Page, bounds, count
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


# --- names: who may recognise the person behind a case ------------------------------------

NAME_FIELD = "familienname"  # the case field the title is taken from (_name_the_case below)


def name_limited_keys() -> list[str]:
    """Processes whose limited participants (volunteers) may see the name: those whose
    lanes.toml lists the name field among the limited fields (they know the family)."""
    return [key for key in db.session.scalars(select(ProcessModel.key)) if NAME_FIELD in limited_fields(key)]


def identity_condition(user: User, within: list[int] | None = None):
    """SQL condition on process_instance: ``user`` may see who the case is about (full access, or
    limited access in a process that shows the name to limited participants). Combine it with
    ``visible_instance_ids``: alone it does not say that the user sees the case. ``within``: only
    these cases are asked about (the id list then narrows the subquery, which the database would
    otherwise build for every case of the user's teams)."""
    keys = name_limited_keys()
    full = full_instance_ids(user)
    if within is not None:
        sub = full.subquery()
        full = select(sub.c.instance_id).where(sub.c.instance_id.in_(within))
    condition: ColumnElement[bool] = ProcessInstance.id.in_(full)
    if keys:
        by_key = select(ProcessVersion.id).join(ProcessModel).where(ProcessModel.key.in_(keys))
        condition = or_(condition, ProcessInstance.version_id.in_(by_key))
    return condition


def case_names(user: User, instances) -> dict[int, str]:
    """The name each case is shown with to ``user`` (one query): the title (family name, MBE client
    with consent) where the user may see it, "anonym" for a confidential case without a named
    client, else empty. ``instances``: rows of cases the user sees."""
    instances = list(instances)
    ids = [i.id for i in instances]
    if not ids:
        return {}
    allowed = set(db.session.scalars(select(ProcessInstance.id).where(
        ProcessInstance.id.in_(ids), identity_condition(user, within=ids))))
    return {i.id: (i.title if i.id in allowed else "") or (_("anonym") if i.version.model.confidential else "")
            for i in instances}


# --- "Meine Fälle": the case list with step, next due date and next timer --------------------

CASE_SORTS = ("reference", "name", "step", "due", "timer", "started")


@dataclass
class CaseRow:
    instance: ProcessInstance
    name: str
    steps: list[Task]
    next_due: object  # datetime | None: the earliest due date of the open steps the user sees
    crisis: bool = False  # an open crisis task (whether or not this user sees it)


def _open_steps():
    return (Task.instance_id == ProcessInstance.id) & Task.status.in_(ACTIVE_TASK_STATES) & (Task.kind == BPMN_TASK)


def case_list(user: User, *, status: str | None = None, sort: str = "started", descending: bool = True,
              page: int = 1, per_page: int = 50):
    """One page of the cases ``user`` sees, sortable by reference, name, current step, next due
    date, next timer or start: one ordered query over the case rows with correlated subqueries
    over the task index (ix_task_instance_status), then the page's open steps in one more query."""
    step = select(func.min(Task.title)).where(_open_steps()).correlate(ProcessInstance).scalar_subquery()
    due = select(func.min(Task.due_at)).where(_open_steps()).correlate(ProcessInstance).scalar_subquery()
    query = select(ProcessInstance).where(ProcessInstance.id.in_(visible_instance_ids(user)), *counted_cases())
    if status:
        query = query.where(ProcessInstance.status == status)
    in_crisis = ProcessInstance.id.in_(open_crisis_case_ids())
    key: SQLColumnExpression[Any]
    if sort == "name":  # only names the user may see count for the order
        key = case((identity_condition(user) & (ProcessInstance.search_name != ""), ProcessInstance.search_name),
                   else_=None)
    else:
        key = {"reference": ProcessInstance.reference, "step": step, "due": due,
               "timer": ProcessInstance.next_timer_due}.get(sort, ProcessInstance.started_at)
    ordered = key.desc() if descending else key.asc()
    tie = ProcessInstance.id.desc() if descending else ProcessInstance.id.asc()
    # An open crisis stays on top whatever the order; empty values last in both directions
    # (SQLite and PostgreSQL disagree on NULL order).
    query = query.order_by(case((in_crisis, 0), else_=1), key.is_(None), ordered, tie)
    total = count(query)
    page, pages, offset = bounds(total, page, per_page)
    instances = list(db.session.scalars(query.limit(per_page).offset(offset)))
    names = case_names(user, instances)
    steps = _page_steps(user, instances)
    crises = set(db.session.scalars(open_crisis_case_ids().where(Task.instance_id.in_([i.id for i in instances]))))
    rows = []
    for instance in instances:
        mine = steps.get(instance.id, [])
        dues = [t.due_at for t in mine if t.due_at is not None]
        rows.append(CaseRow(instance, names.get(instance.id, ""), mine, min(dues) if dues else None,
                            instance.id in crises))
    return Page(items=rows, total=total, page=page, pages=pages)


def _page_steps(user: User, instances: list[ProcessInstance]) -> dict[int, list[Task]]:
    """The open steps of the page's cases the user sees (a volunteer: only their own)."""
    if not instances:
        return {}
    full = set(db.session.scalars(select(ProcessInstance.id).where(
        ProcessInstance.id.in_([i.id for i in instances]), ProcessInstance.id.in_(full_instance_ids(user)))))
    tasks = db.session.scalars(
        select(Task).where(Task.instance_id.in_([i.id for i in instances]), Task.status.in_(ACTIVE_TASK_STATES),
                           Task.kind == BPMN_TASK).order_by(Task.crisis.desc(), Task.id))
    result: dict[int, list[Task]] = {}
    for task in tasks:
        if task.instance_id in full or task.assignee_id == user.id:
            result.setdefault(task.instance_id, []).append(task)
    return result


def open_tasks_for(instance: ProcessInstance, user: User, level: str) -> list[Task]:
    """The case's open tasks this participant sees: all of them with full access, otherwise only
    the ones assigned to them (a volunteer sees their own step, not the team's)."""
    query = (select(Task).where(Task.instance_id == instance.id, Task.status.in_(ACTIVE_TASK_STATES))
             .options(joinedload(Task.candidate_team), joinedload(Task.assignee).lazyload(User.role_rows)))
    if level != FULL:
        query = query.where(Task.assignee_id == user.id)
    return list(db.session.scalars(query.order_by(Task.id)))


#: The client's contact data (the fields of that name in every process's forms): a substitute
#: reading a case through an absence cover (level COVER) sees them only on the page of a task
#: they work on (``cover_contact``), not on the case view, the case API or the client search.
COVER_HIDDEN_FIELDS: frozenset[str] = frozenset({"anschrift", "telefon", "email", "e_mail", "mobil"})


def visible_data(data: dict | None, level: str, process_key: str | None = None) -> dict:
    """The part of the case file a participant of ``level`` may see in a case of ``process_key``
    (the limited fields that process declares in processes/<key>.lanes.toml; for a substitute
    everything but the contact fields; for an invited partner, a ``PartnerLevel``, the fields of
    the data categories the invitation names and the consent covers). Contact fields only while a
    recorded consent covers contact by phone or post (``app.cases.consent.contact_allowed``)."""
    data = dict(data or {})
    if not consent.contact_allowed(data):  # the consent does not (or no longer) cover contact
        data = {k: v for k, v in data.items() if k not in COVER_HIDDEN_FIELDS}
    if level == FULL:
        return data
    if level == COVER:
        return {k: v for k, v in data.items() if k not in COVER_HIDDEN_FIELDS}
    if level == PARTNER:  # an invited partner: the consented categories' fields (app/partners)
        allowed: frozenset[str] = getattr(level, "fields", frozenset())
        return {k: v for k, v in data.items() if k in allowed}
    fields = limited_fields(process_key) | formbuilder.volunteer_visible_fields(process_key)  # builder flag
    return {k: v for k, v in data.items() if k in fields}


def cover_contact(data: dict | None) -> dict:
    """The contact fields of the case file, for the page of a task worked on in cover."""
    return {k: v for k, v in (data or {}).items() if k in COVER_HIDDEN_FIELDS and v not in (None, "")}


def _fields():
    for form_cls in [*FORMS.values(), *ACTION_FORMS.values(), *formbuilder.builder_registry().values()]:
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


@signals.task_completing.connect  # before the save: the title goes out with the case's one UPDATE
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
