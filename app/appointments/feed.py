"""Each user's private calendar feed (RFC 5545, through the ``icalendar`` package).

The secret in the feed's URL is the only authentication (calendar programs send no login), so it
is long and random, and only its SHA-256 is stored: a copy of the database does not give away
anyone's feed. Renewing revokes the old URL; a revoked or unknown URL is a 404.

What leaves the application: kind of appointment, case reference, time, place, status. Case
titles (client names) and the appointment's own title only when the user opted in; never a
description with social data.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event
from sqlalchemy import select

from app import timeutil
from app.appointments.models import CANCELLED, Appointment, CalendarFeed
from app.appointments.services import appointments_of, kind_label
from app.auth.models import User
from app.extensions import db
from app.timeutil import aware

SECRET_BYTES = 32  # 256 bits, URL-safe base64: 43 characters
MAX_SECRET_LENGTH = 100
PAST_DAYS, FUTURE_DAYS = 90, 400  # the window a calendar program receives


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def feed_of(user: User) -> CalendarFeed | None:
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def _settings(user: User) -> CalendarFeed:
    feed = feed_of(user)
    if feed is None:
        feed = CalendarFeed(user_id=user.id, show_names=False)
        db.session.add(feed)
    return feed


def renew(user: User) -> str:
    """A new secret for ``user``'s feed (the old URL stops working); returns the secret, which
    is not stored and can be shown only now."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    feed = _settings(user)
    feed.token_hash = _hash(secret)
    feed.created_at = timeutil.utcnow()
    db.session.flush()
    return secret


def revoke(user: User) -> None:
    feed = feed_of(user)
    if feed is not None:
        feed.token_hash = None
        feed.created_at = None
        db.session.flush()


def set_show_names(user: User, show: bool) -> None:
    _settings(user).show_names = bool(show)
    db.session.flush()


def owner_of(secret: str) -> tuple[User, CalendarFeed] | None:
    """The active user whose feed ``secret`` opens, or None (unknown, revoked, inactive)."""
    if not secret or len(secret) > MAX_SECRET_LENGTH:
        return None
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == _hash(secret)))
    if feed is None or feed.user is None or not feed.user.active:
        return None
    return feed.user, feed


def _uid_domain() -> str:
    return urlsplit(current_app.config.get("APP_BASE_URL") or "").hostname or "fallwerk.invalid"


def summary(appointment: Appointment, show_names: bool) -> str:
    text = f"{kind_label(appointment.kind)} Fall {appointment.instance.reference}"
    if show_names:
        extra = [x for x in (appointment.title, appointment.instance.title) if x]
        if extra:
            text += " – " + " – ".join(extra)
    return text


def calendar(user: User, feed: CalendarFeed) -> bytes:
    """The feed: the user's appointments (taking part or booked, of cases they still may see)
    from PAST_DAYS ago to FUTURE_DAYS ahead, cancelled ones with STATUS:CANCELLED."""
    now = timeutil.utcnow()
    cal = Calendar()
    cal.add("prodid", "-//Fallwerk//Termine//DE")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "Fallwerk – Termine")
    domain = _uid_domain()
    for appointment in appointments_of(user, now - timedelta(days=PAST_DAYS), now + timedelta(days=FUTURE_DAYS)):
        event = Event()
        event.add("uid", f"fallwerk-termin-{appointment.id}@{domain}")
        event.add("dtstamp", now)
        event.add("dtstart", aware(appointment.starts_at))
        event.add("dtend", aware(appointment.ends_at))
        event.add("last-modified", aware(appointment.updated_at or appointment.created_at))
        event.add("sequence", appointment.sequence or 0)
        event.add("summary", summary(appointment, feed.show_names))
        if appointment.place:
            event.add("location", appointment.place)
        event.add("status", "CANCELLED" if appointment.status == CANCELLED else "CONFIRMED")
        event.add("transp", "TRANSPARENT" if appointment.status == CANCELLED else "OPAQUE")
        cal.add_component(event)
    return cal.to_ical()
