"""Booking, changing and cancelling appointments; whose appointments are whose; the steps of a
process that are offered as appointments.

Who may do what is derived from the case's access at the moment of asking (never stored on the
appointment): full participants of a case book, change and cancel; limited participants (the
volunteer) see the appointments they take part in; whoever lost access to the case no longer
sees its appointments anywhere (case view, "Meine Termine", calendar feed, API).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from flask_babel import force_locale, format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.orm import selectinload

from app import timeutil
from app.appointments.models import CANCELLED, SCHEDULED, Appointment, AppointmentParticipant
from app.auth.access import access_level, visible_instance_ids
from app.auth.models import LEAD, Membership, User
from app.engine import events
from app.engine import service as engine
from app.engine.models import ACTIVE_TASK_STATES, FULL, RUNNING, CaseParticipant, ProcessInstance, Task
from app.erasure.services import case_erasing
from app.extensions import db
from app.notify.models import Notification
from app.timeutil import aware, office_zone

# Kinds of appointments (stored value -> label). The process steps that are meetings come first.
KINDS: dict[str, object] = {
    "termin": _l("Termin"),
    "vorgespraech": _l("Vorgespräch"),
    "zwischengespraech": _l("Zwischengespräch"),
    "abschluss": _l("Abschlussgespräch"),
    "ueberpruefung": _l("Überprüfung des Förderplans"),
    "beratung": _l("Beratungsgespräch"),
    "hausbesuch": _l("Hausbesuch"),
    "fallkonferenz": _l("Fallkonferenz"),
    "begleitung": _l("Begleitung zu einem Amt oder einer Stelle"),
}
DEFAULT_KIND = "termin"


def kind_label(kind: str) -> str:
    return str(KINDS.get(kind, kind))


@dataclass(frozen=True)
class StepOffer:
    """A process step that is a meeting, offered as an appointment while the case is at it.

    ``step``: the BPMN id of the user task; while that task is open the offer stands, dated by
    the task's due date. ``date_field``: a date in the case file that dates the step before its
    task exists (e.g. the end of the assignment fixed in the Vorgespräch makes the closing
    meeting due). ``timer_after``: once this field is in the case file, the case's next timer
    dates the step (the MBE reviews wait on a timer between two reviews)."""

    process: str
    step: str
    kind: str
    date_field: str | None = None
    timer_after: str | None = None


STEP_OFFERS: tuple[StepOffer, ...] = (
    StepOffer("alltagsbegleitung", "vorgespraech", "vorgespraech"),
    StepOffer("alltagsbegleitung", "zwischengespraech", "zwischengespraech"),
    StepOffer("alltagsbegleitung", "abschluss", "abschluss", date_field="ende"),
    StepOffer("mbe_beratung", "ueberpruefung", "ueberpruefung", date_field="naechste_ueberpruefung",
              timer_after="ueberpruefung_basis"),
    StepOffer("mbe_beratung", "abschluss", "abschluss"),
)

# Where a process keeps the client's language (first found wins).
LANGUAGE_FIELDS = ("sprachen", "beratungssprache")

# Defaults of an offered appointment: the office morning of the step's date, one hour.
OFFER_START = time(10, 0)
OFFER_LENGTH = timedelta(hours=1)

events.register("appointment_booked", _l("Termin vereinbart"))
events.register("appointment_changed", _l("Termin geändert"))
events.register("appointment_cancelled", _l("Termin abgesagt"))


@dataclass(frozen=True)
class Offer:
    kind: str
    day: date | None

    @property
    def label(self) -> str:
        return kind_label(self.kind)


# --- who ------------------------------------------------------------------------------------


def case_people(instance: ProcessInstance) -> list[User]:
    """Everyone who takes part in ``instance`` (its participant rows: persons, and the members or
    — for a leads-only row — the leads of the teams), active accounts only, by name. These are
    the people an appointment of the case may name."""
    rows = db.session.execute(select(CaseParticipant.user_id, CaseParticipant.team_id, CaseParticipant.leads_only)
                              .where(CaseParticipant.instance_id == instance.id)).all()
    user_ids = {r.user_id for r in rows if r.user_id is not None}
    teams = {r.team_id for r in rows if r.team_id is not None and not r.leads_only}
    lead_teams = {r.team_id for r in rows if r.team_id is not None and r.leads_only}
    conditions = [User.id.in_(user_ids)] if user_ids else []
    if teams:
        conditions.append(User.id.in_(select(Membership.user_id).where(Membership.team_id.in_(teams))))
    if lead_teams:
        conditions.append(User.id.in_(select(Membership.user_id).where(
            Membership.team_id.in_(lead_teams), Membership.kind == LEAD)))
    if not conditions:
        return []
    return list(db.session.scalars(
        select(User).where(or_(*conditions), User.active.is_(True)).order_by(User.display_name, User.id)))


def may_book(user: User, instance: ProcessInstance, level: str | None = None) -> bool:
    """Full participants book, change and cancel the case's appointments."""
    level = level if level is not None else access_level(user, instance)
    return level == FULL


