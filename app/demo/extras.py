"""What the other features add to the demo cases (receivers of ``demo_cases_loaded``): journal
entries with an open follow-up, appointments (one cancelled, one past), and recorded working time
outside cases, so the annual report's working-time shares show figures on the first login."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.appointments import demo as appointments_demo
from app.auth.models import User
from app.demo import demo_cases_loaded
from app.engine.models import ProcessInstance
from app.extensions import db
from app.journal import demo as journal_demo
from app.timeutil import office_zone
from app.worktime.models import TimeRecord

# (username, team key, activity, minutes, days ago, note): invented, plausible work outside cases.
TIME_RECORDS = (
    ("k201", "k201", "netzwerkarbeit", 120, 5, "Runder Tisch Stadtteil Nord"),
    ("k201", "k201", "gremien", 90, 12, "AK Migration"),
    ("k201", "k201", "veranstaltungen", 180, 20, "Ehrenamtsfest"),
    ("k201", "k201", "oeffentlichkeitsarbeit", 60, 33, "Flyer für Ehrenamtliche"),
    ("fb36", "asd", "netzwerkarbeit", 90, 8, "Kooperationstreffen Kita"),
    ("fb36", "asd", "gremien", 120, 40, "Jugendhilfeausschuss"),
    ("mbe1", "mbe", "gruppenangebote", 150, 6, "Infoabend Anerkennung"),
    ("mbe1", "mbe", "netzwerkarbeit", 60, 15, "Jobcenter Fallbesprechungsrunde"),
    ("mbe2", "mbe", "gremien", 90, 25, "Integrationskursträgertreffen"),
)


def _seed(_sender, *, instances: list[ProcessInstance], users: dict[str, User], now: datetime) -> None:
    journal_demo.seed_demo(instances, users, now)
    appointments_demo.seed_demo(instances, users, now)
    teams = {m.team.key: m.team for u in users.values() for m in u.memberships}
    today = now.astimezone(office_zone()).date()
    for username, team_key, activity, minutes, days_ago, note in TIME_RECORDS:
        user, team = users.get(username), teams.get(team_key)
        if user is not None and team is not None:
            db.session.add(TimeRecord(user_id=user.id, team_id=team.id, datum=today - timedelta(days=days_ago),
                                      activity=activity, minutes=minutes, note=note))
    db.session.flush()


demo_cases_loaded.connect(_seed)
