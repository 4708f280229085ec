"""About fifty invented cases in every step of Alltagsbegleitung, MBE and Junge Erwachsene, for
``flask demo load``.

Every case runs through the real engine service with form data validated by the task's own form,
each step at a moment in the past (the engine's clock, ``app.engine.clock.engine_time``): task
rows, due dates, timers, durations, MBE statistics and the case history carry those moments, so
inboxes, the monitor, the charts and the statistics show realistic figures on the first login.
All names are invented.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update

from app.auth.models import Team, User
from app.cases.taskforms import ranked_volunteer_choices
from app.crisis import services as crisis
from app.demo import demo_cases_loaded
from app.demo import extras as _extras  # noqa: F401 - journal, appointments, time records join the cases
from app.engine import service
from app.engine.clock import engine_time
from app.engine.models import ACTIVE_TASK_STATES, CaseEvent, ProcessInstance, ProcessModel, Task
from app.extensions import db
from app.formbuilder.services import form_class_for
from app.timeutil import aware, office_zone, utcnow
from forms import FormContext, bind_form, form_errors

AB, MBE, JE = "alltagsbegleitung", "mbe_beratung", "junge_erwachsene"


class DemoDataError(RuntimeError):
    """The demo data no longer fits a form or the process (a changed model): says which step."""


# --- the driver: engine steps at past moments ------------------------------------------------

@dataclass
class Driver:
    now: datetime
    users: dict[str, User] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    models: dict[str, ProcessModel] = field(default_factory=dict)
    created: list[ProcessInstance] = field(default_factory=list)

    def moment(self, start: datetime, day: float, hour: int = 10) -> datetime:
        """``day`` days after ``start``, at ``hour`` o'clock office time (never after now)."""
        local = (start + timedelta(days=day)).astimezone(office_zone())
        when = datetime.combine(local.date(), time(hour, 15 * (int(day * 7) % 4)), office_zone()).astimezone(UTC)
        return min(when, self.now - timedelta(minutes=5))

    def _act(self, instance: ProcessInstance | None, when: datetime, action: Callable[[], Any]) -> Any:
        """Run ``action`` as if it were ``when``; the history entries it wrote get that time too."""
        before = db.session.scalar(select(func.max(CaseEvent.id))) or 0
        with engine_time(when):
            result = action()
        db.session.flush()
        db.session.execute(update(CaseEvent).where(CaseEvent.id > before).values(created_at=when)
                           .execution_options(synchronize_session=False))
        return result

    def start(self, key: str, username: str, team: str, when: datetime) -> ProcessInstance:
        instance = self._act(None, when, lambda: service.start_instance(
            self.models[key], self.users[username], self.teams[team]))
        instance.started_at = when
        model = self.models[key]  # the reference names the year the case began
        instance.reference = f"{model.reference_prefix}-{when.year}-{instance.id:05d}"
        self.created.append(instance)
        return instance

    def complete(self, instance: ProcessInstance, bpmn_id: str, username: str, data: dict,
                 when: datetime) -> None:
        task = db.session.scalar(select(Task).where(
            Task.instance_id == instance.id, Task.bpmn_id == bpmn_id, Task.status.in_(ACTIVE_TASK_STATES))
            .order_by(Task.id).limit(1))
        if task is None:
            open_ids = db.session.scalars(select(Task.bpmn_id).where(
                Task.instance_id == instance.id, Task.status.in_(ACTIVE_TASK_STATES)))
            raise DemoDataError(f"{instance.reference}: no open task {bpmn_id} (open: {list(open_ids)})")
        day = when.astimezone(office_zone()).date()
        volunteers = ranked_volunteer_choices(instance) if bpmn_id == "vermittlung" else []
        ctx = FormContext(data=dict(instance.data or {}), today=day, volunteers=volunteers)
        form = bind_form(form_class_for(task.form_key, instance.version_id), ctx, json_data=data, csrf=False)
        if not form.validate():
            raise DemoDataError(f"{instance.reference} {bpmn_id}: {form_errors(form)}")
        self._act(instance, when, lambda: service.complete_task(task, self.users[username], form.to_task_data()))

    def report_crisis(self, instance: ProcessInstance, username: str, text: str, urgency: str,
                      when: datetime) -> None:
        self._act(instance, when, lambda: crisis.report_crisis(instance, self.users[username], text, urgency))

    def fire_timers(self, instance: ProcessInstance, when: datetime) -> None:
        self._act(instance, when, lambda: service.fire_timers(instance, when))


def _iso(day: date) -> str:
    return day.isoformat()


def _day(when: datetime, plus: int = 0) -> str:
    return _iso(when.astimezone(office_zone()).date() + timedelta(days=plus))


# --- Alltagsbegleitung ------------------------------------------------------------------------

