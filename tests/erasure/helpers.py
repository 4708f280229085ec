"""Helpers of the erasure tests: a case file with personal data in every feature, the whole
database as text, the statistics figures a supervisor sees."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from app.auth.models import User
from app.engine import service
from app.engine.models import ProcessInstance
from app.extensions import db
from tests.documents import samples

# Invented personal values, each unique in the demo data: none may survive an erasure.
FAMILY = "Zwirnbeutel"
SECRETS = (FAMILY, "Odalinde", "Quittenweg", "Kitageheimnis", "Journalgeheimnis", "Schrittgeheimnis",
           "Korrekturgeheimnis", "Dokumentgeheimnis", "Termingeheimnis", "Zielgeheimnis", "Nachrichtgeheimnis",
           "Auslagengeheimnis", "Verweisgeheimnis", "Planaenderungsgeheimnis", "Entwurfgeheimnis", "Krisengeheimnis")


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def database_text() -> str:
    """Every row of every table, as text (the workflow states included)."""
    parts = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            parts.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(parts)


def found_secrets(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def stored_files(store: Path) -> list[Path]:
    return [p for p in store.rglob("*") if p.is_file()] if store.exists() else []


def fill_case_file(instance_id: int, writer: str, *, partner_typ: str = "beratungsstelle") -> None:
    """Journal (with a correction and a follow-up to-do), a document, an appointment, a plan goal
    changed with a note, a to-do naming the family, a referral and a task draft: everywhere
    personal data live besides the case data. Commits."""
    from app.appointments import services as appointments
    from app.documents import services as documents
    from app.documents.sniff import sniff
    from app.journal import services as journal
    from app.network import services as network
    from app.plans import services as plans

    instance = db.session.get(ProcessInstance, instance_id)
    author = user(writer)
    today = date.today()
    entry = journal.add_entry(instance, author, "full", journal.EntryData(
        kind="gespraech", day=today, text=f"Journalgeheimnis: Gespräch mit Frau {FAMILY}", duration_minutes=30,
        topics=(), next_steps="Schrittgeheimnis"), follow_up=True)
    journal.correct_entry(entry, author, journal.EntryData(
        kind="gespraech", day=today, text=f"Journalgeheimnis korrigiert, {FAMILY}", duration_minutes=40,
        next_steps="Schrittgeheimnis 2"), note="Korrekturgeheimnis")
    documents.file_on_case(instance, author, content=samples.PDF, sniffed=sniff(samples.PDF),
                           filename=f"{FAMILY}_Bescheid.pdf", category="nachweis", note="Dokumentgeheimnis")
    start = datetime.combine(today + timedelta(days=3), datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    appointments.book(instance, author, kind="termin", starts_at=start, ends_at=start + timedelta(hours=1),
                      place="Quittenweg 17", participants=[author], title=f"Termingeheimnis {FAMILY}",
                      language="Odalinde spricht Tigrinya")
    goals = plans.ensure_plan(instance)
    if goals:
        kind = plans.kind_of(instance)
        assert kind is not None
        plans.change_goal(instance, goals[0], author, {kind.text_key: "Zielgeheimnis neu"},
                          note="Planaenderungsgeheimnis")
    service.create_todo(instance, f"Frau {FAMILY} zurückrufen", created_by=author, assignee=author)
    organisation_id = author.organisation_id
    partner = network.save_partner(None, organisation_id, name="Beratungsstelle Lindenhof", typ=partner_typ,
                                   intensitaet=1, wichtigkeit=1)
    network.refer(instance, partner, author, f"Verweisgeheimnis für {FAMILY}")
    for task in instance.tasks:
        if task.kind == "bpmn" and task.status in ("open", "claimed", "ready"):
            task.draft = {"notizen": "Entwurfgeheimnis", "datum": today.isoformat()}
    db.session.commit()


def add_volunteer_records(instance_id: int) -> None:
    """A message between volunteer and coordination and an expense entry with a note. Commits."""
    from app.volunteers import expenses, threads

    instance = db.session.get(ProcessInstance, instance_id)
    threads.post_message(instance, user("ehrenamt1"), f"Nachrichtgeheimnis: {FAMILY} war nicht da")
    expenses.save_entry(None, instance, user("ehrenamt1"), datum=date.today(), stunden=Decimal("2"),
                        kilometer=Decimal("4"), auslagen=Decimal("0"), notiz="Auslagengeheimnis")
    db.session.commit()


def statistics_figures(client_leitung, client_mbeleitung=None) -> dict:
    """What supervisors read: the statistics export, the MBE statistics export, the work shares."""
    year = date.today().year
    response = client_leitung.get(f"/statistik/export.csv?von={year}-01-01")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    figures = {"statistik": response.get_data(as_text=True)}
    if client_mbeleitung is not None:
        response = client_mbeleitung.get("/mbe/statistik?format=csv")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        figures["mbe"] = response.get_data(as_text=True)
    from app.worktime import services as worktime

    leitung = user("leitung")
    figures["zeitanteile"] = repr(worktime.work_shares(date(year, 1, 1), date.today(),
                                                       worktime.supervised_teams(leitung)))
    return figures
