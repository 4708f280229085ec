"""Trainings (a–d) and "Stammtisch" meetings: scheduling, invitations, attendance.

Recorded attendance updates the volunteer's profile: ``schulungen[kind]`` becomes the date of the
latest attended training of that kind (a "Stammtisch" counts as training c, reflection / exchange,
as in the concept). Taking attendance back restores the date from the remaining attended
trainings or the date that the attendance replaced (kept on the invitation), when the profile
still shows this training's date; a date entered by hand that is newer is never overwritten.
A training that lies in the future takes no attendance.
"""

from __future__ import annotations

from datetime import date

from flask import url_for
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.auth.models import User
from app.extensions import db
from app.timeutil import utcnow
from app.volunteers import notices
from app.volunteers.models import Training, TrainingInvitation, VolunteerProfile

KIND_LABELS_DE = {"a": "Schulung a – Fachliches (FB 36/31)", "b": "Schulung b – Rolle im Einsatz (201)",
                  "c": "Schulung c – Reflexionstreffen", "d": "Schulung d – Hilfsangebote im Kreis",
                  "stammtisch": "Stammtisch"}


def profile_key(kind: str) -> str:
    return "c" if kind == "stammtisch" else kind


def invite(training: Training, users: list[User]) -> int:
    """Invite ``users`` (in the app and by e-mail); already invited ones are skipped."""
    if training.cancelled:
        raise TrainingConflict(_("Dieser Termin ist abgesagt; es kann niemand mehr eingeladen werden."))
    done = {inv.user_id for inv in training.invitations}
    new = [u for u in users if u.id not in done]
    for user in new:
        training.invitations.append(TrainingInvitation(user_id=user.id))
    db.session.flush()
    when = _when(training)
    title = f"Einladung: {KIND_LABELS_DE[training.kind]} am {when}"
    notices.notify(new, notices.KIND_INVITE, title, url_for("volunteers.my_trainings"))
    notices.mail(new, title, f"Guten Tag,\n\nSie sind eingeladen: {KIND_LABELS_DE[training.kind]}\n"
                             f"Thema: {training.thema}\nWann: {when}\nWo: {training.ort}\n\n"
                             "Ihre Koordinierungsstelle 201\n")
    return len(new)


class TrainingConflict(Exception):
    """The training was cancelled (or its attendance recorded) and cannot take this change."""


def _when(training: Training) -> str:
    with force_locale("de"):
        return format_date(training.datum, "medium") + (f", {training.uhrzeit} Uhr" if training.uhrzeit else "")


def _invited_users(training: Training) -> list[User]:
    return [inv.user for inv in training.invitations]


def update(training: Training, *, kind: str, datum, uhrzeit: str | None, ort: str, thema: str) -> bool:
    """Change a scheduled training. Once attendance is recorded, kind and date stay (the profiles
    carry that date). When date, time or place change, the invited volunteers are told (in the app
    and by e-mail). Returns whether they were told."""
    if training.cancelled:
        raise TrainingConflict(_("Dieser Termin ist abgesagt und kann nicht mehr geändert werden."))
    if training.attendance_recorded and (kind != training.kind or datum != training.datum):
        raise TrainingConflict(_("Nach erfasster Teilnahme können Art und Datum nicht mehr geändert werden."))
    moved = (datum, uhrzeit or "", ort.strip()) != (training.datum, training.uhrzeit, training.ort)
    training.kind, training.datum, training.uhrzeit = kind, datum, uhrzeit or ""
    training.ort, training.thema = ort.strip(), thema.strip()
    db.session.flush()
    users = _invited_users(training)
    if not moved or not users:
        return False
    when = _when(training)
    title = f"Geändert: {KIND_LABELS_DE[training.kind]} – jetzt am {when}, {training.ort}"
    notices.notify(users, notices.KIND_INVITE, title, url_for("volunteers.my_trainings"))
    notices.mail(users, title, f"Guten Tag,\n\nder Termin wurde geändert: {KIND_LABELS_DE[training.kind]}\n"
                               f"Thema: {training.thema}\nNeu – Wann: {when}\nWo: {training.ort}\n\n"
                               "Ihre Koordinierungsstelle 201\n")
    return True


