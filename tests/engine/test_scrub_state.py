"""``service.scrub_state`` (the engine door's part of an erasure, app/erasure): the stored workflow
state keeps only what the filter keeps — in the workflow data and in every task's data — and the
case runs on with it."""

from __future__ import annotations

import pytest

from app.engine import service
from app.engine.models import ProcessInstance
from app.extensions import db
from tests.engine.test_engine_service import complete, open_row, start, step_data

pytestmark = pytest.mark.usefixtures("engine_case")


def test_scrubbed_state_holds_no_removed_value_and_the_case_runs_on(ctx):
    case_id = start()
    complete(case_id, "erfassung", "fb36", step_data("erfassung", familienname="Zwirnbeutel",
                                                    bedarf="Scrubgeheimnis"))
    instance = db.session.get(ProcessInstance, case_id)
    assert "Zwirnbeutel" in instance.state and "Scrubgeheimnis" in instance.state

    def keep(data: dict) -> dict:
        return {k: v for k, v in data.items() if k not in ("familienname", "bedarf")}

    filtered = service.scrub_state(instance, keep)
    db.session.commit()
    assert filtered > 1  # the workflow data and the data of its tasks
    db.session.expire_all()
    instance = db.session.get(ProcessInstance, case_id)
    assert "Zwirnbeutel" not in instance.state and "Scrubgeheimnis" not in instance.state
    assert '"zielgruppe"' in instance.state  # what the filter keeps stays
    assert service.scrub_state(instance, keep) == filtered  # again: same result, no harm
    complete(case_id, "vermittlung", "k201")
    assert open_row(case_id, "vorbereitung") is not None


def test_a_case_without_state_is_left_alone(ctx):
    instance = ProcessInstance(state="")
    assert service.scrub_state(instance, lambda data: {}) == 0
