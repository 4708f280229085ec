"""The erasure run: a closed case is erased once its period is over (CLI and timer worker), never
before, never while on legal hold, and the statistics show the same figures afterwards."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.engine.models import ProcessInstance, ProcessModel
from app.extensions import db
from app.retention import services
from app.retention.models import RetentionRun
from app.statistics.services import compute, resolve_scope
from app.timers import services as timers
from tests.factories import user
from tests.retention.helpers import CLOSED_AT, closed_family_case, closed_mbe_case, due_at, erased, erased_event


@pytest.fixture
def closed(app, clock):
    """An Alltagsbegleitung case (36 months) and an MBE case (36 months), closed at CLOSED_AT."""
    clock.set(CLOSED_AT)
    with app.app_context():
        return closed_family_case(), closed_mbe_case()


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["retention", "run", *args])


def test_months_are_added_by_the_calendar():
    assert services.add_months(datetime(2027, 1, 31, 9, tzinfo=UTC), 1) == datetime(2027, 2, 28, 9, tzinfo=UTC)
    assert services.add_months(datetime(2027, 3, 10, 9, tzinfo=UTC), 36) == datetime(2030, 3, 10, 9, tzinfo=UTC)
    assert services.add_months(datetime(2028, 2, 29, tzinfo=UTC), -12) == datetime(2027, 2, 28, tzinfo=UTC)


def test_the_periods_come_from_the_privacy_files(app):
    with app.app_context():
        periods = {m.key: services.period_of(m).months for m in db.session.scalars(select(ProcessModel))}
    assert periods == {"alltagsbegleitung": 36, "beratungskontakt": 24, "mbe_beratung": 36, "junge_erwachsene": 36}


def test_cli_erases_a_closed_case_once_its_period_is_over_and_not_before(app, closed, clock):
    family, mbe = closed
    before = (due_at("alltagsbegleitung") - timedelta(minutes=1)).isoformat()
    result = _cli(app, "--now", before)
    assert result.exit_code == 0, result.output
    assert "cases erased: 0" in result.output
    with app.app_context():
        assert not erased(family) and not erased(mbe)
        assert db.session.get(ProcessInstance, family).title  # the family name is still there

    result = _cli(app, "--now", due_at("alltagsbegleitung").isoformat())
    assert result.exit_code == 0, result.output
    assert "cases erased: 2" in result.output
    with app.app_context():
        instance = db.session.get(ProcessInstance, family)
        assert instance.title == "" and "familienname" not in (instance.data or {})
        assert instance.reference and instance.status == "terminated"  # the anonymous record stays
        event = erased_event(family)
        assert event is not None and event.data["grund"] == "retention"
        assert "Ahorn" not in str(event.data) and "Ahorn" not in event.title
        assert erased(mbe)
    result = _cli(app, "--now", (due_at("alltagsbegleitung") + timedelta(days=1)).isoformat())
    assert "cases erased: 0" in result.output  # erased once


def test_cli_refuses_a_bad_moment_with_a_clear_message(app):
    result = _cli(app, "--now", "gestern")
    assert result.exit_code == 2
    assert "ISO-8601" in result.output and "gestern" in result.output


def test_a_running_case_is_never_erased(app, clock):
    clock.set(CLOSED_AT)
    with app.app_context():
        from tests.factories import start_case

        running = start_case("fb36", "alltagsbegleitung", "asd")
    result = _cli(app, "--now", "2040-01-01T00:00:00+00:00")
    assert "cases erased: 0" in result.output
    with app.app_context():
        assert not erased(running)


def test_a_held_case_stays_and_is_erased_on_the_next_run_after_release(app, closed):
    family, mbe = closed
    with app.app_context():
        instance = db.session.get(ProcessInstance, family)
        services.set_hold(instance, user("dsb"), "Anfrage des Verwaltungsgerichts")
        db.session.commit()
        data_before = dict(instance.data)
    moment = due_at("alltagsbegleitung") + timedelta(days=2)
    assert "cases erased: 1" in _cli(app, "--now", moment.isoformat()).output  # only the MBE case
    with app.app_context():
        instance = db.session.get(ProcessInstance, family)
        assert not erased(family) and instance.data == data_before and instance.title
        services.release_hold(instance, user("leitung"))
        db.session.commit()
    assert "cases erased: 1" in _cli(app, "--now", moment.isoformat()).output
    with app.app_context():
        assert erased(family) and erased(mbe)


def test_the_statistics_show_the_same_figures_after_the_erasure(app, closed):
    def figures():
        with app.test_request_context():
            return compute(resolve_scope(user("leitung"), "2026-01-01", "2027-12-31", None))

    before = figures()
    assert any(row for row in before["cases_closed"])
    assert "cases erased: 2" in _cli(app, "--now", "2031-01-01T00:00:00+00:00").output
    assert figures() == before


def test_the_timer_worker_runs_the_erasure_once_per_day(app, closed, clock, monkeypatch):
    family, _mbe = closed
    daily = services.DailyRun()
    with app.app_context():
        clock.set(due_at("alltagsbegleitung") - timedelta(hours=1))
        assert daily() is not None and not erased(family)  # today's run: nothing due yet
        clock.set(due_at("alltagsbegleitung") + timedelta(minutes=1))
        assert daily() is None and not erased(family)  # the same office day: no second run
        assert services.DailyRun()() is None  # another worker process: the day is taken
        clock.advance(days=1)
        result = daily()
        assert result is not None and result.erased == 2 and erased(family)
        runs = list(db.session.scalars(select(RetentionRun).order_by(RetentionRun.id)))
        assert [(r.via, r.erased) for r in runs] == [("worker", 0), ("worker", 2)]


def test_the_worker_loop_calls_the_daily_run(app, closed, clock, monkeypatch):
    """One round of the real worker loop (timers, retention, mails) erases the due cases."""
    family, mbe = closed
    monkeypatch.setattr(timers, "daily_retention_run", services.DailyRun())
    clock.set(due_at("mbe_beratung") + timedelta(hours=1))

    class OneRound(threading.Event):
        rounds = 0

        def is_set(self) -> bool:
            self.rounds += 1
            return self.rounds > 1

    with app.app_context():
        timers.run_worker(OneRound(), interval=0)
        assert erased(family) and erased(mbe)


def test_one_failing_case_does_not_stop_the_others(app, closed, monkeypatch, caplog):
    family, mbe = closed
    real = services.erase_case

    def failing(instance, **kwargs):
        if instance.id == family:
            raise RuntimeError("disk full")
        real(instance, **kwargs)

    monkeypatch.setattr(services, "erase_case", failing)
    caplog.set_level(logging.INFO, logger="app.retention.services")
    with app.app_context():
        result = services.run(due_at("alltagsbegleitung") + timedelta(days=1))
        assert (result.erased, result.failed) == (1, 1)
        assert erased(mbe) and not erased(family)
        assert db.session.get(ProcessInstance, family).title  # rolled back, untouched
    assert "retention run: 1 case(s) erased, 1 failed" in caplog.text


def test_a_process_without_a_period_erases_nothing_and_the_record_flags_it(app, closed, login_as, tmp_path):
    family, mbe = closed
    (tmp_path / "alltagsbegleitung.privacy.toml").write_text('loeschfrist = "nach Ermessen"\n', encoding="utf-8")
    app.config["PRIVACY_DIR"] = str(tmp_path)
    try:
        assert "cases erased: 0" in _cli(app, "--now", "2040-01-01T00:00:00+00:00").output
        with app.app_context():
            assert not erased(family) and not erased(mbe)
        html = login_as("dsb").get("/datenschutz/verarbeitungsverzeichnis").get_data(as_text=True)
    finally:
        app.config.pop("PRIVACY_DIR")
    section = html.split('id="prozess-alltagsbegleitung"')[1].split("</section>")[0]
    assert "loeschfrist" in section.split('data-missing="')[1].split('"')[0]
    assert "es wird nichts automatisch gelöscht" in section


def test_the_record_of_processing_shows_the_running_period(app, login_as):
    client = login_as("dsb")
    html = client.get("/datenschutz/verarbeitungsverzeichnis").get_data(as_text=True)
    section = html.split('id="prozess-beratungskontakt"')[1].split("</section>")[0]
    assert "24 Monate nach Abschluss des Falls" in section and "2 Jahre nach dem Kontakt" in section
    with app.app_context():
        model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == "beratungskontakt"))
        model.retention_months = 6
        db.session.commit()
    html = client.get("/datenschutz/verarbeitungsverzeichnis").get_data(as_text=True)
    section = html.split('id="prozess-beratungskontakt"')[1].split("</section>")[0]
    assert "6 Monate nach Abschluss des Falls" in section and "Vorgabe: 24 Monate" in section


def test_a_case_erased_at_consent_withdrawal_is_not_erased_again(app, closed):
    from app.erasure.services import CONSENT_WITHDRAWN, erase_case

    family, mbe = closed
    with app.app_context():
        erase_case(db.session.get(ProcessInstance, mbe), reason=CONSENT_WITHDRAWN)
        db.session.commit()
    assert "cases erased: 1" in _cli(app, "--now", "2031-01-01T00:00:00+00:00").output
    with app.app_context():
        assert erased(family)
        assert erased_event(mbe).data["grund"] == "consent_withdrawn"
