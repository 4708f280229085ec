"""Expense allowance (Aufwandsentschädigung) of volunteers.

An entry: date, hours, kilometres travelled and/or other expenses in euros, a note. Its amount
(``summe``) = hours × ``EXPENSE_RATE_PER_HOUR`` + km × ``EXPENSE_RATE_PER_KM`` + expenses,
rounded to cents, computed with Decimal when the entry is saved. Flow: the volunteer submits
(``eingereicht``) → 201 approves (``genehmigt``, locked) or returns it with a required comment
(``zurueckgegeben``) → the volunteer corrects and resubmits, or withdraws it (``zurueckgezogen``,
counted nowhere). No entry may lie before the assignment began (the Vorgespräch's ``beginn``);
an entry equal to one already recorded (same volunteer, case, date, hours, km, expenses) is
saved only after the volunteer confirmed it. Statements and totals only count
approved entries and are summed in SQL.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app, url_for
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from app.auth.access import visible_instance_ids
from app.auth.models import User
from app.engine.models import ProcessInstance
from app.extensions import db
from app.timeutil import utcnow
from app.volunteers import notices
from app.volunteers.access import case_coordinators
from app.volunteers.models import APPROVED, RETURNED, SUBMITTED, WITHDRAWN, ExpenseEntry

CENT = Decimal("0.01")


class ExpenseConflict(Exception):
    """The entry is no longer in a state that allows this (e.g. approved meanwhile)."""


def rates() -> tuple[Decimal, Decimal]:
    cfg = current_app.config
    return Decimal(str(cfg["EXPENSE_RATE_PER_HOUR"])), Decimal(str(cfg["EXPENSE_RATE_PER_KM"]))


def amount(stunden: Decimal, kilometer: Decimal, auslagen: Decimal) -> Decimal:
    per_hour, per_km = rates()
    return (stunden * per_hour + kilometer * per_km + auslagen).quantize(CENT, ROUND_HALF_UP)


def _d(value) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal("0")


def save_entry(entry: ExpenseEntry | None, instance: ProcessInstance, volunteer: User, *, datum: date,
               stunden, kilometer, auslagen, notiz: str | None) -> ExpenseEntry:
    """Create an entry or correct a returned / not yet decided one; it is (re)submitted."""
    if entry is None:
        entry = ExpenseEntry(instance_id=instance.id, volunteer_id=volunteer.id)
        db.session.add(entry)
    elif entry.status in (APPROVED, WITHDRAWN):
        raise ExpenseConflict
    else:  # still not approved when written (201 may be approving it this moment): row locked till commit
        held = db.session.execute(  # type: ignore[attr-defined]  # DML gives a CursorResult
            update(ExpenseEntry).where(ExpenseEntry.id == entry.id, ExpenseEntry.status.not_in((APPROVED, WITHDRAWN)))
            .values(status=ExpenseEntry.status).execution_options(synchronize_session=False)
        ).rowcount
        if held != 1:
            raise ExpenseConflict
    entry.datum = datum
    entry.stunden, entry.kilometer, entry.auslagen = _d(stunden), _d(kilometer), _d(auslagen)
    entry.notiz = (notiz or "").strip()
    entry.summe = amount(entry.stunden, entry.kilometer, entry.auslagen)
    resubmitted = entry.status == RETURNED
    entry.status = SUBMITTED
    entry.updated_at = utcnow()
    db.session.flush()
    if resubmitted:
        notices.notify(case_coordinators(instance), notices.KIND_EXPENSE,
                       f"Aufwand korrigiert eingereicht ({instance.reference})",
                       url_for("volunteers.expense_review"))
    return entry


def assignment_start(instance: ProcessInstance) -> date | None:
    """First day of the assignment as fixed in the Vorgespräch (None before it or when unreadable)."""
    value = (instance.data or {}).get("beginn")
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def duplicate_of(instance: ProcessInstance, volunteer: User, *, datum: date, stunden, kilometer, auslagen,
                 ignore_id: int | None = None) -> ExpenseEntry | None:
    """An entry (not withdrawn) of ``volunteer`` in the case with the same date, hours, km and expenses."""
    query = select(ExpenseEntry).where(
        ExpenseEntry.instance_id == instance.id, ExpenseEntry.volunteer_id == volunteer.id,
        ExpenseEntry.datum == datum, ExpenseEntry.stunden == _d(stunden), ExpenseEntry.kilometer == _d(kilometer),
        ExpenseEntry.auslagen == _d(auslagen), ExpenseEntry.status != WITHDRAWN)
    if ignore_id is not None:
        query = query.where(ExpenseEntry.id != ignore_id)
    return db.session.scalars(query.order_by(ExpenseEntry.id).limit(1)).first()


def withdraw(entry: ExpenseEntry) -> None:
    """The volunteer takes back a returned entry; a conditional UPDATE (201 cannot decide it meanwhile,
    a concurrent resubmission wins)."""
    changed = db.session.execute(  # type: ignore[attr-defined]  # DML gives a CursorResult
        update(ExpenseEntry).where(ExpenseEntry.id == entry.id, ExpenseEntry.status == RETURNED)
        .values(status=WITHDRAWN, updated_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise ExpenseConflict
    db.session.refresh(entry)


def decide(entry: ExpenseEntry, user: User, *, approve: bool, comment: str = "") -> None:
    """Approve or return a submitted entry; a conditional UPDATE makes two deciders safe."""
    values = {"status": APPROVED if approve else RETURNED, "decided_by_id": user.id,
              "decided_at": utcnow(), "kommentar": "" if approve else comment.strip()}
    changed = db.session.execute(  # type: ignore[attr-defined]  # DML gives a CursorResult
        update(ExpenseEntry).where(ExpenseEntry.id == entry.id, ExpenseEntry.status == SUBMITTED)
        .values(**values).execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise ExpenseConflict
    db.session.refresh(entry)
    if not approve:
        notices.notify([entry.volunteer], notices.KIND_EXPENSE,
                       f"Aufwand zurückgegeben ({entry.instance.reference})",
                       url_for("volunteers.expenses", instance_id=entry.instance_id))


def entries_for(volunteer: User, instance: ProcessInstance) -> list[ExpenseEntry]:
    return list(db.session.scalars(
        select(ExpenseEntry).where(ExpenseEntry.volunteer_id == volunteer.id,
                                   ExpenseEntry.instance_id == instance.id)
        .order_by(ExpenseEntry.datum.desc(), ExpenseEntry.id.desc())
    ))


def pending_for(user: User) -> list[ExpenseEntry]:
    """Submitted entries of the cases 201 ``user`` may see, oldest first."""
    return list(db.session.scalars(
        select(ExpenseEntry).options(selectinload(ExpenseEntry.volunteer), selectinload(ExpenseEntry.instance))
        .where(ExpenseEntry.status == SUBMITTED, ExpenseEntry.instance_id.in_(visible_instance_ids(user)))
        .order_by(ExpenseEntry.datum, ExpenseEntry.id)
    ))


def month_bounds(month: str) -> tuple[date, date]:
    """'2026-11' → (2026-11-01, 2026-12-01); ValueError for anything else."""
    year, mon = (int(p) for p in month.split("-"))
    start = date(year, mon, 1)
    return start, date(year + (mon == 12), mon % 12 + 1, 1)


def statement(volunteer: User, start: date, end: date, *, instance_ids=None) -> dict:
    """Approved entries of ``volunteer`` with ``start <= datum < end``, totals per case and overall
    (sums in SQL). ``instance_ids`` (a subquery) limits it to cases the reader may see."""
    cond = [ExpenseEntry.volunteer_id == volunteer.id, ExpenseEntry.status == APPROVED,
            ExpenseEntry.datum >= start, ExpenseEntry.datum < end]
    if instance_ids is not None:
        cond.append(ExpenseEntry.instance_id.in_(instance_ids))
    entries = list(db.session.scalars(
        select(ExpenseEntry).options(selectinload(ExpenseEntry.instance)).where(*cond)
        .order_by(ExpenseEntry.datum, ExpenseEntry.id)
    ))
    sums = (func.coalesce(func.sum(ExpenseEntry.stunden), 0), func.coalesce(func.sum(ExpenseEntry.kilometer), 0),
            func.coalesce(func.sum(ExpenseEntry.auslagen), 0), func.coalesce(func.sum(ExpenseEntry.summe), 0),
            func.count(ExpenseEntry.id))
    per_case = [
        {"reference": ref, "stunden": _d(h), "kilometer": _d(k), "auslagen": _d(a), "summe": _d(s).quantize(CENT),
         "anzahl": n}
        for ref, h, k, a, s, n in db.session.execute(
            select(ProcessInstance.reference, *sums)
            .join(ProcessInstance, ProcessInstance.id == ExpenseEntry.instance_id)
            .where(*cond).group_by(ProcessInstance.reference).order_by(ProcessInstance.reference))
    ]
    h, k, a, s, n = db.session.execute(select(*sums).where(*cond)).one()
    total = {"stunden": _d(h), "kilometer": _d(k), "auslagen": _d(a), "summe": _d(s).quantize(CENT), "anzahl": n}
    return {"entries": entries, "per_case": per_case, "total": total}


def totals_by_case(user: User, start: date, end: date) -> list[dict]:
    """Approved totals per case and volunteer in a period, for the cases ``user`` may see."""
    rows = db.session.execute(
        select(ProcessInstance.reference, User.display_name,
               func.coalesce(func.sum(ExpenseEntry.stunden), 0), func.coalesce(func.sum(ExpenseEntry.kilometer), 0),
               func.coalesce(func.sum(ExpenseEntry.auslagen), 0), func.coalesce(func.sum(ExpenseEntry.summe), 0),
               func.count(ExpenseEntry.id))
        .join(ProcessInstance, ProcessInstance.id == ExpenseEntry.instance_id)
        .join(User, User.id == ExpenseEntry.volunteer_id)
        .where(ExpenseEntry.status == APPROVED, ExpenseEntry.datum >= start, ExpenseEntry.datum < end,
               ExpenseEntry.instance_id.in_(visible_instance_ids(user)))
        .group_by(ProcessInstance.reference, User.display_name)
        .order_by(ProcessInstance.reference, User.display_name)
    )
    return [{"reference": r, "volunteer": v, "stunden": _d(h), "kilometer": _d(k), "auslagen": _d(a),
             "summe": _d(s).quantize(CENT), "anzahl": n} for r, v, h, k, a, s, n in rows]
