"""The alliance figures (Bündniskerngruppe) of a period of whole calendar months, masked.

What counts (all over the anonymous rows of app/alliance/models.py, for the caller's teams):

* **Target group**: young adults' cases of the target group (intake done, 18 to 27) running at
  some time in the period (started by its end, not ended before its start; cases withdrawn as
  started by mistake count nowhere), by their *current* residence status and benefits system
  (for a closed case: as at its closing). Both tables add up to the number of people.
* **Offer of training or employment** (the seed's aim): of those people, how many had received
  one by the end of the period (an offer of kind Ausbildung or Beschäftigung proposed, taken up or
  completed; declined ones do not count; once received it stays received) — and how many not yet.
  The share in percent is shown only when both numbers it is made of are shown.
* **Time from intake to the first such offer**: median and quartiles in days over those people
  (an offer before the intake counts as 0 days); withheld below 3 people. The number of people it
  is computed over is the "received" count above (so it is not shown a second time).
* **Transitions** between legal systems recorded (reviewed) in the period, per type: counts of
  events, not of people, with no total; "< 3" masking is enough there.
* **Outcomes** of the cases closed in the period; they add up to the number of closed cases.

Disclosure control is the shared one of app/suppression.py: primary "< 3" and secondary "x"
over every group of cells with a published total (target group × status, × benefits system,
× offer received; closed cases × outcome), decided once per report and used by the page, the
CSV export and the API alike. Periods are whole calendar months (app/mbe/forms.py StatisticsForm
with this page's messages), so two permitted periods never isolate less than a month; the known
limit of the MBE statistics applies here too (masking is decided per query, not kept consistent
across overlapping multi-month queries).

Why a facts table (and not the JSON case data): the offers in the case data may lack a date, are
rewritten at each review (a proposal can become "declined" later), and the residence status
changes with transitions — the completion hook keeps the first offer's day and the current
categories in one indexed row per case, so the figures are plain GROUP BY queries. The quartiles
are computed in Python over the bounded list of day counts of the period's people (one small
integer per person; SQLite has no percentile function).
"""

from __future__ import annotations

import io
import statistics
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from app.alliance.models import UNKNOWN, AllianceCaseFact
from app.engine.models import TERMINATED, CaseEvent, ProcessInstance
from app.exports import csv_writer
from app.extensions import db
from app.suppression import LEGEND, PRIMARY, VISIBLE, WITHHELD, WITHHELD_NOTE, Group, Key, shown, suppress
from app.timeutil import day_bounds
from app.web.formatting import csv_zahl
from forms.junge_erwachsene import AUFENTHALTSSTATUS, ERGEBNISSE, LEISTUNGSSYSTEME, UEBERGAENGE

TOTAL: Key = ("personen", "")
CLOSED: Key = ("abgeschlossen", "")
EVENT_PREFIX = "uebergang_"
MIN_PEOPLE_FOR_MEDIAN = 3

FROM_FIRST = _l("Die Zahlen für das Bündnis gelten nur für ganze Kalendermonate: "
                "Bitte als Beginn den Ersten eines Monats angeben.")
TO_LAST = _l("Die Zahlen für das Bündnis gelten nur für ganze Kalendermonate (mindestens einen Monat): "
             "Bitte als Ende den letzten Tag eines Monats angeben.")
MEDIAN_WITHHELD = _l("Bei weniger als 3 Personen mit Angebot wird keine Dauer angegeben.")

OFFER_ROWS = [("erhalten", _l("Angebot zur Ausbildung oder Beschäftigung erhalten")),
              ("offen", _l("noch ohne solches Angebot"))]
OUTCOME_LABELS = [*ERGEBNISSE, (TERMINATED, _l("vorzeitig beendet"))]


@dataclass
class Breakdown:
    """Counts of one category; ``total`` names the published total the rows add up to (None:
    no total, primary masking only)."""

    key: str
    title: str
    head: str
    rows: list[tuple[str, str, int]] = field(default_factory=list)  # (value, label, count)
    total: Key | None = TOTAL

    def cells(self) -> list[Key]:
        return [(self.key, value) for value, _label, _count in self.rows]


