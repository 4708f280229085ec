"""Closed cases at a known moment for the retention tests (the clock fixture sets the moment)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from app.engine.interventions import terminate
from app.engine.models import CaseEvent, ProcessInstance
from app.extensions import db
from app.retention.services import add_months
from tests.factories import complete, start_case, user
from tests.flows import valid_data

#: Every case of these tests closes at this moment (the clock is set to it first).
CLOSED_AT = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
MONTHS = {"alltagsbegleitung": 36, "beratungskontakt": 24, "mbe_beratung": 36}


def due_at(key: str) -> datetime:
    return add_months(CLOSED_AT, MONTHS[key])


def closed_family_case(lead: str = "leitung") -> int:
    """An Alltagsbegleitung case of team asd with a family name, ended by its supervisor
    (inside an app context; the clock says CLOSED_AT)."""
    case_id = start_case("fb36", "alltagsbegleitung", "asd")
    complete(case_id, "bedarfsermittlung", "fb36", valid_data("bedarfsermittlung"))
    instance = db.session.get(ProcessInstance, case_id)
    terminate(instance, user(lead), "Familie ist weggezogen")
    db.session.commit()
    return case_id


def closed_mbe_case() -> int:
    """An MBE case of mbe1 (team mbe), ended by the MBE lead."""
    case_id = start_case("mbe1", "mbe_beratung", "mbe")
    terminate(db.session.get(ProcessInstance, case_id), user("mbeleitung"), "Kontakt abgebrochen")
    db.session.commit()
    return case_id


def erased(case_id: int) -> bool:
    db.session.expire_all()
    return db.session.scalar(select(CaseEvent.id).where(CaseEvent.instance_id == case_id,
                                                        CaseEvent.kind == "erased")) is not None


def erased_event(case_id: int) -> CaseEvent | None:
    db.session.expire_all()
    return db.session.scalar(select(CaseEvent).where(CaseEvent.instance_id == case_id, CaseEvent.kind == "erased"))
