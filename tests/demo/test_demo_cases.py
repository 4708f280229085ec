"""The demo cases of ``flask demo load``: every step of both main processes, a crisis, closed cases
per outcome, realistic past dates; idempotent; never in the test template database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.demo import demo_cases_loaded
from app.engine.models import (
    ACTIVE_TASK_STATES,
    BPMN_TASK,
    COMPLETED,
    DONE,
    RUNNING,
    TODO_TASK,
    ProcessInstance,
    ProcessModel,
    Task,
)
from app.extensions import db
from app.timeutil import aware, utcnow

AB_OPEN = {"bedarfsermittlung", "vermittlung", "vorgespraech", "zwischengespraech", "rueckmeldung", "abschluss",
           "krise_quittieren", "krise_bearbeiten"}
MBE_OPEN = {"erstkontakt", "beratung", "assessment", "foerderplan", "vereinbarung", "ueberpruefung", "abschluss"}
JE_OPEN = {"aufnahme", "situation", "faehigkeiten", "fallkonferenz", "integrationsplan", "angebote", "ueberpruefung",
           "abschluss"}


def _cases(key: str) -> list[ProcessInstance]:
    return list(db.session.scalars(select(ProcessInstance).join(ProcessInstance.version)
                                   .where(ProcessInstance.version.has(model=_model(key)))))


def _model(key: str) -> ProcessModel:
    return db.session.scalar(select(ProcessModel).where(ProcessModel.key == key))


def _open_steps(cases: list[ProcessInstance]) -> set[str]:
    return set(db.session.scalars(select(Task.bpmn_id).where(
        Task.instance_id.in_([c.id for c in cases]), Task.status.in_(ACTIVE_TASK_STATES),
        Task.kind == BPMN_TASK)))  # steps of the process, not the journal's follow-ups


def test_the_test_database_holds_no_demo_cases(ctx):
    assert db.session.scalar(select(func.count(ProcessInstance.id))) == 0


def test_flask_demo_load_fills_every_step_once(app):
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    demo_cases_loaded.connect(receiver)
    try:
        result = app.test_cli_runner().invoke(args=["demo", "load"])
        assert result.exit_code == 0, result.output
        assert "demo cases created: 5" in result.output  # about fifty
        again = app.test_cli_runner().invoke(args=["demo", "load"])
        assert again.exit_code == 0, again.output
        assert "demo cases created: 0" in again.output  # idempotent
    finally:
        demo_cases_loaded.disconnect(receiver)

    with app.test_request_context():
        total = db.session.scalar(select(func.count(ProcessInstance.id)))
        assert 46 <= total <= 55
        [hook] = received  # the hook for journal entries and appointments, once, with the cases
        assert len(hook["instances"]) == total and {"fb36", "mbe1", "k201"} <= set(hook["users"])
        now = aware(hook["now"])

        ab, mbe = _cases("alltagsbegleitung"), _cases("mbe_beratung")
        assert AB_OPEN <= _open_steps(ab)
        assert MBE_OPEN <= _open_steps(mbe)
        # closed per outcome; a continued assignment (fortführen) runs on with a new end date
        assert {"beenden", "ueberleiten"} <= {c.outcome for c in ab if c.status == COMPLETED}
        assert any(c.status == RUNNING and (c.data or {}).get("ergebnis") == "fortfuehren" for c in ab)
        assert {"abgeschlossen", "verwiesen"} <= {c.outcome for c in mbe if c.status == COMPLETED}
        # young adults (kim1's team): every step open somewhere, a transition, a closed case
        je = _cases("junge_erwachsene")
        assert JE_OPEN <= _open_steps(je)
        assert {"ausbildung"} <= {c.outcome for c in je if c.status == COMPLETED}
        assert any((c.data or {}).get("uebergaenge_verlauf") for c in je)
        assert "Nour Haidari" in {c.title for c in je}
        # partners invited to two of them, each with a goal in their inbox (app/partners/demo.py)
        from app.partners.models import PartnerInvitation

        invited = {i.user.username for i in db.session.scalars(select(PartnerInvitation))}
        assert invited == {"jobcenter1", "abh1"}
        assert {t.assignee.username for t in db.session.scalars(select(Task).where(
            Task.kind == TODO_TASK, Task.status.in_(ACTIVE_TASK_STATES), Task.assignee_id.is_not(None)))
            } >= {"jobcenter1", "abh1"}
        # a reported crisis on top of the team's inbox; an MBE case waiting for its review timer
        assert db.session.scalar(select(func.count(Task.id)).where(
            Task.crisis.is_(True), Task.status.in_(ACTIVE_TASK_STATES))) >= 1
        assert any(c.status == RUNNING and c.next_timer_due is not None and not _open_steps([c]) for c in mbe)
        # names: families and MBE clients with consent; anonymous MBE cases without
        # the other features' demo rows on the same cases: journal with follow-ups, appointments,
        # working time outside cases (app/demo/extras.py)
        from app.appointments.models import Appointment
        from app.journal.models import JournalEntry
        from app.worktime.models import TimeRecord

        assert db.session.scalar(select(func.count(JournalEntry.id))) >= len(ab + mbe)
        assert db.session.scalar(select(func.count(Task.id)).where(Task.kind == TODO_TASK)) >= 1
        assert db.session.scalar(select(func.count(Appointment.id))) >= 5
        assert db.session.scalar(select(func.count(TimeRecord.id))) >= 5
        titles = {c.title for c in ab + mbe}
        assert "Familie Okafor" in titles and "Fatma Aydin" in titles
        assert any(c.title == "" and c.status == COMPLETED for c in mbe)
        # started at different past dates, steps done in the past with realistic durations
        started = sorted(aware(c.started_at) for c in ab + mbe)
        assert started[0] < now - timedelta(days=300) and started[-1] > now - timedelta(days=10)
        durations = [aware(t.completed_at) - aware(t.created_at) for t in db.session.scalars(
            select(Task).where(Task.status == DONE))]
        assert max(durations) > timedelta(days=7)
        assert all(aware(c.started_at) <= utcnow() for c in ab + mbe)


def test_flask_demo_load_without_cases(app):
    result = app.test_cli_runner().invoke(args=["demo", "load", "--without-cases"])
    assert result.exit_code == 0, result.output
    assert "demo cases" not in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(ProcessInstance.id))) == 0