@dataclass
class Duration:
    """Days from intake to the first offer: None when withheld (fewer than 3 people)."""

    median: float | None = None
    q1: float | None = None
    q3: float | None = None

    @property
    def withheld(self) -> bool:
        return self.median is None


@dataclass
class Report:
    start: date
    end: date
    people: int
    closed: int
    tables: list[Breakdown]
    duration: Duration
    status: dict[Key, str] = field(default_factory=dict)

    def protect(self) -> None:
        values: dict[Key, int] = {TOTAL: self.people, CLOSED: self.closed}
        groups: list[Group] = []
        for table in self.tables:
            values.update({(table.key, value): n for value, _label, n in table.rows})
            if table.total is not None:
                groups.append((table.total, table.cells()))
        self.status = suppress(values, groups)

    def table(self, key: str) -> Breakdown:
        return next(t for t in self.tables if t.key == key)

    def withheld(self, table: Breakdown) -> bool:
        return any(self.status.get(cell) == WITHHELD for cell in table.cells())

    def _shown(self, key: Key, count: int) -> str:
        return shown(count, self.status.get(key, PRIMARY if 0 < count < 3 else VISIBLE))

    def shown_people(self) -> str:
        return self._shown(TOTAL, self.people)

    def shown_closed(self) -> str:
        return self._shown(CLOSED, self.closed)

    def shown_rows(self, table: Breakdown) -> list[tuple[str, str]]:
        """The rows as published: (label, "12" | "0" | "< 3" | "x"); none when withheld."""
        if self.withheld(table):
            return []  # not even the rows: their number alone could tell
        return [(label, self._shown((table.key, value), n)) for value, label, n in table.rows]

    def visible_items(self, table: Breakdown) -> list[tuple[str, float]]:
        """The rows whose number is shown, for the chart (masked rows are only in the table)."""
        if self.withheld(table):
            return []
        return [(label, float(n)) for value, label, n in table.rows
                if self.status.get((table.key, value), PRIMARY if 0 < n < 3 else VISIBLE) == VISIBLE]

    def has_chart(self, table: Breakdown) -> bool:
        """A chart only when it shows something: a shown number above 0."""
        return any(n > 0 for _label, n in self.visible_items(table))

    def offer_share(self) -> float | None:
        """Percent of the people who received an offer; None when either number is not shown."""
        offered = ("angebot", "erhalten")
        if self.people == 0 or self.status.get(TOTAL) != VISIBLE or self.status.get(offered) != VISIBLE:
            return None
        count = next(n for value, _label, n in self.table("angebot").rows if value == "erhalten")
        return round(100 * count / self.people, 1)


def _labels(pairs) -> list[tuple[str, str]]:
    return [(key, str(label)) for key, label in pairs]


def _rows(counts: dict[str, int], known: list[tuple[str, str]]) -> list[tuple[str, str, int]]:
    """Every known category in its fixed order (zeros too), then any other value that occurs."""
    rows = [(key, label, counts.get(key, 0)) for key, label in known]
    names = dict(known)
    extra = sorted(k for k in counts if k not in names and counts[k])
    return rows + [(k, str(_l("ohne Angabe")) if k == UNKNOWN else k, counts[k]) for k in extra]


def _grouped(query, column) -> dict[str, int]:
    sub = query.subquery()
    col = sub.c[column]
    return {value: count for value, count in db.session.execute(select(col, func.count()).group_by(col)).all()}


