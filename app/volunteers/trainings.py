"""Trainings (a–d) and "Stammtisch" meetings: scheduling, invitations, attendance.

Recorded attendance updates the volunteer's profile: ``schulungen[kind]`` becomes the date of the
latest attended training of that kind (a "Stammtisch" counts as training c, reflection / exchange,
as in the concept). Taking attendance back recomputes the date from the remaining attended
trainings when the profile still shows this training's date; a date entered by hand that is
newer is never overwritten.
"""

from __future__ import annotations

from flask import url_for
from flask_babel import force_locale, format_date
from sqlalchemy import func, select

from app.auth.models import User
from app.extensions import db
from app.volunteers import notices
from app.volunteers.models import Training, TrainingInvitation

KIND_LABELS_DE = {"a": "Schulung a – Fachliches (FB 36/31)", "b": "Schulung b – Rolle im Einsatz (201)",
                  "c": "Schulung c – Reflexionstreffen", "d": "Schulung d – Hilfsangebote im Kreis",
                  "stammtisch": "Stammtisch"}


def profile_key(kind: str) -> str:
    return "c" if kind == "stammtisch" else kind


def invite(training: Training, users: list[User]) -> int:
    """Invite ``users`` (in the app and by e-mail); already invited ones are skipped."""
    done = {inv.user_id for inv in training.invitations}
    new = [u for u in users if u.id not in done]
    for user in new:
        training.invitations.append(TrainingInvitation(user_id=user.id))
    db.session.flush()
    with force_locale("de"):
        when = format_date(training.datum, "medium") + (f", {training.uhrzeit} Uhr" if training.uhrzeit else "")
    title = f"Einladung: {KIND_LABELS_DE[training.kind]} am {when}"
    notices.notify(new, notices.KIND_INVITE, title, url_for("volunteers.my_trainings"))
    notices.mail(new, title, f"Guten Tag,\n\nSie sind eingeladen: {KIND_LABELS_DE[training.kind]}\n"
                             f"Thema: {training.thema}\nWann: {when}\nWo: {training.ort}\n\n"
                             "Ihre Koordinierungsstelle 201\n")
    return len(new)


def record_attendance(training: Training, attended_ids: set[int]) -> None:
    """Set attendance of every invitation (present: in ``attended_ids``) and update profiles."""
    for inv in training.invitations:
        value = inv.user_id in attended_ids
        if inv.attended is value:
            continue
        inv.attended = value
        db.session.flush()
        _sync_profile(inv.user, training, value)
    db.session.flush()


def _sync_profile(user: User, training: Training, attended: bool) -> None:
    key = profile_key(training.kind)
    profile = dict(user.profile or {})
    trainings = dict(profile.get("schulungen") or {})
    current = trainings.get(key)
    mine = training.datum.isoformat()
    if attended:
        if not current or current < mine:
            trainings[key] = mine
    elif current == mine:
        kinds = ["c", "stammtisch"] if key == "c" else [key]
        latest = db.session.scalar(
            select(func.max(Training.datum)).join(TrainingInvitation)
            .where(TrainingInvitation.user_id == user.id, TrainingInvitation.attended.is_(True),
                   Training.kind.in_(kinds))
        )
        if latest:
            trainings[key] = latest.isoformat()
        else:
            trainings.pop(key, None)
    profile["schulungen"] = trainings
    user.profile = profile


def invitations_of(user: User) -> list[TrainingInvitation]:
    return list(db.session.scalars(
        select(TrainingInvitation).join(Training).where(TrainingInvitation.user_id == user.id)
        .order_by(Training.datum.desc(), Training.id.desc())
    ))
