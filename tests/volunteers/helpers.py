"""Shared drivers for the volunteer tests: a running assignment, reading rows back."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.volunteers.services import profile_of
from tests.flows import complete_web, start_case_web, valid_data


def running_case(login_as, volunteer: str = "ehrenamt1", team: str = "asd", owner: str = "fb36",
                 beginn: date | None = None) -> int:
    """An Alltagsbegleitung case after the Vorgespräch with ``volunteer`` assigned; the assignment
    began ``beginn`` (default: 90 days ago, so that expenses of the last months may be recorded)."""
    fb, k201 = login_as(owner), login_as("k201")
    case_id = start_case_web(fb, team)
    assert complete_web(fb, case_id, "bedarfsermittlung").status_code == 302
    assert complete_web(k201, case_id, "vermittlung",
                        valid_data("vermittlung", ehrenamtliche=volunteer)).status_code == 302
    start = beginn or date.today() - timedelta(days=90)
    assert complete_web(fb, case_id, "vorgespraech",
                        valid_data("vorgespraech", beginn=start.isoformat())).status_code == 302
    return case_id


def user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def profile(app, username: str) -> dict:
    with app.app_context():
        return profile_of(db.session.scalar(select(User).where(User.username == username)))