def cancel(training: Training, grund: str | None) -> int:
    """Cancel the training and tell every invited volunteer (in the app and by e-mail).
    Returns how many were told."""
    if training.cancelled:
        raise TrainingConflict(_("Dieser Termin ist bereits abgesagt."))
    if training.attendance_recorded:
        raise TrainingConflict(_("Für diesen Termin ist die Teilnahme schon erfasst; er kann nicht mehr "
                                 "abgesagt werden."))
    training.abgesagt_am = utcnow()
    training.absage_grund = (grund or "").strip()
    db.session.flush()
    users = _invited_users(training)
    when = _when(training)
    title = f"Abgesagt: {KIND_LABELS_DE[training.kind]} am {when}"
    reason = f"Grund: {training.absage_grund}\n" if training.absage_grund else ""
    notices.notify(users, notices.KIND_INVITE, title, url_for("volunteers.my_trainings"))
    notices.mail(users, title, f"Guten Tag,\n\nder folgende Termin fällt aus: {KIND_LABELS_DE[training.kind]}\n"
                               f"Thema: {training.thema}\nWann: {when}\nWo: {training.ort}\n{reason}\n"
                               "Ihre Koordinierungsstelle 201\n")
    return len([u for u in users if u.active])


def record_attendance(training: Training, attended_ids: set[int], today: date | None = None) -> None:
    """Set attendance of every invitation (present: in ``attended_ids``) and update profiles.

    A training that lies ahead (after ``today``, the office's day) takes no attendance yet:
    otherwise the profiles would show it as done on a day that has not come.
    """
    if training.cancelled:
        raise TrainingConflict(_("Dieser Termin ist abgesagt; eine Teilnahme kann nicht erfasst werden."))
    if training.datum > (today or date.today()):
        raise TrainingConflict(_("Dieser Termin liegt in der Zukunft; die Teilnahme kann erst ab dem Tag des "
                                 "Termins erfasst werden."))
    for inv in training.invitations:
        value = inv.user_id in attended_ids
        if inv.attended is value:
            continue
        inv.attended = value
        db.session.flush()
        _sync_profile(inv, training, value)
    db.session.flush()


def _sync_profile(inv: TrainingInvitation, training: Training, attended: bool) -> None:
    """Attendance recorded: the profile's date of the kind becomes this training's date when it is
    newer, and the date it replaces is kept on the invitation. Taken back: the profile gets the
    latest remaining date (other attended trainings of the kind, or the replaced date)."""
    key = profile_key(training.kind)
    profile = db.session.get(VolunteerProfile, inv.user_id)
    if profile is None:
        profile = VolunteerProfile(user_id=inv.user_id)
        db.session.add(profile)
    trainings = {t.kind: t.completed_on for t in profile.trainings}
    current = trainings.get(key)
    mine = training.datum
    if attended:
        if not current or current < mine:
            inv.replaced_on = current
            trainings[key] = mine
    elif current == mine:
        kinds = ["c", "stammtisch"] if key == "c" else [key]
        latest = db.session.scalar(
            select(func.max(Training.datum)).join(TrainingInvitation)
            .where(TrainingInvitation.user_id == inv.user_id, TrainingInvitation.attended.is_(True),
                   Training.kind.in_(kinds))
        )
        earlier = [day for day in (latest, inv.replaced_on) if day]
        if earlier:
            trainings[key] = max(earlier)
        else:
            trainings.pop(key, None)
    if not attended:
        inv.replaced_on = None
    profile.set_trainings(trainings)


def invitations_of(user: User) -> list[TrainingInvitation]:
    return list(db.session.scalars(
        select(TrainingInvitation).join(Training).where(TrainingInvitation.user_id == user.id)
        .order_by(Training.datum.desc(), Training.id.desc())
    ))
