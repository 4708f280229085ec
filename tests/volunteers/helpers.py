"""Shared drivers for the volunteer tests: a running assignment, reading rows back."""

from __future__ import annotations

from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.volunteers.services import profile_of
from tests.flows import complete_web, start_case_web, valid_data


def running_case(login_as, volunteer: str = "ehrenamt1", team: str = "asd", owner: str = "fb36") -> int:
    """An Alltagsbegleitung case after the Vorgespräch with ``volunteer`` assigned."""
    fb, k201 = login_as(owner), login_as("k201")
    case_id = start_case_web(fb, team)
    assert complete_web(fb, case_id, "bedarfsermittlung").status_code == 302
    assert complete_web(k201, case_id, "vermittlung",
                        valid_data("vermittlung", ehrenamtliche=volunteer)).status_code == 302
    assert complete_web(fb, case_id, "vorgespraech").status_code == 302
    return case_id


def user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def profile(app, username: str) -> dict:
    with app.app_context():
        return profile_of(db.session.scalar(select(User).where(User.username == username)))
