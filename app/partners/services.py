"""Inviting partner staff to a case, what they may read, their to-dos, and the end of access.

Rules (issue 15 item 2):
- Only junge_erwachsene cases; only a full participant of the owning team invites or ends.
- A partner user's type comes from the department code of their team (``PARTNER_DEPARTMENTS``).
- An invitation names data categories (``forms.junge_erwachsene.DATENKATEGORIEN``). It is refused
  (``InvitationError``, 422) unless the case's consent is given, not withdrawn, not expired,
  includes sharing ("weitergabe"), allows the partner's type and covers every named category.
  Stammdaten are always needed: the partner must know whom the case is about.
- What a partner reads is derived at every request (``reading``): the invited categories the
  current consent still covers, nothing once the consent is withdrawn or expired — no job needed.
- Open plan goals whose ``verantwortlich`` names an invited partner (username or display name)
  become to-dos in the partner's inbox (if the plan category is shared); the partner records
  their part (``record_part``); ending the invitation drops their open to-dos.
"""

from __future__ import annotations

from datetime import datetime, time

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from app import timeutil
from app.auth.access import PARTNER, register_partner_reading
from app.auth.models import ROLE_PARTNER, User
from app.cases import consent
from app.engine import events, service, signals
from app.engine.models import (
    ACTIVE_TASK_STATES,
    CANCELLED,
    FULL,
    RUNNING,
    TODO_TASK,
    CaseEvent,
    CaseParticipant,
    ProcessInstance,
    Task,
)
from app.erasure.services import CONSENT_WITHDRAWN, case_erasing, erase_case
from app.extensions import db
from app.partners.models import PartnerInvitation
from app.plans import services as plans
from app.timeutil import office_zone
from forms.base import parse_iso_date
from forms.junge_erwachsene import DATENKATEGORIEN, category_fields
from forms.mbe import EINWILLIGUNG_PARTNERARTEN

PROCESS_KEY = "junge_erwachsene"
REASON = "partner"  # the participant row's reason
#: Department codes of partner teams -> partner type (keys of app.network.models.PARTNER_TYPES).
PARTNER_DEPARTMENTS = {"JC": "jobcenter", "ABH": "auslaenderbehoerde", "JMD": "jmd", "BT": "schule"}
REQUIRED_CATEGORY = "stammdaten"
GOAL_SOURCE = "partner_goal"
ERASURE = "loeschung"  # why an invitation ended when the case's personal data were erased

INVITED, ENDED, PART = "partner_invited", "partner_ended", "partner_part"
events.register(INVITED, _l("Partner eingeladen"))
events.register(ENDED, _l("Einladung eines Partners beendet"))
events.register(PART, _l("Beitrag eines Partners"))

#: The partner's status of their part of a goal: in progress keeps the to-do open.
PART_STATUS = [("in_arbeit", _l("in Arbeit")), ("erledigt", _l("erledigt")),
               ("nicht_moeglich", _l("nicht möglich"))]
TYPE_LABELS = dict(EINWILLIGUNG_PARTNERARTEN)


class InvitationError(ValueError):
    """An invitation (or its end) refused; ``field`` names the input it is about, ``status`` the HTTP status."""

    def __init__(self, message: str, field: str = "categories", status: int = 422):
        super().__init__(message)
        self.message, self.field, self.status = message, field, status


def is_je_case(instance: ProcessInstance) -> bool:
    return instance.version.model.key == PROCESS_KEY


def partner_type(user: User) -> str | None:
    """The partner type of a partner organisation's staff member (None: not a partner user)."""
    if not user.has_role(ROLE_PARTNER):
        return None
    for membership in user.memberships:
        kind = PARTNER_DEPARTMENTS.get(membership.team.department)
        if kind:
            return kind
    return None


def type_label(kind: str | None) -> str:
    return str(TYPE_LABELS.get(kind or "", kind or ""))


def category_label(key: str) -> str:
    return str(DATENKATEGORIEN.get(key, {}).get("label", key))


def today():
    """The office's day now (read through ``timeutil`` at each call: tests move the clock)."""
    return timeutil.utcnow().astimezone(office_zone()).date()