@dataclass(frozen=True)
class Family:
    name: str
    first_names: str
    languages: str
    children: int
    need: str
    goals: tuple[str, ...]
    group: str = "familie"
    address: str = ""


FAMILIES = [
    Family("Familie Haddad", "Rania, Karim, Yara, Sami", "Arabisch", 3,
           "Orientierung im Alltag, Kita-Anmeldung der jüngsten Tochter",
           ("Kita-Platz für Yara beantragt", "Termine beim Kinderarzt selbstständig vereinbart")),
    Family("Familie Petrenko", "Oksana, Mykola", "Ukrainisch, Russisch", 1,
           "Begleitung zu Behörden, Schulanmeldung",
           ("Schulanmeldung abgeschlossen", "Anträge beim Jobcenter verstanden")),
    Family("Familie Okafor", "Chioma, Emeka", "Englisch", 2,
           "Unterstützung bei Elternabenden und der Kommunikation mit der Schule",
           ("Elternabend gemeinsam besucht",)),
    Family("Familie Nazari", "Zahra, Ali, Maryam", "Dari, Farsi", 2,
           "Wohnungssuche begleiten, Haushaltsplanung",
           ("Wohnungsbewerbungen vollständig", "Haushaltsbuch wird geführt")),
    Family("Familie Ahmadi", "Laila, Farid", "Dari, Paschtu", 4,
           "Arzttermine und Frühförderung für den jüngsten Sohn",
           ("Frühförderstelle kontaktiert", "Vorsorgeuntersuchung U7 wahrgenommen")),
    Family("Familie Kovalenko", "Iryna", "Ukrainisch", 1, "Alleinerziehende Mutter: Kita, Sprachkurs",
           ("Sprachkurs begonnen",)),
    Family("Familie Mensah", "Abena, Kwame", "Englisch, Twi", 3, "Freizeitangebote für die Kinder finden",
           ("Sportverein für die Kinder gefunden",)),
    Family("Familie Barzani", "Dilan, Rojin", "Kurdisch, Arabisch", 2, "Kommunikation mit der Schule",
           ("Sprechstunde der Klassenlehrerin besucht",)),
    Family("Familie Rahimi", "Soraya", "Farsi", 0, "Orientierung im Stadtteil, Behördengänge",
           ("Bürgerbüro-Termin selbstständig wahrgenommen",)),
    Family("Familie Tesfaye", "Hiwot, Dawit", "Tigrinya, Englisch", 2, "Begleitung zu Elterngesprächen in der Kita",
           ("Eingewöhnung in der Kita abgeschlossen",)),
    Family("Herr Qasemi", "Javad", "Dari", 0, "Junger Erwachsener: Ausbildungsplatzsuche, Wohnung",
           ("Bewerbungsmappe erstellt", "Termin bei der Berufsberatung wahrgenommen"), group="junger_erwachsener"),
    Family("Frau Abdi", "Hodan", "Somali, Englisch", 0, "Junge Erwachsene: Behördenpost verstehen",
           ("Post wird selbstständig sortiert",), group="junger_erwachsener"),
    Family("Familie Demir", "Elif, Murat", "Türkisch", 2, "Hausaufgabenhilfe organisieren",
           ("Hausaufgabenhilfe an der Schule angemeldet",)),
    Family("Familie Bondarenko", "Natalia, Pavlo", "Ukrainisch, Russisch", 1, "Begleitung zum Gesundheitsamt",
           ("Impfstatus der Kinder geklärt",)),
    Family("Familie Osei", "Akosua", "Englisch", 2, "Orientierung nach dem Umzug",
           ("Kinderarzt gefunden", "Bibliotheksausweise beantragt")),
    Family("Familie Karimi", "Nasrin, Hamid", "Farsi", 3, "Kita- und Schulanmeldung",
           ("Schulanmeldung der Ältesten erledigt",)),
    Family("Familie Sidorova", "Anna", "Russisch", 1, "Anträge für Bildung und Teilhabe",
           ("Antrag Bildung und Teilhabe gestellt",)),
    Family("Familie Hussaini", "Fatima, Reza", "Dari", 5, "Große Familie: Alltagsstruktur, Termine",
           ("Familienkalender eingeführt", "Termine beim Jugendamt wahrgenommen")),
    Family("Familie Popescu", "Ioana, Andrei", "Rumänisch", 2, "Begleitung zur Familienberatung",
           ("Familienberatung kennengelernt",)),
    Family("Familie Celik", "Ayse", "Türkisch, Kurdisch", 1, "Kontakt zu Elterncafé herstellen",
           ("Elterncafé regelmäßig besucht",)),
    Family("Familie Mahmoud", "Huda, Omar", "Arabisch", 3, "Begleitung nach der Geburt des vierten Kindes",
           ("Hebamme gefunden", "Elterngeld beantragt")),
    Family("Familie Novak", "Mirela", "Serbisch, Romanes", 2, "Schulbesuch der Kinder stabilisieren",
           ("Regelmäßiger Schulbesuch seit vier Wochen",)),
]
STARTERS = [("fb36", "asd"), ("fb36fh", "fruehehilfen"), ("fb31", "fd311")]