def client_language(instance: ProcessInstance) -> str:
    """The family's / client's language from the case file (labels for choice values)."""
    from app.cases.services import choice_labels

    data = instance.data or {}
    for field in LANGUAGE_FIELDS:
        value = data.get(field)
        if value:
            return str(choice_labels().get(field, {}).get(str(value), value))[:200]
    return ""


# --- booking --------------------------------------------------------------------------------


def book(instance: ProcessInstance, actor: User, *, kind: str, starts_at: datetime, ends_at: datetime,
         place: str, participants: Iterable[User], title: str = "", language: str | None = None) -> Appointment:
    """A new appointment of ``instance`` (the caller checked that ``actor`` may book and that the
    participants take part in the case)."""
    appointment = Appointment(
        instance=instance, kind=kind or DEFAULT_KIND, title=title or "", starts_at=starts_at, ends_at=ends_at,
        place=place, language=client_language(instance) if language is None else language,
        status=SCHEDULED, created_by=actor, created_at=timeutil.utcnow(), updated_at=timeutil.utcnow(),
    )
    appointment.participants = [AppointmentParticipant(user=u) for u in _unique(participants)]
    db.session.add(appointment)
    engine.record(instance, "appointment_booked", _summary(appointment), actor, None)
    db.session.flush()
    return appointment


def change(appointment: Appointment, actor: User, *, kind: str, starts_at: datetime, ends_at: datetime,
           place: str, participants: Iterable[User], title: str = "", language: str = "") -> Appointment:
    if aware(appointment.starts_at) != starts_at:
        appointment.reminder_sent_at = None  # a moved appointment is remembered again
    appointment.kind, appointment.title, appointment.place = kind or DEFAULT_KIND, title or "", place
    appointment.starts_at, appointment.ends_at, appointment.language = starts_at, ends_at, language
    wanted = _unique(participants)
    keep = {u.id for u in wanted}
    appointment.participants = [p for p in appointment.participants if p.user_id in keep] + [
        AppointmentParticipant(user=u) for u in wanted
        if u.id not in {p.user_id for p in appointment.participants}]
    _touch(appointment)
    engine.record(appointment.instance, "appointment_changed", _summary(appointment), actor, None)
    db.session.flush()
    return appointment


def cancel(appointment: Appointment, actor: User) -> None:
    """Cancel (recorded, kept): it stays in lists and feeds as cancelled."""
    if appointment.status == CANCELLED:
        return
    appointment.status = CANCELLED
    appointment.cancelled_at = timeutil.utcnow()
    appointment.cancelled_by = actor
    _touch(appointment)
    engine.record(appointment.instance, "appointment_cancelled", _summary(appointment), actor, None)
    db.session.flush()


def _touch(appointment: Appointment) -> None:
    appointment.sequence = (appointment.sequence or 0) + 1
    appointment.updated_at = timeutil.utcnow()


def _unique(users: Iterable[User]) -> list[User]:
    seen: dict[int, User] = {}
    for user in users:
        seen.setdefault(user.id, user)
    return list(seen.values())


def _summary(appointment: Appointment) -> str:
    """The history entry's title: kind and time, no client data (history titles are data)."""
    with force_locale("de"):
        return f"{kind_label(appointment.kind)}, {format_datetime(aware(appointment.starts_at), 'short')}"[:200]


# --- reading --------------------------------------------------------------------------------


def get_appointment(appointment_id: int) -> Appointment | None:
    return db.session.get(Appointment, appointment_id)


def case_appointments(instance: ProcessInstance, user: User, level: str) -> list[Appointment]:
    """The case's appointments ``user`` sees: all with full access, else only their own."""
    query = (select(Appointment).options(selectinload(Appointment.participants).selectinload(
        AppointmentParticipant.user)).where(Appointment.instance_id == instance.id))
    if level != FULL:
        query = query.where(_takes_part(user))
    return list(db.session.scalars(query.order_by(Appointment.starts_at, Appointment.id)))


def _takes_part(user: User):
    return or_(Appointment.created_by_id == user.id, Appointment.id.in_(
        select(AppointmentParticipant.appointment_id).where(AppointmentParticipant.user_id == user.id)))


def appointments_of(user: User, start: datetime | None = None, end: datetime | None = None,
                    limit: int = 1000) -> list[Appointment]:
    """The appointments ``user`` takes part in or booked, of cases they still may see, starting
    in [start, end) (UTC), by time."""
    query = (select(Appointment)
             .options(selectinload(Appointment.participants).selectinload(AppointmentParticipant.user),
                      selectinload(Appointment.instance))
             .where(_takes_part(user), Appointment.instance_id.in_(visible_instance_ids(user))))
    if start is not None:
        query = query.where(Appointment.starts_at >= start)
    if end is not None:
        query = query.where(Appointment.starts_at < end)
    return list(db.session.scalars(query.order_by(Appointment.starts_at, Appointment.id).limit(limit)))


