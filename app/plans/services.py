"""The living plan of a case: seeded from the planning form, changed at reviews and between them.

Why rows beside the case data: a goal keeps its identity (and so a history of who changed what
when) across edits, and a plan version can be printed. The case data's ``ziele`` stays the
engine's and the forms' view of the plan (the Abschluss rates each goal in it, the MBE review
walks it): every change here writes it anew (``_mirror``), under the case's optimistic lock.
"""

from __future__ import annotations

from dataclasses import dataclass

from blinker import Namespace
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.auth.models import User
from app.engine import events, service, signals
from app.engine.models import FULL, RUNNING, CaseEvent, ProcessInstance, Task
from app.erasure.services import case_erasing
from app.extensions import db
from app.network.services import refer_named_partners
from app.plans.models import DROPPED, OPEN, PlanChange, PlanGoal
from app.timeutil import aware, office_zone, utcnow
from forms.base import parse_iso_date

AB, MBE, JE = "alltagsbegleitung", "mbe_beratung", "junge_erwachsene"

ADDED, CHANGED, REDATED = "hinzugefuegt", "geaendert", "neu_terminiert"
CLOSED, REOPENED, RATED = "abgeschlossen", "wieder_offen", "bewertet"
CHANGE_LABELS = {
    ADDED: _l("Ziel hinzugefügt"), CHANGED: _l("Ziel geändert"), REDATED: _l("Frist neu gesetzt"),
    CLOSED: _l("Ziel abgeschlossen"), REOPENED: _l("Ziel wieder geöffnet"), RATED: _l("Stand geändert"),
}
STATUS_LABELS = {
    OPEN: _l("offen"), "erreicht": _l("erreicht"), "teilweise": _l("teilweise erreicht"),
    "nicht_erreicht": _l("nicht erreicht"), "angepasst": _l("angepasst"), DROPPED: _l("nicht weiter verfolgt"),
}
EVENT_KIND = "plan_changed"
events.register(EVENT_KIND, _l("Plan geändert"))
#: Sent ``(instance, user=)`` after a goal was added, changed, closed or reopened between reviews
#: (app/partners puts goals naming an invited partner into their inbox).
plan_changed = Namespace().signal("plan-changed")


@dataclass(frozen=True)
class PlanKind:
    """How a process keeps its goals in the case data."""

    text_key: str  # the goal's wording
    keys: tuple[str, ...]  # the goal's fields (besides the status)
    close_statuses: tuple[str, ...]  # how a goal may be closed between reviews
    status_always: bool  # MBE's goals always carry their status; Alltagsbegleitung's only once closed


KINDS = {
    AB: PlanKind("beschreibung", ("beschreibung", "frist", "ueberpruefung"), ("erreicht", DROPPED), False),
    MBE: PlanKind("ziel", ("bereich", "ziel", "frist", "partner", "anmerkung"),
                  ("erreicht", "nicht_erreicht", DROPPED), True),
    # Junge Erwachsene: each goal names the actor responsible for it (Integrationsplan)
    JE: PlanKind("ziel", ("bereich", "ziel", "frist", "verantwortlich"), ("erreicht", "nicht_erreicht", DROPPED), True),
}
#: States in which a goal is finished (a review's "teilweise" or "angepasst" keeps it going).
FINAL = frozenset({"erreicht", "nicht_erreicht", DROPPED})


class PlanError(ValueError):
    """A change the plan's rules refuse (German message for the page)."""


def kind_of(instance: ProcessInstance) -> PlanKind | None:
    return KINDS.get(instance.version.model.key)


def goals_of(instance_id: int) -> list[PlanGoal]:
    return list(db.session.scalars(
        select(PlanGoal).where(PlanGoal.instance_id == instance_id).order_by(PlanGoal.position, PlanGoal.id)))


def handles(instance: ProcessInstance) -> bool:
    """Does the living plan show this case's plan (a process with goals that has some)?"""
    return kind_of(instance) is not None and bool(goals_of(instance.id) or (instance.data or {}).get("ziele"))


