"""Erasure of a young adult's case (issue 14 items 3 and 4 for the process of issue 15): the
personal data go, the process keeps running on the declared anonymous facts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.engine.models import COMPLETED, ProcessInstance
from app.erasure.services import RETENTION, erase_case
from app.extensions import db
from tests.junge_erwachsene.je_steps import abschluss, case, complete, fire, must, ueberpruefung, walk_to_review

PERSONAL = ("Tarek", "Beispielmann", "0151 000000", "Frau Probe", "Ausbildungsplatz finden")


def test_an_erased_running_case_keeps_its_review_loop_and_closes(app, clock):
    case_id = walk_to_review(app)
    with app.test_request_context():
        instance = db.session.get(ProcessInstance, case_id)
        erase_case(instance, reason=RETENTION)
        db.session.commit()
        state = db.session.scalar(select(ProcessInstance.state).where(ProcessInstance.id == case_id))
    erased = case(app, case_id)
    text = f"{erased.title} {erased.data} {state}"
    assert not [value for value in PERSONAL if value in text]
    assert erased.data["aufenthaltsstatus"] == "gestattung" and erased.data["ueberpruefung_intervall"] == "P8W"
    assert fire(app, clock.now + timedelta(weeks=8, hours=1)) == 1  # the review timer still fires
    must(complete(app, case_id, "ueberpruefung", ueberpruefung("abschliessen")))
    must(complete(app, case_id, "abschluss", abschluss("beschaeftigung")))
    closed = case(app, case_id)
    assert (closed.status, closed.outcome) == (COMPLETED, "beschaeftigung")