def consented_categories(data: dict | None) -> frozenset[str]:
    value = (data or {}).get("einwilligung_kategorien") or []
    return frozenset(str(v) for v in ([value] if isinstance(value, str) else value))


def invitable_users() -> list[User]:
    users = db.session.scalars(select(User).where(User.with_role(ROLE_PARTNER), User.active.is_(True))
                               .order_by(User.display_name))
    return [u for u in users if partner_type(u)]


def may_manage(user: User, instance: ProcessInstance, level: str | None) -> bool:
    """Full participants of the owning team invite partners and end invitations."""
    return (level == FULL and is_je_case(instance) and instance.owner_team_id is not None
            and instance.owner_team_id in user.member_team_ids)


def consent_gap(data: dict | None, kind: str, categories) -> str | None:
    """Why the case's consent does not cover sharing ``categories`` with a partner of type
    ``kind`` today (German), or None when it does."""
    found = consent.of(data)
    day = today()
    if found.withdrawn is not None:
        return _("Die Einwilligung wurde am %(datum)s widerrufen: Es dürfen keine Daten weitergegeben werden.",
                 datum=format_date(found.withdrawn))
    if not found.given:
        return _("Für diesen Fall ist keine Einwilligung erfasst: Es dürfen keine Daten weitergegeben werden.")
    if found.until is not None and day > found.until:
        return _("Die Einwilligung ist am %(datum)s abgelaufen: Es dürfen keine Daten weitergegeben werden.",
                 datum=format_date(found.until))
    if not found.sharing:
        return _("Die Einwilligung umfasst keine Weitergabe an Netzwerkpartner.")
    if found.partner_types and kind not in found.partner_types:
        return _("Die Einwilligung erlaubt keine Weitergabe an diese Art von Partner (%(art)s).",
                 art=type_label(kind))
    missing = [c for c in categories if c not in consented_categories(data)]
    if missing:
        return _("Die Einwilligung umfasst diese Datenkategorien nicht: %(liste)s.",
                 liste=", ".join(category_label(c) for c in missing))
    return None


def invitation_of(instance_id: int, user_id: int) -> PartnerInvitation | None:
    return db.session.scalar(select(PartnerInvitation).where(
        PartnerInvitation.instance_id == instance_id, PartnerInvitation.user_id == user_id))


def invitations_of(instance_id: int) -> list[PartnerInvitation]:
    return list(db.session.scalars(select(PartnerInvitation).where(PartnerInvitation.instance_id == instance_id)
                                   .order_by(PartnerInvitation.id)))


def shared_categories(invitation: PartnerInvitation, instance: ProcessInstance, user: User) -> list[str] | None:
    """The invited categories the current consent covers (None: no access at all now)."""
    kind = partner_type(user)
    if kind is None or kind != invitation.partner_type or not is_je_case(instance):
        return None
    if consent_gap(instance.data, kind, []) is not None:
        return None
    covered = consented_categories(instance.data)
    return [c for c in invitation.categories or [] if c in covered]


def reading(user: User, instance: ProcessInstance) -> frozenset[str] | None:
    """The case-data keys ``user`` reads as an invited partner now (None: no access)."""
    invitation = invitation_of(instance.id, user.id)
    if invitation is None:
        return None
    categories = shared_categories(invitation, instance, user)
    return None if categories is None else category_fields(categories)


register_partner_reading(reading)


def _check_categories(categories) -> list[str]:
    if not isinstance(categories, list | tuple) or not all(isinstance(c, str) for c in categories):
        raise InvitationError(_("Bitte die Datenkategorien als Liste angeben."))
    unknown = [c for c in categories if c not in DATENKATEGORIEN]
    if unknown:
        raise InvitationError(_("Unbekannte Datenkategorie: %(liste)s.", liste=", ".join(unknown)))
    if REQUIRED_CATEGORY not in categories:
        raise InvitationError(_("Die Stammdaten müssen geteilt werden, damit der Partner weiß, um wen es geht."))
    return [c for c in DATENKATEGORIEN if c in categories]