def version_of(instance_id: int) -> int:
    return db.session.scalar(select(func.max(PlanChange.version)).where(PlanChange.instance_id == instance_id)) or 0


def changes_of(instance_id: int) -> list[PlanChange]:
    return list(db.session.scalars(
        select(PlanChange).where(PlanChange.instance_id == instance_id).order_by(PlanChange.id.desc())))


def last_change_at(instance_id: int):
    return db.session.scalar(select(func.max(PlanChange.created_at)).where(PlanChange.instance_id == instance_id))


def can_edit(user: User, instance: ProcessInstance, level: str | None) -> bool:
    """Full participants of the case-owning team change the plan (Alltagsbegleitung: the FB team
    that set the goals, not 201 or the volunteer, who see it; MBE: the counsellor)."""
    return (level == FULL and instance.status == RUNNING and kind_of(instance) is not None
            and instance.owner_team_id is not None and instance.owner_team_id in user.member_team_ids)


def goal_dict(goal: PlanGoal, kind: PlanKind) -> dict:
    """The goal as the case data holds it."""
    data = {k: v for k, v in (goal.fields or {}).items() if k in kind.keys}
    if kind.status_always or goal.status != OPEN:
        data["status"] = goal.status
    return data


def current_goals(instance: ProcessInstance) -> list[dict]:
    """The plan's goals that are still part of it (not dropped), as the case data holds them."""
    kind = kind_of(instance)
    if kind is None:
        return []
    return [goal_dict(g, kind) for g in goals_of(instance.id) if g.status != DROPPED]


def _split(entry: dict, kind: PlanKind) -> tuple[dict, str]:
    fields = {k: entry[k] for k in kind.keys if k in entry and entry[k] not in (None, "")}
    return fields, str(entry.get("status") or OPEN)


def _snapshot(goal: PlanGoal) -> dict:
    return {**(goal.fields or {}), "status": goal.status}


def _apply(goal: PlanGoal, fields: dict, status: str) -> None:
    goal.fields = dict(fields)
    goal.frist = parse_iso_date(fields.get("frist"))
    if status != goal.status:
        goal.closed_at = utcnow() if status in FINAL else None
    goal.status = status


def _change_kind(before: dict, after: dict) -> str:
    status = after.get("status")
    if status != before.get("status") and status in FINAL:
        return CLOSED
    if status != before.get("status") and status == OPEN:
        return REOPENED
    differing = {k for k in set(before) | set(after) if before.get(k) != after.get(k)} - {"status"}
    if not differing:
        return RATED
    return REDATED if differing == {"frist"} else CHANGED


def _record(instance: ProcessInstance, goal: PlanGoal | None, kind: str, user: User | None, version: int,
            before: dict | None, after: dict | None, note: str = "") -> PlanChange:
    change = PlanChange(instance_id=instance.id, goal=goal, version=version, kind=kind,
                        actor_id=user.id if user else None, before=before, after=after, note=note or "")
    db.session.add(change)
    return change


def reconcile(instance: ProcessInstance, user: User | None, entries: list,
              plan: list[PlanGoal] | None = None) -> bool:
    """Take the goals a form gave (``ziele`` of a Bedarfsermittlung, Förderplan or review) as the
    plan: the n-th entry is the n-th goal still in the plan; new entries are added goals, missing
    ones are no longer pursued. Records each difference under one new version; True if any.
    ``plan``, if given, receives all of the plan's rows afterwards (old and new)."""
    kind = kind_of(instance)
    if kind is None:
        return False
    goals = goals_of(instance.id)
    if plan is not None:
        plan.extend(goals)
    active = [g for g in goals if g.status != DROPPED]
    version = version_of(instance.id) + 1
    position = max((g.position for g in goals), default=-1) + 1
    changed = False
    wanted = [e for e in entries if isinstance(e, dict)]
    for index, entry in enumerate(wanted):
        fields, status = _split(entry, kind)
        if index < len(active):
            goal = active[index]
            before = _snapshot(goal)
            if before == {**fields, "status": status}:
                continue
            _apply(goal, fields, status)
            _record(instance, goal, _change_kind(before, _snapshot(goal)), user, version, before, _snapshot(goal))
        else:
            goal = PlanGoal(instance_id=instance.id, position=position)
            position += 1
            _apply(goal, fields, status)
            db.session.add(goal)
            if plan is not None:
                plan.append(goal)
            _record(instance, goal, ADDED, user, version, None, _snapshot(goal))
        changed = True
    for goal in active[len(wanted):]:
        before = _snapshot(goal)
        _apply(goal, goal.fields, DROPPED)
        _record(instance, goal, CLOSED, user, version, before, _snapshot(goal))
        changed = True
    return changed


