"""Transitions between legal systems (AsylbLG → SGB II, Duldung → Ausbildungsduldung, …).

The review form (``forms/junge_erwachsene.py`` ``UeberpruefungForm``) gives the transitions since
the last review as ``uebergaenge``; each becomes one case event of kind ``uebergang_<type>``
(one kind per type from the table ``UEBERGAENGE``, so the history names it and the types can be
counted with one indexed query), with the transition's date and its checklist (done / open) in the
event data. The open checklist items go as one to-do to the case-owning team.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.auth.models import User
from app.engine import events, service, signals
from app.engine.models import RUNNING, CaseEvent, ProcessInstance, ProcessModel, ProcessVersion, Task
from app.extensions import db
from app.timeutil import office_zone, utcnow
from forms.junge_erwachsene import UEBERGAENGE, checklist, transition_items

PROCESS_KEY = "junge_erwachsene"
REVIEW_FORM = "junge_erwachsene.ueberpruefung"  # the step in which transitions are recorded
EVENT_PREFIX = "uebergang_"
TODO_DAYS = 14  # the open checklist items of a transition are due two weeks after it is recorded

for _key, _spec in UEBERGAENGE.items():
    events.register(f"{EVENT_PREFIX}{_key}", _l("Übergang: %(art)s", art=_spec["label"]))


def is_young_adult_case(instance: ProcessInstance) -> bool:
    return instance.version.model.key == PROCESS_KEY


def transition_kind(art: str) -> str:
    return f"{EVENT_PREFIX}{art}"


@signals.task_completed.connect
def _on_completed(instance: ProcessInstance, task: Task | None = None, user: User | None = None,
                  data: dict | None = None, **_kwargs) -> None:
    if not data or not is_young_adult_case(instance):
        return
    if data.get("nachname"):  # the case is listed under the person's name
        instance.title = f"{data.get('vorname') or ''} {data['nachname']}".strip()[:200]
    if task is not None and task.form_key == REVIEW_FORM:
        for transition in data.get("uebergaenge") or []:
            if isinstance(transition, dict) and transition.get("art") in UEBERGAENGE:
                record_transition(instance, user, {**transition, "erledigt": transition_items(transition)})


def record_transition(instance: ProcessInstance, user: User | None, transition: dict) -> None:
    """One transition as a dated case event; its open checklist items as a to-do of the owning team."""
    art = transition["art"]
    done = [item for item in transition.get("erledigt") or [] if item in dict(checklist(art))]
    open_items = [item for item, _label in checklist(art) if item not in done]
    spec = UEBERGAENGE[art]
    service.record(instance, transition_kind(art), "", user,
                   {"art": art, "datum": transition.get("datum"), "feld": spec["feld"], "neu": spec["neu"],
                    "erledigt": done, "offen": open_items, "notiz": transition.get("notiz") or ""})
    if open_items and instance.owner_team is not None and instance.status == RUNNING:
        labels = dict(checklist(art))
        text = "\n".join(f"– {labels[item]}" for item in open_items)
        day = utcnow().astimezone(office_zone()).date() + timedelta(days=TODO_DAYS)
        due = datetime.combine(day, time(23, 59), office_zone())
        service.create_todo(instance, _("Übergang %(art)s: offene Punkte der Checkliste", art=spec["label"]),
                            created_by=user, team=instance.owner_team, due_at=due, context={"text": text},
                            source="uebergang")
    db.session.flush()


def transitions_of(instance_id: int) -> list[CaseEvent]:
    """The recorded transitions of a case, oldest first."""
    return list(db.session.scalars(select(CaseEvent).where(
        CaseEvent.instance_id == instance_id, CaseEvent.kind.startswith(EVENT_PREFIX)).order_by(CaseEvent.id)))


def transition_counts(start: datetime | None = None, end: datetime | None = None) -> dict[str, int]:
    """Transitions per type (recorded in [start, end)), over all young adults' cases."""
    query = (select(CaseEvent.kind, func.count(CaseEvent.id))
             .join(ProcessInstance, CaseEvent.instance_id == ProcessInstance.id)
             .join(ProcessVersion, ProcessInstance.version_id == ProcessVersion.id)
             .join(ProcessModel, ProcessVersion.model_id == ProcessModel.id)
             .where(ProcessModel.key == PROCESS_KEY, CaseEvent.kind.startswith(EVENT_PREFIX))
             .group_by(CaseEvent.kind))
    if start is not None:
        query = query.where(CaseEvent.created_at >= start)
    if end is not None:
        query = query.where(CaseEvent.created_at < end)
    return {kind.removeprefix(EVENT_PREFIX): count for kind, count in db.session.execute(query).all()}
