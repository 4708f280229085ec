"""The volunteer's Rückmeldung is a loop (a subprocess with standardLoopCharacteristics). Its next
iteration must come also when the process spec was parsed anew since the current iteration was
created — a fresh worker process after a restart (app/engine/runtime.py ``connect_loops``)."""

from __future__ import annotations

from app.engine.specs import spec_cache
from tests.flows import complete_web, open_task, start_case_web


def test_the_feedback_loop_goes_on_after_the_spec_is_parsed_anew(app, login_as):
    fb36 = login_as("fb36")
    case_id = start_case_web(fb36)
    assert complete_web(fb36, case_id, "bedarfsermittlung").status_code == 302
    assert complete_web(login_as("k201"), case_id, "vermittlung").status_code == 302
    assert complete_web(fb36, case_id, "vorgespraech").status_code == 302
    volunteer = login_as("ehrenamt1")
    for _report in range(2):
        spec_cache.clear()  # as in a worker process that never created this loop's iteration
        assert complete_web(volunteer, case_id, "rueckmeldung").status_code == 302
        assert open_task(app, case_id, "rueckmeldung") is not None  # the next report is due again
