"""Invented journal entries for the demo cases (called by the demo loader)."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.auth.models import User
from app.engine.models import FULL, LIMITED, RUNNING, ProcessInstance
from app.journal import services
from app.journal.models import FALLKONFERENZ, GESPRAECH, HAUSBESUCH, NOTIZ, SCHRIFTVERKEHR, TELEFONAT
from app.timeutil import office_zone

# (days before now, kind, minutes, topics, text, next steps) per process; invented content only.
SCRIPTS: dict[str, list[tuple[int, str, int | None, tuple[str, ...], str, str]]] = {
    "alltagsbegleitung": [
        (21, GESPRAECH, 60, ("schule_kita", "behoerden"), "Erstgespräch mit der Familie: Kita-Platz für die "
         "jüngste Tochter gesucht, Unterlagen für den Antrag fehlen noch.", "Geburtsurkunde und Meldebescheinigung "
         "mitbringen"),
        (12, TELEFONAT, 15, ("schule_kita",), "Rückruf der Kita: ein Platz wird ab Februar frei.",
         "Anmeldung gemeinsam ausfüllen"),
        (4, NOTIZ, None, ("sprache",), "Die Familie wünscht sich Begleitung zum Elternabend (Sprachmittlung).", ""),
    ],
    "mbe_beratung": [
        (30, GESPRAECH, 50, ("aufenthalt", "sozialrecht"), "Beratung zur Verlängerung des Aufenthaltstitels und "
         "zum Antrag auf Bürgergeld.", "Termin bei der Ausländerbehörde vereinbaren"),
        (16, SCHRIFTVERKEHR, 20, ("aufenthalt",), "Schreiben an die Ausländerbehörde mit den fehlenden "
         "Nachweisen verschickt.", ""),
        (6, TELEFONAT, 10, ("arbeit",), "Kurze Rückfrage zum Integrationskurs und zur Anerkennung des "
         "Berufsabschlusses.", "Anerkennungsberatung anfragen"),
    ],
}
DEFAULT_SCRIPT = [
    (10, GESPRAECH, 30, (), "Gespräch zum Stand der Dinge; die nächsten Schritte sind abgesprochen.", ""),
    (3, FALLKONFERENZ, 45, (), "Fallbesprechung im Team.", ""),
]


def _writers(instance: ProcessInstance, users: dict[str, User]) -> list[tuple[User, str]]:
    """The demo people who write into ``instance``: the starter, 201 in Alltagsbegleitung cases
    and the assigned volunteer (limited access)."""
    writers: list[tuple[User, str]] = [(instance.started_by, FULL)]
    if services.process_key(instance) == "alltagsbegleitung":
        if "k201" in users:
            writers.append((users["k201"], FULL))
        volunteer = users.get(str((instance.data or {}).get("ehrenamtliche") or ""))
        if volunteer is not None:
            writers.append((volunteer, LIMITED))
    return writers


def seed_demo(instances: list[ProcessInstance], users: dict[str, User], now: datetime) -> int:
    """Add a few plausible, invented journal entries to each of ``instances`` (``users``: demo
    accounts by username; ``now``: the demo's moment). A running case also gets one open
    follow-up for its starter. Only flushes; returns the number of entries written."""
    written = 0
    today = now.astimezone(office_zone()).date()
    for instance in instances:
        script = SCRIPTS.get(services.process_key(instance), DEFAULT_SCRIPT)
        writers = _writers(instance, users)
        for index, (days, kind, minutes, topics, text, next_steps) in enumerate(script):
            author, level = writers[index % len(writers)]
            if level == LIMITED:
                kind, text = HAUSBESUCH, "Begleitung zum Termin; alles hat gut geklappt."
            is_last = index == len(script) - 1
            entry = services.add_entry(
                instance, author, level,
                services.EntryData(kind=kind, day=today - timedelta(days=days), text=text,
                                   duration_minutes=minutes, topics=topics, next_steps=next_steps),
                shared_with_volunteer=index == 1,
                follow_up=is_last and instance.status == RUNNING,
                follow_up_due=today + timedelta(days=3) if is_last and instance.status == RUNNING else None,
                follow_up_assignee=instance.started_by if is_last and instance.status == RUNNING else None)
            entry.created_at = entry.revisions[0].created_at = now - timedelta(days=days, hours=-2)
            written += 1
    return written