def _bedarf(family: Family, when: datetime, deadline_days: int) -> dict:
    return {"zielgruppe": family.group, "familienname": family.name, "vornamen": family.first_names,
            "sprachen": family.languages, "kinder_anzahl": family.children, "bedarf": family.need,
            "ziele": [{"beschreibung": goal, "frist": _day(when, deadline_days + 14 * i),
                       "ueberpruefung": "Im Zwischengespräch gemeinsam prüfen"}
                      for i, goal in enumerate(family.goals)]}


def _vorgespraech(when: datetime, weeks: int, hours: float = 3) -> dict:
    return {"datum": _day(when), "teilnehmende": ["eltern", "alltagsbegleitung", "fachbereich"],
            "stunden_pro_woche": hours, "beginn": _day(when, 3), "ende": _day(when, 7 * weeks),
            "vereinbarungen": "Wöchentliches Treffen, Absagen per Nachricht an 201"}


def _abschluss(instance: ProcessInstance, when: datetime, outcome: str) -> dict:
    goals = [g.get("beschreibung") for g in (instance.data or {}).get("ziele") or []]
    ratings = ["erreicht", "teilweise", "nicht_erreicht"]
    data: dict = {"datum": _day(when), "teilnehmende": ["eltern", "alltagsbegleitung", "koordinierungsstelle"],
                  "ergebnis": outcome,
                  "zielbewertungen": [{"ziel": g, "bewertung": ratings[i % (3 if outcome != "beenden" else 1)]}
                                      for i, g in enumerate(goals)],
                  "begruendung": "Gemeinsam im Abschlussgespräch besprochen"}
    if outcome == "fortfuehren":
        data["neues_ende"] = _day(when, 120)
    if outcome == "ueberleiten":
        data["folgemassnahme"] = "Sozialpädagogische Familienhilfe"
    return data


# Stages of an Alltagsbegleitung case, in order: how far each demo case gets.
AB_STAGES = ["bedarf", "vermittlung", "vorgespraech", "laufend", "abschluss_offen", "beenden", "ueberleiten",
             "fortfuehren", "krise", "krise_quittiert"]
# (stage, days ago the case started) for each family, in the order of FAMILIES
AB_PLAN = [
    ("bedarf", 2), ("bedarf", 6), ("vermittlung", 9), ("vermittlung", 16), ("vorgespraech", 21),
    ("vorgespraech", 27), ("laufend", 45), ("laufend", 70), ("laufend", 95), ("laufend", 130),
    ("laufend", 60), ("abschluss_offen", 150), ("abschluss_offen", 175), ("beenden", 240), ("beenden", 300),
    ("ueberleiten", 210), ("ueberleiten", 330), ("fortfuehren", 260), ("krise", 80), ("krise_quittiert", 120),
    ("beenden", 360), ("laufend", 38),
]


def _volunteer(instance: ProcessInstance, index: int) -> str:
    choices = ranked_volunteer_choices(instance)
    if not choices:
        raise DemoDataError(f"{instance.reference}: no eligible volunteer for the Vermittlung")
    return choices[index % len(choices)][0]