def office_today() -> date:
    """Today in the office's time zone, by the app's clock (tests move it)."""
    return timeutil.utcnow().astimezone(office_zone()).date()


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the week of ``day``."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def local_day(moment: datetime) -> date:
    return aware(moment).astimezone(office_zone()).date()


def at_office_time(day: date, at: time) -> datetime:
    """``day`` at the office time ``at``, as a UTC instant."""
    return datetime.combine(day, at, office_zone()).astimezone(UTC)


# --- offers ---------------------------------------------------------------------------------


def offers(instance: ProcessInstance, appointments: list[Appointment] | None = None) -> list[Offer]:
    """The steps of the case that are meetings and due now or soon (STEP_OFFERS), unless an
    appointment of that kind is already planned ahead."""
    if instance.status != RUNNING:
        return []
    key = instance.version.model.key
    mapping = [o for o in STEP_OFFERS if o.process == key]
    if not mapping:
        return []
    now = timeutil.utcnow()
    planned = {a.kind for a in (appointments if appointments is not None else [])
               if a.status == SCHEDULED and aware(a.ends_at) >= now}
    open_steps = {t.bpmn_id: t for t in db.session.scalars(
        select(Task).where(Task.instance_id == instance.id, Task.status.in_(ACTIVE_TASK_STATES),
                           Task.bpmn_id.in_([o.step for o in mapping])).order_by(Task.id))}
    data = instance.data or {}
    today = office_today()
    found: list[Offer] = []
    for offer in mapping:
        if offer.kind in planned or any(f.kind == offer.kind for f in found):
            continue
        task = open_steps.get(offer.step)
        if task is not None:
            found.append(Offer(offer.kind, local_day(task.due_at) if task.due_at else None))
            continue
        # Before the task exists: a date of the case file, else the timer the case waits on;
        # a date that has passed without its step is no offer any more.
        field_day = _iso_day(data.get(offer.date_field)) if offer.date_field else None
        timer_day = (local_day(instance.next_timer_due) if offer.timer_after and data.get(offer.timer_after)
                     and instance.next_timer_due else None)
        day = next((d for d in (field_day, timer_day) if d is not None and d >= today), None)
        if day is not None:
            found.append(Offer(offer.kind, day))
    return found


def _iso_day(value) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


# --- reminders (timer worker) -----------------------------------------------------------------


def remind_due(now: datetime, hours: float) -> int:
    """One in-app reminder to each participant of every appointment starting within ``hours``
    after ``now``. Each appointment is taken with a conditional UPDATE (never twice, also with
    two workers). Returns the number of appointments reminded."""
    ids = list(db.session.scalars(
        select(Appointment.id).where(Appointment.status == SCHEDULED, Appointment.reminder_sent_at.is_(None),
                                     Appointment.starts_at > now,
                                     Appointment.starts_at <= now + timedelta(hours=hours))
        .order_by(Appointment.starts_at)))
    reminded = 0
    for appointment_id in ids:
        taken = db.session.execute(  # type: ignore[attr-defined]  # DML gives a CursorResult
            update(Appointment).where(Appointment.id == appointment_id, Appointment.reminder_sent_at.is_(None),
                                      Appointment.status == SCHEDULED)
            .values(reminder_sent_at=now).execution_options(synchronize_session=False)
        ).rowcount
        if taken != 1:
            continue
        appointment = db.session.get(Appointment, appointment_id)
        if appointment is None:
            continue
        instance = appointment.instance
        with force_locale("de"):  # stored text, like the other notifications' titles
            when = format_datetime(aware(appointment.starts_at), "short")
            title = f"Terminerinnerung: {kind_label(appointment.kind)} am {when} ({instance.reference})"
        link = current_app.url_map.bind("localhost").build("cases.view", {"instance_id": instance.id})
        for user in appointment.people:
            if user.active and access_level(user, instance) is not None:
                db.session.add(Notification(user_id=user.id, kind="termin", title=title[:300], link=link))
        reminded += 1
    db.session.flush()
    return reminded


@case_erasing.connect
def _erase_appointments(instance: ProcessInstance, **_kw) -> dict[str, int]:
    """Erasure of the case's personal data (app/erasure): titles, places and the language note
    of the case's appointments go; kind, times, status and participants stay."""
    count = 0
    for appointment in db.session.scalars(select(Appointment).where(Appointment.instance_id == instance.id)):
        if appointment.title or appointment.place or appointment.language:
            appointment.title, appointment.place, appointment.language = "", "", ""
            appointment.sequence += 1  # calendar programs replace their copy
            count += 1
    db.session.flush()
    return {"termine": count}