def report(team_ids: list[int], start: date, end: date) -> Report:
    low, high = day_bounds(start, end)  # office days (Berlin), not UTC days
    facts = (select(AllianceCaseFact)
             .join(ProcessInstance, ProcessInstance.id == AllianceCaseFact.instance_id)
             .where(AllianceCaseFact.team_id.in_(team_ids)))
    active = facts.where(ProcessInstance.started_at < high,
                         or_(ProcessInstance.ended_at.is_(None), ProcessInstance.ended_at >= low))
    closed = facts.where(ProcessInstance.ended_at >= low, ProcessInstance.ended_at < high)
    people = db.session.scalar(select(func.count()).select_from(active.subquery())) or 0
    closed_count = db.session.scalar(select(func.count()).select_from(closed.subquery())) or 0

    tables = [
        Breakdown("aufenthaltsstatus", str(_l("Personen nach Aufenthaltsstatus")), str(_l("Aufenthaltsstatus")),
                  _rows(_grouped(active, "aufenthaltsstatus"), _labels(AUFENTHALTSSTATUS))),
        Breakdown("leistungssystem", str(_l("Personen nach Leistungssystem")), str(_l("Leistungssystem")),
                  _rows(_grouped(active, "leistungssystem"), _labels(LEISTUNGSSYSTEME))),
    ]

    sub = active.subquery()
    offered_days = db.session.execute(
        select(sub.c.aufnahme_datum, sub.c.erstes_angebot)
        .where(sub.c.erstes_angebot.is_not(None), sub.c.erstes_angebot <= end)).all()
    offered = len(offered_days)
    tables.append(Breakdown("angebot", str(_l("Angebot zur Ausbildung oder Beschäftigung bis zum Ende des Zeitraums")),
                            str(_l("Stand")), [(k, str(label), n) for (k, label), n
                                               in zip(OFFER_ROWS, (offered, people - offered), strict=True)]))

    transitions = dict(db.session.execute(
        select(CaseEvent.kind, func.count(CaseEvent.id))
        .join(AllianceCaseFact, AllianceCaseFact.instance_id == CaseEvent.instance_id)
        .where(AllianceCaseFact.team_id.in_(team_ids), CaseEvent.kind.startswith(EVENT_PREFIX),
               CaseEvent.created_at >= low, CaseEvent.created_at < high)
        .group_by(CaseEvent.kind)).all())
    tables.append(Breakdown(
        "uebergang", str(_l("Übergänge zwischen den Rechtskreisen (im Zeitraum erfasst)")), str(_l("Übergang")),
        [(key, str(spec["label"]), transitions.get(f"{EVENT_PREFIX}{key}", 0)) for key, spec in UEBERGAENGE.items()],
        total=None))
    tables.append(Breakdown("ergebnis", str(_l("Ergebnisse der im Zeitraum abgeschlossenen Begleitungen")),
                            str(_l("Ergebnis")), _rows(_grouped(closed, "ergebnis"), _labels(OUTCOME_LABELS)),
                            total=CLOSED))

    days = sorted(max((offer - intake).days, 0) for intake, offer in offered_days if intake is not None)
    duration = Duration()
    if len(days) >= MIN_PEOPLE_FOR_MEDIAN:
        q1, median, q3 = statistics.quantiles(days, n=4, method="inclusive")
        duration = Duration(median=median, q1=q1, q3=q3)
    rep = Report(start, end, people, closed_count, tables, duration)
    rep.protect()
    return rep


def to_csv(rep: Report) -> str:
    """The report as CSV (semicolon separated), masked exactly like the page."""
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow([str(_l("Zeitraum")), rep.start.isoformat(), rep.end.isoformat()])
    writer.writerow([str(_l("Personen der Zielgruppe im Zeitraum")), rep.shown_people()])
    share = rep.offer_share()
    writer.writerow([str(_l("Anteil mit Angebot zur Ausbildung oder Beschäftigung (Prozent)")),
                     csv_zahl(share)])
    writer.writerow([str(_l("Im Zeitraum abgeschlossene Begleitungen")), rep.shown_closed()])
    for table in rep.tables:
        writer.writerow([])
        writer.writerow([table.title, str(_l("Anzahl"))])
        for name, value in rep.shown_rows(table):
            writer.writerow([name, value])
        if rep.withheld(table):
            writer.writerow([str(WITHHELD_NOTE)])
    writer.writerow([])
    writer.writerow([str(_l("Tage von der Aufnahme bis zum ersten Angebot")), str(_l("Median")),
                     str(_l("unteres Quartil")), str(_l("oberes Quartil"))])
    if rep.duration.withheld:
        writer.writerow([str(MEDIAN_WITHHELD)])
    else:
        writer.writerow(["", csv_zahl(rep.duration.median), csv_zahl(rep.duration.q1), csv_zahl(rep.duration.q3)])
    writer.writerow([])
    writer.writerow([str(LEGEND)])
    return out.getvalue()