def invite(instance: ProcessInstance, actor: User, partner: User | None, categories) -> PartnerInvitation:
    """Invite ``partner`` to the case with ``categories``; InvitationError with the German reason."""
    if partner is None or not partner.active or partner_type(partner) is None:
        raise InvitationError(_("Bitte eine Person einer Partnerorganisation wählen."), "username")
    if instance.status != RUNNING:
        raise InvitationError(_("Der Fall ist nicht aktiv."), "username", 409)
    chosen = _check_categories(categories)
    kind = partner_type(partner) or ""
    gap = consent_gap(instance.data, kind, chosen)
    if gap:
        raise InvitationError(gap)
    if invitation_of(instance.id, partner.id) is not None:
        raise InvitationError(_("%(name)s ist bereits eingeladen.", name=partner.display_name), "username", 409)
    service.lock_case(instance)
    invitation = PartnerInvitation(instance_id=instance.id, user_id=partner.id, partner_type=kind,
                                   categories=chosen, invited_by_id=actor.id)
    db.session.add(invitation)
    db.session.add(CaseParticipant(instance_id=instance.id, user_id=partner.id, level=PARTNER, reason=REASON))
    service.record(instance, INVITED, partner.display_name, actor,
                   {"partner": partner.username, "art": kind, "kategorien": chosen})
    db.session.flush()
    sync_goal_todos(instance, actor)
    return invitation


def end(instance: ProcessInstance, actor: User | None, partner: User, why: str = "") -> None:
    """End ``partner``'s invitation: the participant row and the invitation go, open to-dos are dropped."""
    invitation = invitation_of(instance.id, partner.id)
    if invitation is None:
        raise InvitationError(_("Diese Person ist nicht eingeladen."), "username", 404)
    _end(instance, actor, invitation, why)


def _end(instance: ProcessInstance, actor: User | None, invitation: PartnerInvitation, why: str) -> None:
    partner = invitation.user
    erasing = why == ERASURE
    for task in open_todos(instance.id, partner.id):  # dropped: the partner has no access any more
        task.status, task.completed_at, task.completed_by_id = CANCELLED, timeutil.utcnow(), getattr(actor, "id", None)
        if erasing:
            task.title, task.context = "", None
        service.record(instance, "todo_dropped", "" if erasing else task.title, actor, None, task=task)
    db.session.execute(delete(CaseParticipant).where(
        CaseParticipant.instance_id == instance.id, CaseParticipant.user_id == partner.id,
        CaseParticipant.level == PARTNER).execution_options(synchronize_session="fetch"))
    db.session.delete(invitation)
    service.record(instance, ENDED, "" if erasing else partner.display_name, actor,
                   {"partner": partner.username, **({"grund": why} if why else {})})
    db.session.flush()


def open_todos(instance_id: int, user_id: int) -> list[Task]:
    return list(db.session.scalars(select(Task).where(
        Task.instance_id == instance_id, Task.assignee_id == user_id, Task.kind == TODO_TASK,
        Task.status.in_(ACTIVE_TASK_STATES))))


def _names(user: User) -> set[str]:
    return {user.username.casefold(), user.display_name.strip().casefold()}


def _due(frist) -> datetime | None:
    day = parse_iso_date(frist)
    return datetime.combine(day, time(12), tzinfo=office_zone()) if day else None


def sync_goal_todos(instance: ProcessInstance, actor: User | None) -> int:
    """Give each invited partner (who reads the plan) a to-do per open goal naming them; returns how many."""
    if instance.status != RUNNING:
        return 0
    created = 0
    goals = None
    for invitation in invitations_of(instance.id):
        partner = invitation.user
        shared = shared_categories(invitation, instance, partner)
        if not shared or "plan" not in shared:
            continue
        if goals is None:
            goals = [g for g in plans.ensure_plan(instance) if g.status not in plans.FINAL]
        names = _names(partner)
        named_goals = {g.id for g in goals
                       if str((g.fields or {}).get("verantwortlich") or "").strip().casefold() in names}
        have = set()
        for task in open_todos(instance.id, partner.id):
            goal_id = (task.context or {}).get("partner_goal")
            if goal_id and goal_id not in named_goals:  # closed, or now someone else's: no longer theirs
                task.status, task.completed_at = CANCELLED, timeutil.utcnow()
                service.record(instance, "todo_dropped", task.title, actor, None, task=task)
            have.add(goal_id)
        for goal in goals:
            if goal.id in have or goal.id not in named_goals:
                continue
            text = str((goal.fields or {}).get("ziel") or "")
            service.create_todo(instance, _("Ziel: %(ziel)s", ziel=text)[:200], created_by=actor, assignee=partner,
                                due_at=_due((goal.fields or {}).get("frist")),
                                context={"partner_goal": goal.id, "text": text}, source=GOAL_SOURCE)
            created += 1
    return created


