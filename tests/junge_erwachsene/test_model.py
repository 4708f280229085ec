"""The shipped model passes the modeler's validation (a process owner can edit and publish it) and
the monitor shows its cases."""

from __future__ import annotations

from pathlib import Path

from app.modeler.validation import validate_bpmn
from tests.junge_erwachsene.je_steps import start

BPMN = Path(__file__).parents[2] / "processes" / "junge_erwachsene.bpmn"


def test_the_shipped_model_passes_the_modelers_validation(app):
    with app.test_request_context():
        problems = validate_bpmn(BPMN.read_bytes(), "junge_erwachsene")
    assert problems == [], [p.message for p in problems]


def test_the_lead_opens_a_case_in_the_monitor(app, login_as):
    case_id = start(app)
    assert login_as("kimleitung").get(f"/monitor/faelle/{case_id}").status_code == 200
    assert login_as("leitung").get(f"/monitor/faelle/{case_id}").status_code == 404