def _alltagsbegleitung(drv: Driver, index: int, family: Family, stage: str, days_ago: int) -> None:
    starter, team = STARTERS[index % len(STARTERS)]
    start = drv.now - timedelta(days=days_ago)
    rank = AB_STAGES.index(stage)
    case = drv.start(AB, starter, team, drv.moment(start, 0, 9))
    if rank == 0:
        return
    when = drv.moment(start, 1, 11)
    drv.complete(case, "bedarfsermittlung", starter, _bedarf(family, when, max(days_ago + 30, 60)), when)
    if rank == 1:
        return
    when = drv.moment(start, 4, 14)
    volunteer = _volunteer(case, index)
    drv.complete(case, "vermittlung", "k201", {"ehrenamtliche": volunteer, "vorbereitung_erfolgt": True,
                                               "begruendung": "Gemeinsame Sprache, passende Zeiten"}, when)
    if rank == 2:
        return
    when = drv.moment(start, 8, 10)
    weeks = max(days_ago // 7 + 8, 12)
    drv.complete(case, "vorgespraech", starter, _vorgespraech(when, weeks), when)
    # The assignment runs: feedback from the volunteer every three weeks, a meeting with 201 every
    # six (the first months only: enough history for the case view, and a quick load).
    running_days = min(days_ago - 10, 200)
    for day in range(14, min(running_days, 110), 21):
        when = drv.moment(start, 8 + day, 17)
        drv.complete(case, "rueckmeldung", volunteer, {
            "datum": _day(when), "bericht": "Termin gemeinsam wahrgenommen, Familie zunehmend selbstständig.",
            "stunden": 3}, when)
        if day % 42 == 35 and day + 28 < running_days:
            when = drv.moment(start, 9 + day, 10)
            drv.complete(case, "zwischengespraech", "k201", {
                "datum": _day(when), "notizen": "Einsatz läuft gut, Ziele werden verfolgt.",
                "abschluss_einleiten": False}, when)
    if stage in ("krise", "krise_quittiert"):
        when = drv.moment(start, days_ago - 1 if stage == "krise" else days_ago - 6, 16)
        drv.report_crisis(case, volunteer, "Die Familie hat eine Räumungsklage erhalten und ist sehr belastet.",
                          "hoch" if stage == "krise" else "normal", when)
        if stage == "krise_quittiert":
            when = drv.moment(start, days_ago - 6 + 0.1, 17)
            drv.complete(case, "krise_quittieren", starter, {
                "erste_massnahme": "Rückruf bei der Familie, Termin mit der Schuldnerberatung",
                "zustaendig": drv.users[starter].display_name}, when)
        return
    if rank <= AB_STAGES.index("laufend"):
        return
    when = drv.moment(start, 8 + running_days, 10)
    drv.complete(case, "zwischengespraech", "k201", {
        "datum": _day(when), "notizen": "Ziele weitgehend erreicht, Abschluss vereinbart.",
        "abschluss_einleiten": True}, when)
    if stage == "abschluss_offen":
        return
    when = drv.moment(start, 8 + running_days + 10, 11)
    drv.complete(case, "abschluss", starter, _abschluss(case, when, stage), when)


# --- MBE ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Client:
    first: str
    last: str
    born: date
    country: str
    language: str
    gender: str
    consent: bool = True


CLIENTS = [
    Client("Amira", "Saleh", date(1985, 3, 12), "Syrien", "arabisch", "w"),
    Client("Dmytro", "Hrytsenko", date(1979, 11, 2), "Ukraine", "ukrainisch", "m"),
    Client("Fatma", "Aydin", date(1990, 6, 24), "Türkei", "tuerkisch", "w"),
    Client("Samuel", "Tekle", date(1993, 1, 9), "Eritrea", "englisch", "m"),
    Client("Olena", "Marchenko", date(1988, 8, 17), "Ukraine", "ukrainisch", "w"),
    Client("Reza", "Moradi", date(1982, 4, 30), "Iran", "sonstige", "m"),
    Client("Grace", "Nwosu", date(1991, 12, 5), "Nigeria", "englisch", "w"),
    Client("Bilal", "Hamdan", date(1975, 2, 14), "Irak", "arabisch", "m", consent=False),
    Client("Irina", "Volkova", date(1969, 9, 21), "Kasachstan", "russisch", "w"),
    Client("Tigist", "Alemu", date(1994, 7, 3), "Äthiopien", "englisch", "w"),
    Client("Jamal", "Darwish", date(1987, 10, 11), "Syrien", "arabisch", "m"),
    Client("Lina", "Khoury", date(1996, 5, 28), "Libanon", "franzoesisch", "w"),
    Client("Mariam", "Jaber", date(1983, 1, 19), "Jordanien", "arabisch", "w", consent=False),
    Client("Taras", "Shevchenko", date(1977, 3, 3), "Ukraine", "ukrainisch", "m"),
    Client("Parisa", "Amini", date(1989, 11, 27), "Iran", "sonstige", "w"),
    Client("Kofi", "Asante", date(1986, 8, 8), "Ghana", "englisch", "m"),
    Client("Ahmad", "Sultani", date(2002, 2, 2), "Afghanistan", "sonstige", "m"),
    Client("Yusuf", "Bakr", date(1980, 12, 12), "Sudan", "arabisch", "m"),
]
MBE_STAGES = ["erstkontakt", "verwiesen", "beratung", "beratung_beendet", "assessment", "foerderplan",
              "vereinbarung", "umsetzung", "ueberpruefung", "abschluss_offen", "abgeschlossen"]
MBE_PLAN = [
    ("erstkontakt", 3), ("erstkontakt", 8), ("beratung", 20), ("beratung", 35), ("beratung", 50),
    ("assessment", 40), ("foerderplan", 55), ("vereinbarung", 70), ("umsetzung", 100), ("umsetzung", 150),
    ("ueberpruefung", 190), ("abschluss_offen", 260), ("abgeschlossen", 330), ("abgeschlossen", 400),
    ("beratung_beendet", 120), ("umsetzung", 85), ("verwiesen", 30), ("umsetzung", 200),
]


def _erstkontakt(client: Client, when: datetime) -> dict:
    day = when.astimezone(office_zone()).date()
    age = day.year - client.born.year - ((day.month, day.day) < (client.born.month, client.born.day))
    data = {"erstkontakt_datum": _day(when), "zugangsweg": "persoenlich", "anliegen": "Fragen zu Aufenthalt und Arbeit",
            "beratungssprache": client.language, "alter": age, "geschlecht": client.gender,
            "herkunftsland": client.country, "aufenthaltsstatus": "p44",
            "einreise_oder_titel_datum": _day(when, -300), "krise": False, "ik_verpflichtet": False,
            "freie_kapazitaet": True}
    if client.consent:
        data.update({"einwilligung": True, "einwilligung_datum": _day(when),
                     "einwilligung_umfang": ["speicherung", "kontakt"], "einwilligung_form": "schriftlich",
                     "vorname": client.first, "nachname": client.last, "geburtsdatum": _iso(client.born)})
    return data


def _beratung(when: datetime, weiter: str, topics: list[str]) -> dict:
    return {"beratung_datum": _day(when), "dauer_minuten": 50, "themen": topics,
            "naechste_schritte": "Unterlagen zum nächsten Termin mitbringen", "weiter": weiter}


def _mbe(drv: Driver, index: int, client: Client, stage: str, days_ago: int) -> None:
    counsellor = "mbe1" if index % 2 == 0 else "mbe2"
    start = drv.now - timedelta(days=days_ago)
    rank = MBE_STAGES.index(stage)
    case = drv.start(MBE, counsellor, "mbe", drv.moment(start, 0, 9))
    if stage == "erstkontakt":
        return
    when = drv.moment(start, 0.1, 10)
    first = _erstkontakt(client, when)
    drv.complete(case, "erstkontakt", counsellor, first, when)
    if stage == "verwiesen":
        when = drv.moment(start, 2, 11)
        drv.complete(case, "verweisberatung", counsellor, {"verwiesen_an": "jmd",
                                                           "verweis_notiz": "Termin beim JMD vereinbart"}, when)
        return
    topics = [["aufenthalt", "arbeit"], ["sozialrecht", "wohnen"], ["bildung", "familie"], ["gesundheit"]]
    sessions = 2 if rank >= MBE_STAGES.index("assessment") else min(1 + days_ago // 15, 4)
    for n in range(sessions):
        when = drv.moment(start, 3 + 9 * n, 14)
        last = n == sessions - 1
        weiter = ("case_management" if rank >= MBE_STAGES.index("assessment") else
                  "abschliessen" if stage == "beratung_beendet" else "beratung_fortsetzen") if last \
            else "beratung_fortsetzen"
        drv.complete(case, "beratung", counsellor, _beratung(when, weiter, topics[(index + n) % 4]), when)
    if stage == "beratung_beendet":  # counselling without case management, closed
        when = drv.moment(start, 3 + 9 * sessions, 11)
        drv.complete(case, "abschluss", counsellor, {
            "abschluss_datum": _day(when), "abschlussgrund": "anliegen_geklaert", "indikatoren": ["lebensgestaltung"],
            "reflexion": "Anliegen in der Beratung geklärt", "nachhaltigkeit_geprueft": True,
            "nachhaltigkeit_notiz": "Weiß, wohin sie/er sich wenden kann"}, when)
        return
    if rank <= MBE_STAGES.index("assessment"):  # beratung: open; assessment: the next step, open
        return
    when = drv.moment(start, 20, 10)
    drv.complete(case, "assessment", counsellor, {
        "soziale_situation": "Lebt mit Familie in einer Zweizimmerwohnung", "kompetenzen": "Berufserfahrung im Handel",
        "bedarfe_cm": "Sprachkurs, Anerkennung des Abschlusses, Arbeitssuche", "ik_begleitung_noetig": False}, when)
    if stage == "foerderplan":
        return
    when = drv.moment(start, 30, 11)
    review = 40  # days after the plan: the first review of the goals
    drv.complete(case, "foerderplan", counsellor, {
        "ziele": [{"bereich": "sprache", "ziel": "B1-Sprachprüfung bestanden", "frist": _day(when, review),
                   "partner": "Volkshochschule"},
                  {"bereich": "arbeit", "ziel": "Anerkennung des Berufsabschlusses beantragt",
                   "frist": _day(when, review + 60), "partner": "Anerkennungsberatung"}],
        "termine": "Alle vier Wochen dienstags"}, when)
    if stage == "vereinbarung":
        return
    when = drv.moment(start, 36, 10)
    drv.complete(case, "vereinbarung", counsellor, {"unterschrieben_klient": True, "unterschrieben_beratung": True,
                                                    "unterschrieben_am": _day(when)}, when)
    # Reviews whenever their timer is due (the earliest open goal deadline, at most three months).
    closing = stage in ("abschluss_offen", "abgeschlossen")
    for _round in range(12):
        due = case.next_timer_due
        if due is None or aware(due) > drv.now - timedelta(hours=12):
            return  # waiting for the next review: its timer shows in the case list
        drv.fire_timers(case, aware(due) + timedelta(minutes=1))
        if stage == "ueberpruefung":
            return  # the review is open
        when = drv.moment(aware(due), 3, 10)
        goals = (case.data or {}).get("ziele") or []
        drv.complete(case, "ueberpruefung", counsellor, {
            "ueberpruefung_datum": _day(when),
            "ziele": [{"bereich": g.get("bereich"), "ziel": g.get("ziel"), "partner": g.get("partner", ""),
                       "status": "erreicht" if closing else "teilweise"} for g in goals],
            "ueberpruefung_ergebnis": "abschliessen" if closing else "fortsetzen",
            "ueberpruefung_notiz": "Gute Fortschritte"}, when)
        if closing:
            break
    if stage == "abschluss_offen":
        return
    when = drv.moment(when, 7, 11)
    drv.complete(case, "abschluss", counsellor, {
        "abschluss_datum": _day(when), "abschlussgrund": "ziele_erreicht",
        "indikatoren": ["integrationskurs", "kurs_abschluss", "ziele_erreicht"], "reflexion": "Gut verlaufen",
        "nachhaltigkeit_geprueft": True, "nachhaltigkeit_notiz": "Kontakt zur VHS stabil"}, when)


# --- Junge Erwachsene (Kommunales Integrationsmanagement) ----------------------------------------

@dataclass(frozen=True)
class YoungAdult:
    first: str
    last: str
    age: int
    country: str
    referral: str
    status: str
    system: str
    languages: tuple[tuple[str, str], ...]
    strengths: str


YOUNG_ADULTS = [
    YoungAdult("Mamadou", "Sow", 19, "Guinea", "uebergangswohnheim", "gestattung", "asylblg",
               (("Französisch", "C1"), ("Deutsch", "A2")), "Zuverlässig, kann gut mit Werkzeug umgehen"),
    YoungAdult("Nour", "Haidari", 22, "Afghanistan", "jobcenter", "aufenthaltserlaubnis", "sgb2",
               (("Dari", "muttersprache"), ("Deutsch", "B1")), "Hilft anderen beim Lernen, organisiert gern"),
    YoungAdult("Yonas", "Gebremedhin", 20, "Eritrea", "jmd", "duldung", "asylblg",
               (("Tigrinya", "muttersprache"), ("Deutsch", "A2")), "Sportlich, ausdauernd, arbeitet gern im Team"),
    YoungAdult("Aylin", "Rashid", 24, "Irak", "auslaenderbehoerde", "gestattung", "asylblg",
               (("Arabisch", "muttersprache"), ("Deutsch", "B1")), "Erfahrung in der Altenpflege der Familie"),
    YoungAdult("Samir", "Yousef", 18, "Syrien", "selbst", "aufenthaltserlaubnis", "sgb8_41",
               (("Arabisch", "muttersprache"), ("Deutsch", "B2")), "Gute Noten in Mathematik"),
    YoungAdult("Faith", "Okonkwo", 26, "Nigeria", "jobcenter", "aufenthaltserlaubnis", "sgb2",
               (("Englisch", "C1"), ("Deutsch", "A2")), "Schneiderin mit Berufserfahrung"),
    YoungAdult("Ibrahim", "Diallo", 21, "Mali", "uebergangswohnheim", "duldung", "asylblg",
               (("Bambara", "muttersprache"), ("Französisch", "B2")), "Kocht für die ganze Unterkunft"),
    YoungAdult("Leyla", "Karimi", 23, "Iran", "jmd", "gestattung", "asylblg",
               (("Farsi", "muttersprache"), ("Englisch", "B2")), "Abitur im Herkunftsland, zeichnet technisch"),
    YoungAdult("Hamid", "Noori", 25, "Afghanistan", "sonstige", "duldung", "asylblg",
               (("Paschtu", "muttersprache"), ("Deutsch", "A2")), "Fahrradwerkstatt im Ehrenamt"),
    YoungAdult("Selam", "Tesfay", 20, "Eritrea", "jobcenter", "aufenthaltserlaubnis", "sgb2",
               (("Tigrinya", "muttersprache"), ("Deutsch", "B1")), "Freundlich, kontaktfreudig, pünktlich"),
]
JE_STAGES = ["aufnahme", "situation", "faehigkeiten", "fallkonferenz", "integrationsplan", "angebote", "laufend",
             "ueberpruefung", "uebergang", "abschluss_offen", "abgeschlossen"]
JE_PLAN = [("aufnahme", 1), ("situation", 5), ("faehigkeiten", 12), ("fallkonferenz", 20), ("integrationsplan", 28),
           ("angebote", 33), ("abschluss_offen", 150), ("ueberpruefung", 90), ("uebergang", 130),
           ("abgeschlossen", 210)]
JE_TEAM, JE_STARTER = "kim", "kim1"


def _je_aufnahme(person: YoungAdult, when: datetime) -> dict:
    day = when.astimezone(office_zone()).date()
    born = date(day.year - person.age - 1, 1 + (len(person.last) % 12), 10)
    if (day.month, day.day) >= (born.month, born.day):
        born = born.replace(year=born.year + 1)
    data = {"aufnahme_datum": _day(when), "zugang": person.referral, "anliegen": "Ausbildung oder Arbeit finden",
            "einwilligung": True, "einwilligung_datum": _day(when), "einwilligung_form": "schriftlich",
            "einwilligung_umfang": ["speicherung", "weitergabe"],
            "einwilligung_partnerarten": ["jobcenter", "jmd", "auslaenderbehoerde"],
            # what invited partners may see (app/partners)
            "einwilligung_kategorien": ["stammdaten", "aufenthalt", "leistungen", "plan", "angebote"],
            "vorname": person.first, "nachname": person.last, "geburtsdatum": _iso(born),
            "geschlecht": "w" if person.first in ("Nour", "Aylin", "Faith", "Leyla", "Selam") else "m",
            "herkunftsland": person.country}
    if person.referral == "sonstige":
        data["zugang_sonstige"] = "Sportverein"
    return data


def _je_situation(person: YoungAdult) -> dict:
    offices = {"asylblg": ("sozialamt", "Sozialamt Musterstadt"),
               "sgb2": ("jobcenter", "Jobcenter Musterstadt, U25"), "sgb8_41": ("jugendamt", "Jugendamt Musterstadt")}
    art, name = offices.get(person.system, ("sonstige", "Beratungsstelle"))
    data = {"aufenthaltsstatus": person.status, "leistungssystem": person.system,
            "stellen": [{"art": art, "bezeichnung": name, "ansprechperson": "Frau Beispiel",
                         "kontakt": "Durchwahl 123"},
                        {"art": "auslaenderbehoerde", "bezeichnung": "Ausländerbehörde des Kreises"}]}
    if person.status == "aufenthaltserlaubnis":
        data["aufenthalt_paragraph"] = "§ 25 Abs. 2 AufenthG"
    return data


def _je_plan(when: datetime) -> dict:
    return {"ziele": [{"bereich": "sprache", "ziel": "Deutsch B1 mit Zertifikat", "frist": _day(when, 150),
                       "verantwortlich": "JMD"},
                      {"bereich": "ausbildung", "ziel": "Praktikum im Wunschberuf", "frist": _day(when, 90),
                       "verantwortlich": "Die junge Person mit dem Integrationsmanagement"}],
            "ueberpruefung_wochen": 8}


def _je_review(case: ProcessInstance, when: datetime, weiter: str, transitions: list | None = None) -> dict:
    goals = (case.data or {}).get("ziele") or []
    offers = [{k: v for k, v in o.items() if k != "datum"} for o in (case.data or {}).get("angebote") or []]
    for offer in offers:
        offer["status"] = "angenommen" if offer.get("status") == "vorgeschlagen" else offer.get("status")
    return {"ueberpruefung_datum": _day(when), "ziele": [{"status": "teilweise"} for _ in goals],
            "angebote": offers, "uebergaenge": transitions or [], "ueberpruefung_wochen": 8, "weiter": weiter,
            "ueberpruefung_notiz": "Gute Fortschritte, Termine werden eingehalten"}


def _junge_erwachsene(drv: Driver, person: YoungAdult, stage: str, days_ago: int) -> None:
    start = drv.now - timedelta(days=days_ago)
    rank = JE_STAGES.index(stage)
    case = drv.start(JE, JE_STARTER, JE_TEAM, drv.moment(start, 0, 9))
    steps: list[tuple[str, float, Callable[[datetime], dict]]] = [
        ("aufnahme", 0.1, lambda w: _je_aufnahme(person, w)),
        ("situation", 2, lambda w: _je_situation(person)),
        ("faehigkeiten", 6, lambda w: {
            "staerken": person.strengths,
            "sprachkenntnisse": [{"sprache": s, "niveau": n} for s, n in person.languages],
            "schulbildung": "Schulbesuch im Herkunftsland", "anerkennung": "offen", "interessen": "Handwerk, Pflege",
            "bedarfe": "Sprachförderung, Orientierung im Ausbildungssystem"}),
        ("fallkonferenz", 12, lambda w: {
            "fallkonferenz_datum": _day(w),
            "fallkonferenz_teilnehmende": "Die junge Person, JMD, Jobcenter, Integrationsmanagement",
            "zustaendigkeiten": [{"akteur": "JMD", "verantwortung": "Sprachkurs vermitteln und begleiten"},
                                 {"akteur": "Jobcenter", "verantwortung": "Förderung der Berufsvorbereitung prüfen"}]}),
        ("integrationsplan", 16, _je_plan),
        ("angebote", 20, lambda w: {"angebote": [
            {"art": "sprachkurs", "bezeichnung": "Berufssprachkurs B1", "traeger": "Volkshochschule",
             "status": "angenommen", "datum": _day(w)},
            {"art": "berufsvorbereitung", "bezeichnung": "Berufsorientierung Handwerk", "traeger": "Bildungswerk",
             "status": "vorgeschlagen"},
            # the seed's aim, an offer of training or employment (counted by the alliance figures)
            {"art": "ausbildung", "bezeichnung": "Einstiegsqualifizierung im Handwerk",
             "traeger": "Kreishandwerkerschaft", "status": "vorgeschlagen",
             "datum": _day(w, -((len(person.first) + len(person.last)) % 9))}]}),
    ]
    for bpmn_id, day, data in steps:
        if rank <= JE_STAGES.index(bpmn_id):
            return
        when = drv.moment(start, day, 11)
        drv.complete(case, bpmn_id, JE_STARTER, data(when), when)
    reviews = 0
    while stage != "laufend":
        due = case.next_timer_due
        if due is None or aware(due) > drv.now - timedelta(hours=12):
            return  # waiting for the next review
        drv.fire_timers(case, aware(due) + timedelta(minutes=1))
        if stage == "ueberpruefung":
            return  # the review is open
        when = drv.moment(aware(due), 2, 10)
        reviews += 1
        closing = stage in ("abschluss_offen", "abgeschlossen") and reviews >= 2
        transitions = None
        if stage == "uebergang" and reviews == 1:  # recognised as a refugee: from the AsylbLG into SGB II
            transitions = [{"art": "asylblg_sgb2", "datum": _day(when, -5), "notiz": "Anerkennung erhalten",
                            "erledigt": ["asylblg_sgb2:antrag_jobcenter", "asylblg_sgb2:krankenversicherung"]}]
        weiter = "abschliessen" if closing else "fortsetzen"
        drv.complete(case, "ueberpruefung", JE_STARTER, _je_review(case, when, weiter, transitions), when)
        if closing:
            break
        if stage == "uebergang" and reviews >= 1:
            return
    if stage != "abgeschlossen":
        return
    when = drv.moment(when, 5, 11)
    drv.complete(case, "abschluss", JE_STARTER, {
        "abschluss_datum": _day(when), "ergebnis": "ausbildung",
        "anschluss": "Ausbildung zum Anlagenmechaniker, der Betrieb und der JMD begleiten weiter",
        "reflexion": "Ziele erreicht, die junge Person ist zufrieden"}, when)


# --- loading ------------------------------------------------------------------------------------

def demo_titles() -> list[str]:
    return ([f.name for f in FAMILIES] + [f"{c.first} {c.last}" for c in CLIENTS if c.consent]
            + [f"{p.first} {p.last}" for p in YOUNG_ADULTS])


def demo_cases_exist() -> bool:
    return db.session.scalar(select(ProcessInstance.id).where(ProcessInstance.title.in_(demo_titles()))
                             .limit(1)) is not None


def load_demo_cases(now: datetime | None = None) -> int:
    """Create the demo cases (idempotent: nothing if they exist); returns how many were created.

    Needs the demo accounts and the shipped processes (``flask demo load`` loads them first) and a
    request context (the task forms are validated as in the browser). Only flushes.
    """
    if demo_cases_exist():
        return 0
    drv = Driver(now=(now or utcnow()).replace(microsecond=0))
    drv.users = {u.username: u for u in db.session.scalars(select(User))}
    drv.teams = {t.key: t for t in db.session.scalars(select(Team))}
    drv.models = {m.key: m for m in db.session.scalars(select(ProcessModel).where(
        ProcessModel.key.in_([AB, MBE, JE]), ProcessModel.versions.any()))}
    missing = {AB, MBE, JE} - set(drv.models)
    if missing:
        raise DemoDataError(f"process models missing: {sorted(missing)} (run flask processes sync)")
    for index, (family, (stage, days_ago)) in enumerate(zip(FAMILIES, AB_PLAN, strict=True)):
        _alltagsbegleitung(drv, index, family, stage, days_ago)
    for index, (client, (stage, days_ago)) in enumerate(zip(CLIENTS, MBE_PLAN, strict=True)):
        _mbe(drv, index, client, stage, days_ago)
    for person, (stage, days_ago) in zip(YOUNG_ADULTS, JE_PLAN, strict=True):
        _junge_erwachsene(drv, person, stage, days_ago)
    db.session.flush()
    demo_cases_loaded.send(None, instances=list(drv.created), users=drv.users, now=drv.now)
    return len(drv.created)