def ensure_plan(instance: ProcessInstance) -> list[PlanGoal]:
    """The plan's rows; a case whose goals were entered before plans were kept as rows gets them
    from its case data (recorded as version 1 without a person)."""
    goals = goals_of(instance.id)
    entries = (instance.data or {}).get("ziele")
    if not goals and kind_of(instance) is not None and isinstance(entries, list) and entries:
        reconcile(instance, None, entries)
        db.session.flush()
        goals = goals_of(instance.id)
    return goals


@signals.task_completed.connect
def _plan_from_form(instance: ProcessInstance, task: Task | None = None, user: User | None = None,
                    data: dict | None = None, **_kwargs) -> None:
    """A planning form or review that gave goals updates the plan (and so its version)."""
    if not data or not isinstance(data.get("ziele"), list) or kind_of(instance) is None:
        return
    goals: list[PlanGoal] = []
    if reconcile(instance, user, data["ziele"], goals):
        _mirror(instance, goals)  # no flush: the new rows go out with the completion's commit


def _mirror(instance: ProcessInstance, goals: list[PlanGoal] | None = None) -> None:
    """Write the current plan into the case data's ``ziele`` (only if it differs); ``goals``: all
    of the plan's rows if the caller has them (in plan order), else they are read."""
    kind = kind_of(instance)
    if goals is None or kind is None:
        current = current_goals(instance)
    else:
        # New goals have no id before the flush; their positions come after every other one.
        current = [goal_dict(g, kind) for g in sorted(goals, key=lambda g: (g.position, g.id or 0))
                   if g.status != DROPPED]
    if (instance.data or {}).get("ziele") != current:
        instance.data = {**(instance.data or {}), "ziele": current}


def _counting(goals: list[PlanGoal], without: PlanGoal | None = None) -> int:
    return sum(1 for g in goals if g.status != DROPPED and g is not without)


def _save(instance: ProcessInstance, user: User, goal: PlanGoal, kind: str, before: dict | None,
          note: str) -> None:
    version = version_of(instance.id) + 1
    db.session.flush()
    if (goal.fields or {}).get("partner"):  # a named directory partner becomes a referral, as in the Förderplan
        refer_named_partners(instance, user, [goal.fields])
    _record(instance, goal, kind, user, version, before, _snapshot(goal), note)
    _mirror(instance)
    text = str((goal.fields or {}).get(kind_of(instance).text_key, ""))  # type: ignore[union-attr]
    service.record(instance, EVENT_KIND, text[:200], user,
                   {"aenderung": kind, "plan_version": version, **({"notiz": note} if note else {})})
    db.session.flush()
    plan_changed.send(instance, user=user)


def _begin(instance: ProcessInstance) -> PlanKind:
    kind = kind_of(instance)
    if kind is None or instance.status != RUNNING:
        raise service.ConflictError(str(_l("Der Plan dieses Falls kann nicht mehr geändert werden.")))
    service.lock_case(instance)  # a concurrent change of the same case conflicts instead of both winning
    return kind