@signals.task_completed.connect
def _goals_after_step(instance, task=None, user=None, data=None, **_kwargs) -> None:
    """A plan or review that named a partner as responsible puts the goal into their inbox."""
    if data and isinstance(data.get("ziele"), list) and is_je_case(instance) and invitations_of(instance.id):
        db.session.flush()
        sync_goal_todos(instance, user)


@plans.plan_changed.connect
def _goals_between_reviews(instance, user=None, **_kwargs) -> None:
    """A goal added or changed between reviews that names an invited partner reaches them (and
    one closed or given to someone else leaves their inbox)."""
    if is_je_case(instance) and invitations_of(instance.id):
        sync_goal_todos(instance, user)


def partner_goal(task: Task):
    goal_id = (task.context or {}).get("partner_goal")
    return db.session.get(plans.PlanGoal, goal_id) if goal_id else None


def record_part(task: Task, user: User, text: str, status: str) -> None:
    """The partner records their part of the goal of ``task``; done / not possible closes the to-do."""
    goal = partner_goal(task)
    ziel = str((goal.fields or {}).get("ziel") or "") if goal else str((task.context or {}).get("text") or "")
    service.record(task.instance, PART, ziel[:200], user,
                   {"partner": user.username, "beitrag": text, "stand": status, "ziel": ziel}, task=task)
    if status != "in_arbeit":
        service.close_todo(task, user, "done", text[:500])
    db.session.flush()


def parts_of(instance_id: int, user: User | None = None) -> list[CaseEvent]:
    query = select(CaseEvent).where(CaseEvent.instance_id == instance_id, CaseEvent.kind == PART)
    if user is not None:
        query = query.where(CaseEvent.actor_id == user.id)
    return list(db.session.scalars(query.order_by(CaseEvent.id.desc())))


@case_erasing.connect
def _erase_invitations(instance: ProcessInstance, **_kw) -> dict[str, int]:
    """Erasure (retention, consent withdrawn): every invitation ends; the partners' texts go."""
    count = 0
    for invitation in invitations_of(instance.id):
        _end(instance, None, invitation, ERASURE)
        count += 1
    for event in parts_of(instance.id):
        event.title, event.data = "", {"stand": (event.data or {}).get("stand")}
    for task in db.session.scalars(select(Task).where(Task.instance_id == instance.id, Task.kind == TODO_TASK)):
        if (task.context or {}).get("partner_goal"):  # the goal's wording in the partners' to-dos
            task.title, task.context = "", None
    db.session.flush()
    return {"partner_einladungen": count}


WITHDRAWN_EVENT = "je_consent_withdrawn"
events.register(WITHDRAWN_EVENT, _l("Einwilligung widerrufen"))


def withdraw_consent(instance: ProcessInstance, user: User, day, note: str = "") -> None:
    """The young person withdrew the consent on ``day``: the case's personal data are erased at once
    (``erase_case`` with the reason "consent withdrawn"; every partner invitation ends with it), the
    withdrawal is kept in the case data so nothing is shared again. Only flushes."""
    erase_case(instance, reason=CONSENT_WITHDRAWN, actor=user)
    instance.data = {**(instance.data or {}), "einwilligung": False, "einwilligung_widerrufen": day.isoformat()}
    service.record(instance, WITHDRAWN_EVENT, "", user, {"widerrufen_am": day.isoformat(),
                                                         "notiz": note.strip()[:1000]})
    db.session.flush()
