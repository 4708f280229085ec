"""CLI commands: ``flask processes sync`` and ``flask demo load``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.auth import models as am
from app.engine import service
from app.engine.models import ProcessModel
from app.engine.specs import SpecError
from app.extensions import db
from app.transaction import unit_of_work
from app.volunteers.models import VolunteerProfile

# Process models shipped in processes/: key -> (name, start departments, start role, prefix)
SHIPPED_MODELS = {
    "alltagsbegleitung": ("Alltagsbegleitung", "FB36,FB31", am.ROLE_FACHKRAFT, "AB"),
    "beratungskontakt": ("Beratungskontakt", "201", am.ROLE_KOORDINATION, "BK"),
    "mbe_beratung": ("Migrationsberatung (MBE)", "MBE", am.ROLE_MBE, "MBE"),
    # Municipal integration case management for young refugees 18-27 (seed 003): only the KIM team
    "junge_erwachsene": ("Junge Erwachsene (Integrationsmanagement)", "KIM", am.ROLE_FACHKRAFT, "JE"),
}

# Confidential procedures: only the responsible person and the owner team's leads see a case.
CONFIDENTIAL_MODELS = {"mbe_beratung"}


def sync_processes(directory: str | None = None) -> list[str]:
    """Import each shipped BPMN file as a new version when its content changed."""
    directory = directory or current_app.config["PROCESSES_DIR"]
    from app.decisions.services import sync_decisions

    imported = sync_decisions(directory)  # decision tables first: business rule tasks call them
    for key, (name, departments, role, prefix) in SHIPPED_MODELS.items():
        path = Path(directory) / f"{key}.bpmn"
        if not path.exists():
            continue
        model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == key))
        if model is None:
            model = ProcessModel(key=key, name=name, start_departments=departments,
                                 start_role=role, reference_prefix=prefix)
            db.session.add(model)
            db.session.flush()
        model.confidential = key in CONFIDENTIAL_MODELS
        version = service.import_version(model, path.read_text(encoding="utf-8"), None,
                                         f"Import aus {path.name}")
        if version is not None:
            imported.append(f"{key} v{version.number}")
    return imported


DEMO_ORGS = {"kommune": "Landkreis Musterstadt", "traeger": "Wohlfahrtsverband Musterstadt e. V.",
             # partner organisations whose staff are invited to junge_erwachsene cases (app/partners)
             "jobcenter": "Jobcenter Musterstadt", "abh": "Ausländerbehörde des Landkreises Musterstadt"}
DEMO_TEAMS = [
    # key, name, department, organisation
    ("asd", "FB 36 – Allgemeiner Sozialer Dienst", "FB36", "kommune"),
    ("fruehehilfen", "FB 36 – Frühe Hilfen", "FB36", "kommune"),
    ("fd311", "FB 31 – Fachdienst 311", "FB31", "kommune"),
    ("k201", "Koordinierungsstelle Migration und Teilhabe (201)", "201", "kommune"),
    ("mbe", "Migrationsberatung für erwachsene Zuwanderer", "MBE", "traeger"),
    # FB 31's municipal integration case management (department code KIM: it alone starts
    # junge_erwachsene, and FB 31's other teams do not see those cases)
    ("kim", "FB 31 – Kommunales Integrationsmanagement", "KIM", "kommune"),
    # partner teams: the department code names the partner type (app.partners.services.PARTNER_DEPARTMENTS)
    ("jobcenter_u25", "Jobcenter – Team U25", "JC", "jobcenter"),
    ("abh_team", "Ausländerbehörde – Team Aufenthalt", "ABH", "abh"),
]
# username, display name, roles, organisation, [(team, kind)], volunteer profile
DEMO_USERS = [
    ("fb36", "Jana Beispiel (ASD)", [am.ROLE_FACHKRAFT], "kommune", [("asd", am.MEMBER)], None),
    ("fb36fh", "Tom Muster (Frühe Hilfen)", [am.ROLE_FACHKRAFT], "kommune",
     [("fruehehilfen", am.MEMBER)], None),
    ("fb31", "Lea Probe (FD 311)", [am.ROLE_FACHKRAFT], "kommune", [("fd311", am.MEMBER)], None),
    ("k201", "Sam Koordinata (201)", [am.ROLE_KOORDINATION], "kommune", [("k201", am.MEMBER)], None),
    ("ehrenamt1", "Mira Helferin", [am.ROLE_EHRENAMT], "kommune", [],
     {"sprachen": ["Deutsch", "Arabisch"], "stunden_pro_woche": 4, "orte": ["Musterstadt"],
      "schulungen": {"a": "2024-02-10", "b": "2024-03-02", "c": "2024-09-14"},
      "schweigepflicht_am": "2024-03-02", "fuehrungszeugnis_am": "2024-02-20", "status": "aktiv"}),
    ("ehrenamt2", "Ole Begleiter", [am.ROLE_EHRENAMT], "kommune", [],
     {"sprachen": ["Deutsch", "Russisch", "Ukrainisch"], "stunden_pro_woche": 3, "orte": ["Nordheim"],
      "schulungen": {"b": "2024-06-08", "d": "2024-07-13"},
      "schweigepflicht_am": "2024-06-08", "fuehrungszeugnis_am": None, "status": "aktiv"}),
    ("mbe1", "Nora Rat (MBE)", [am.ROLE_MBE], "traeger", [("mbe", am.MEMBER)], None),
    ("mbe2", "Paul Weg (MBE)", [am.ROLE_MBE], "traeger", [("mbe", am.MEMBER)], None),
    ("mbeleitung", "Ida Lenker (Leitung MBE)", [am.ROLE_LEITUNG], "traeger", [("mbe", am.LEAD)], None),
    ("leitung", "Karl Aufsicht (Leitung FB 36/31, 201)", [am.ROLE_LEITUNG], "kommune",
     [("asd", am.LEAD), ("fruehehilfen", am.LEAD), ("fd311", am.LEAD), ("k201", am.LEAD)], None),
    ("kim1", "Rana Weitblick (Integrationsmanagement)", [am.ROLE_FACHKRAFT], "kommune", [("kim", am.MEMBER)], None),
    ("kimleitung", "Jonas Brückner (Leitung Integrationsmanagement)", [am.ROLE_LEITUNG], "kommune",
     [("kim", am.LEAD)], None),
    ("prozess", "Petra Modell (Prozessverantwortung)", [am.ROLE_PROZESS], "kommune", [], None),
    ("prozess2", "Otto Zweitblick (Prozessverantwortung)", [am.ROLE_PROZESS], "kommune", [], None),
    ("admin", "Administration", [am.ROLE_ADMIN], "kommune", [], None),
    ("dsb", "Dora Schutzmann (Datenschutz)", [am.ROLE_DATENSCHUTZ], "kommune", [], None),
    ("jobcenter1", "Mia Vermittlerin (Jobcenter)", [am.ROLE_PARTNER], "jobcenter",
     [("jobcenter_u25", am.MEMBER)], None),
    ("abh1", "Erik Aufenthalt (Ausländerbehörde)", [am.ROLE_PARTNER], "abh", [("abh_team", am.MEMBER)], None),
]


def load_demo(password: str = "demo") -> int:
    """Create the demo organisations, teams and accounts (idempotent)."""
    orgs = {}
    for key, name in DEMO_ORGS.items():
        org = db.session.scalar(select(am.Organisation).where(am.Organisation.key == key))
        if org is None:
            org = am.Organisation(key=key, name=name)
            db.session.add(org)
        orgs[key] = org
    db.session.flush()
    teams = {}
    for key, name, department, org_key in DEMO_TEAMS:
        team = db.session.scalar(select(am.Team).where(am.Team.key == key))
        if team is None:
            team = am.Team(key=key, name=name, department=department, organisation=orgs[org_key])
            db.session.add(team)
        teams[key] = team
    db.session.flush()
    created = 0
    for username, display, roles, org_key, memberships, profile in DEMO_USERS:
        if db.session.scalar(select(am.User).where(am.User.username == username)) is not None:
            continue
        # is_demo: the only accounts whose password ("demo") skips the policy (app/auth/passwords.py)
        user = am.User(username=username, display_name=display, organisation=orgs[org_key],
                       email=f"{username}@example.org", is_demo=True)
        user.roles = roles
        user.set_password(password)
        for team_key, kind in memberships:
            user.memberships.append(am.Membership(team=teams[team_key], kind=kind))
        db.session.add(user)
        if profile is not None:
            db.session.flush()  # the user's id
            volunteer = VolunteerProfile(user_id=user.id)
            volunteer.apply(profile)
            db.session.add(volunteer)
        created += 1
    db.session.flush()
    return created


def register_cli(app: Flask) -> None:
    processes = AppGroup("processes", help="Process models.")
    demo = AppGroup("demo", help="Demo data.")

    @processes.command("sync")
    def processes_sync():
        """Import changed BPMN files from processes/ as new versions."""
        try:
            with unit_of_work():
                imported = sync_processes()
        except SpecError as exc:
            raise click.ClickException(f"BPMN-Datei fehlerhaft: {exc}") from exc
        click.echo("imported: " + (", ".join(imported) if imported else "nothing changed"))

    @demo.command("load")
    @click.option("--without-cases", is_flag=True, help="Only teams, accounts, processes and partners.")
    def demo_load(without_cases):
        """Create demo teams and accounts (password: demo), import the processes and load about 40
        invented cases in every step (app/demo; skipped when they exist)."""
        from app.demo.process_owner import load_demo_process_owner
        from app.network.demo import load_demo_partners
        from app.offers.demo import load_demo_offers

        with unit_of_work():
            created = load_demo()
            imported = sync_processes()
            partners = load_demo_partners()
            offers = load_demo_offers()
            owner_items = load_demo_process_owner()
        click.echo(f"demo users created: {created}; processes imported: {imported or 'none'}; "
                   f"demo partners: {partners}; demo offers: {offers}; process owner items: {owner_items}")
        if not without_cases:
            from app.demo.cases import load_demo_cases

            with unit_of_work():
                cases = load_demo_cases()
            click.echo(f"demo cases created: {cases}")

    app.cli.add_command(processes)
    app.cli.add_command(demo)
    from app.auth.cli import register_user_cli

    register_user_cli(app)  # flask users set-password / unlock
    register_timer_cli(app)
    from app.retention.cli import register_retention_cli

    register_retention_cli(app)  # flask retention run
    from app.backup.cli import register_backup_cli

    register_backup_cli(app)  # flask backup create / verify / restore
    from app.statistics.cli import register_statistics_cli

    register_statistics_cli(app)  # flask statistics rebuild


def register_timer_cli(app: Flask) -> None:
    import signal
    import threading
    from datetime import UTC, datetime

    from app.timers.services import fire_due, supervise

    timers = AppGroup("timers", help="Timers and deadlines of running cases.")

    @timers.command("fire-due")
    @click.option("--now", "now_text", default=None,
                  help="ISO 8601 time to fire for (default: now), e.g. 2027-01-10T09:00:00+01:00")
    def timers_fire_due(now_text):
        """Fire every timer that is due at the given moment (for tests and cron)."""
        now = None
        if now_text:
            try:
                now = datetime.fromisoformat(now_text)
            except ValueError as exc:
                raise click.BadParameter("Bitte eine Zeit im ISO-8601-Format angeben.") from exc
            now = now if now.tzinfo else now.replace(tzinfo=UTC)
        click.echo(f"cases moved on: {fire_due(now)}")

    @timers.command("run")
    @click.option("--interval", default=1.0, show_default=True, help="Seconds between rounds.")
    def timers_run(interval):
        """Run the timer worker until stopped (SIGINT/SIGTERM)."""
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        click.echo(f"timer worker running (every {interval} s)")
        from app.ops.metrics import serve_worker_metrics

        serve_worker_metrics(current_app.config["TIMER_METRICS_PORT"])  # its own /metrics on 127.0.0.1 (app/ops)
        supervise(stop, interval)

    app.cli.add_command(timers)