def add_goal(instance: ProcessInstance, user: User, fields: dict, note: str = "") -> PlanGoal:
    kind = _begin(instance)
    goals = ensure_plan(instance)
    goal = PlanGoal(instance_id=instance.id, position=max((g.position for g in goals), default=-1) + 1)
    _apply(goal, {k: v for k, v in fields.items() if k in kind.keys and v not in (None, "")}, OPEN)
    db.session.add(goal)
    _save(instance, user, goal, ADDED, None, note)
    return goal


def change_goal(instance: ProcessInstance, goal: PlanGoal, user: User, fields: dict, note: str = "") -> None:
    kind = _begin(instance)
    if goal.status == DROPPED:
        raise PlanError(str(_l("Ein nicht weiter verfolgtes Ziel kann nicht geändert werden.")))
    before = _snapshot(goal)
    new = {**(goal.fields or {}), **{k: v for k, v in fields.items() if k in kind.keys}}
    new = {k: v for k, v in new.items() if v not in (None, "")}
    if new == goal.fields:
        raise PlanError(str(_l("Es wurde nichts geändert.")))
    _apply(goal, new, goal.status)
    _save(instance, user, goal, _change_kind(before, _snapshot(goal)), before, note)


def close_goal(instance: ProcessInstance, goal: PlanGoal, user: User, status: str, note: str = "") -> None:
    kind = _begin(instance)
    goals = ensure_plan(instance)
    if status not in kind.close_statuses:
        raise PlanError(str(_l("Bitte einen Abschluss aus der Liste wählen.")))
    if goal.status in FINAL:
        raise PlanError(str(_l("Dieses Ziel ist bereits abgeschlossen.")))
    if status == DROPPED and _counting(goals, without=goal) == 0:
        raise PlanError(str(_l("Der Plan braucht mindestens ein Ziel. Bitte zuerst ein neues Ziel "
                               "aufnehmen, bevor das letzte nicht weiter verfolgt wird.")))
    before = _snapshot(goal)
    _apply(goal, goal.fields, status)
    _save(instance, user, goal, CLOSED, before, note)


def reopen_goal(instance: ProcessInstance, goal: PlanGoal, user: User, note: str = "") -> None:
    _begin(instance)
    if goal.status == OPEN:
        raise PlanError(str(_l("Dieses Ziel ist bereits offen.")))
    before = _snapshot(goal)
    _apply(goal, goal.fields, OPEN)
    _save(instance, user, goal, REOPENED, before, note)


def plan_summary(instance: ProcessInstance) -> dict:
    """Version and date of the current plan (the Integrationsvereinbarung prints them)."""
    moment = last_change_at(instance.id)
    day = aware(moment).astimezone(office_zone()).date() if moment is not None else None
    return {"version": version_of(instance.id), "stand": day}



#: What of a goal may stay when the case's personal data are erased: its area and deadline (the
#: status is a column of its own); the wording, partner and notes go.
ANONYMOUS_GOAL_KEYS = ("bereich", "frist")


def _anonymous(fields: dict | None) -> dict | None:
    if fields is None:
        return None
    return {k: v for k, v in fields.items() if k in ANONYMOUS_GOAL_KEYS or k == "status"}


@case_erasing.connect
def _erase_plan(instance: ProcessInstance, **_kw) -> dict[str, int]:
    """Erasure of the case's personal data (app/erasure): the goals' wording, partners and notes
    and the change notes go; areas, deadlines, statuses and versions stay (statistics)."""
    count = 0
    for goal in goals_of(instance.id):
        kept = _anonymous(goal.fields) or {}
        if kept != (goal.fields or {}):
            goal.fields = kept
            count += 1
    for change in db.session.scalars(select(PlanChange).where(PlanChange.instance_id == instance.id)):
        change.before, change.after, change.note = _anonymous(change.before), _anonymous(change.after), ""
    for event in db.session.scalars(select(CaseEvent).where(CaseEvent.instance_id == instance.id,
                                                            CaseEvent.kind == EVENT_KIND)):
        event.title = ""
    db.session.flush()
    return {"ziele": count}
