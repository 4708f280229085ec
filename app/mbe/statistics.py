"""MBE statistics for the team lead: aggregated counts over the anonymous rows, small counts masked.

Disclosure control (issue 14): nobody may be singled out by a published figure.

* Period: only whole calendar months (from the first of a month to the last day of a month, at
  least one month; checked by app/mbe/forms.py StatisticsForm, 422 on the page and in the API).
  Two adjacent one-day periods can no longer isolate one case: the difference of two permitted
  periods is at least one whole month, itself a permitted and protected query. Known limit: the
  suppression is decided per query; masked cells of overlapping multi-month queries are not
  kept consistent with each other (e.g. "Jan-Feb: 4" next to "Jan: < 3" and "Feb: < 3" tells
  2 + 2). That would need a fixed hierarchy of publication periods or noise.
* Primary suppression: a count of 1 or 2 is shown as "< 3".
* Secondary suppression: the case tables (age group, gender, country, residence status, kind of
  support) each add up to the published number of cases. A masked cell could then be computed as
  the total minus the visible cells. :func:`suppress` plays the attacker: it narrows every cell
  to an interval (visible: its value, "< 3": 1..2, "x": 3 or more) and propagates the sum
  constraints of all tables that share the total, until nothing changes. As long as any masked
  cell (or the masked total) is pinned to one value, it masks the smallest visible non-zero cell
  of an affected table as "x" (the usual "next smallest cell" rule); with no visible cell left in
  that table it masks the total as "x". If even that leaves a value pinned (e.g. fewer than 3
  cases), the breakdowns that give it away are withheld altogether (not even their rows are
  listed: the number of rows alone would tell 2 cases = 1 + 1) and the others are decided again.
  The same decision feeds the page, the CSV and the API. The method lives in app/suppression.py
  (shared with the alliance figures of the young adults' case management).
* The other tables (topics of sessions, journal entries by kind, closing reasons, goals) publish
  no total and share none with another table, so primary suppression is enough there.
* MBE figures appear only here: the municipal statistics (app/statistics/) leave out every case
  of a confidential process model.

A case counts in a period when it was running at some time in it (started by the end of the
period, not ended before its start) and its Erstkontakt is done. Topics count counselling
sessions held in the period (the Beratung steps and the journal's Gespräche, Telefonate and
Hausbesuche); goals count each goal by its latest assessment made in the period;
closing reasons count cases ended in the period.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from app.engine.models import ProcessInstance
from app.exports import csv_writer
from app.extensions import db
from app.journal.services import report_figures as journal_figures
from app.mbe.models import MbeCaseStat, MbeStatFact
from app.suppression import LEGEND as LEGEND
from app.suppression import MASK as MASK
from app.suppression import PRIMARY, VISIBLE, WITHHELD, Group, Key, mask, month_end, shown, suppress
from app.suppression import SECONDARY as SECONDARY
from app.suppression import WITHHELD_NOTE as WITHHELD_NOTE
from app.timeutil import day_bounds

CASE_TABLES = ("altersgruppe", "geschlecht", "herkunftsland", "aufenthaltsstatus", "art")
TOTAL = ("cases", "")

LABELS = {
    "altersgruppe": {"unter_27": _l("unter 27"), "27_34": _l("27 bis 34"), "35_44": _l("35 bis 44"),
                     "45_54": _l("45 bis 54"), "55_64": _l("55 bis 64"), "65_plus": _l("65 und älter"),
                     "unbekannt": _l("ohne Angabe")},
    "geschlecht": {"w": _l("weiblich"), "m": _l("männlich"), "d": _l("divers"),
                   "keine_angabe": _l("keine Angabe"), "unbekannt": _l("ohne Angabe")},
    "aufenthaltsstatus": {"p44": _l("Aufenthaltstitel nach § 44 AufenthG"), "spaetaussiedler": _l("Spätaussiedler/in"),
                          "angehoerige_spaetaussiedler": _l("Angehörige von Spätaussiedler/innen"),
                          "langansaessig": _l("länger hier lebend"), "sonstige": _l("sonstiger Status"),
                          "unbekannt": _l("ohne Angabe")},
    "art": {"beratung": _l("Beratung"), "case_management": _l("Case Management"),
            "verweis": _l("Verweisberatung")},
    "thema": {"aufenthalt": _l("Aufenthalt"), "sozialrecht": _l("Sozialrecht"), "arbeit": _l("Arbeit"),
              "bildung": _l("Bildung"), "familie": _l("Familie"),
              "familienzusammenfuehrung": _l("Familienzusammenführung"), "gesundheit": _l("Gesundheit"),
              "rassismus": _l("Rassismus, Diskriminierung"), "wohnen": _l("Wohnen"), "rueckkehr": _l("Rückkehr"),
              "ehrenamt": _l("Ehrenamt")},
    "bereich": {"aufenthalt": _l("Aufenthalt"), "sprache": _l("Sprache"), "arbeit": _l("Arbeit, Ausbildung"),
                "integrationsmassnahmen": _l("Integrationsmaßnahmen"),
                "gesundheit_altenhilfe": _l("Gesundheit, Altenhilfe"), "abschluss": _l("Berufs-/Schulabschluss"),
                "kindergarten": _l("Kindergarten"), "schule_kinder": _l("Schule der Kinder"),
                "psychosozial": _l("Psychosoziale Situation"), "lebensunterhalt": _l("Lebensunterhalt"),
                "soziale_leistungen": _l("Soziale Leistungen"), "lebensgestaltung": _l("Lebensgestaltung"),
                "partizipation": _l("Partizipation"), "weiterwanderung": _l("Weiterwanderung"),
                "rueckkehr": _l("Rückkehr"), "unbekannt": _l("ohne Angabe")},
    "status": {"erreicht": _l("erreicht"), "teilweise": _l("teilweise erreicht"),
               "nicht_erreicht": _l("nicht erreicht"), "angepasst": _l("angepasst")},
    "abschlussgrund": {"ziele_erreicht": _l("Ziele erreicht"), "anliegen_geklaert": _l("Anliegen geklärt"),
                       "uebergabe_regeldienst": _l("Übergabe an Regeldienst"),
                       "hoechstdauer_erreicht": _l("Höchstdauer (3 Jahre) erreicht"),
                       "kontaktabbruch": _l("Kontaktabbruch"), "umzug": _l("Umzug"), "sonstiges": _l("Sonstiges"),
                       "verweisberatung": _l("Verweisberatung (nicht zuständig)"),
                       "unbekannt": _l("ohne Angabe")},
}
GOAL_STATUSES = ["erreicht", "teilweise", "nicht_erreicht", "angepasst"]


def default_period(today: date) -> tuple[date, date]:
    """This year's January up to the end of the current month."""
    return date(today.year, 1, 1), month_end(today)


FROM_FIRST = _l("Die MBE-Statistik gilt nur für ganze Kalendermonate: "
                "Bitte als Beginn den Ersten eines Monats angeben.")
TO_LAST = _l("Die MBE-Statistik gilt nur für ganze Kalendermonate (mindestens einen Monat): "
             "Bitte als Ende den letzten Tag eines Monats angeben.")


def label(kind: str, value: str | None) -> str:
    value = value or "unbekannt"
    known = LABELS.get(kind, {}).get(value)
    return str(known) if known is not None else value


@dataclass
class Table:
    key: str
    title: str
    head: str
    rows: list[tuple[str, int]] = field(default_factory=list)  # (label, count)

    @property
    def total(self) -> int:
        return sum(count for _label, count in self.rows)


@dataclass
class GoalTable:
    rows: list[tuple[str, dict[str, int]]] = field(default_factory=list)  # (area label, status -> count)


@dataclass
class Report:
    start: date
    end: date
    cases: int
    tables: list[Table]
    goals: GoalTable
    status: dict[Key, str] = field(default_factory=dict)  # case total and case-table cells

    def protect(self) -> None:
        values: dict[Key, int] = {TOTAL: self.cases}
        groups: list[Group] = []
        for table in self.tables:
            if table.key in CASE_TABLES:
                cells = [(table.key, str(i)) for i in range(len(table.rows))]
                values.update({cell: n for cell, (_name, n) in zip(cells, table.rows, strict=True)})
                groups.append((TOTAL, cells))
        self.status = suppress(values, groups)

    def withheld(self, table: Table) -> bool:
        """Fewer than 3 cases: the breakdown is not published at all."""
        return any(self.status.get((table.key, str(i))) == WITHHELD for i in range(len(table.rows)))

    def shown_cases(self) -> str:
        return shown(self.cases, self.status.get(TOTAL, VISIBLE))

    def shown_rows(self, table: Table) -> list[tuple[str, str]]:
        """The table's rows as published: (label, "12" | "< 3" | "x")."""
        if self.withheld(table):
            return []  # not even the number of rows
        result = []
        for i, (name, count) in enumerate(table.rows):
            status = self.status.get((table.key, str(i)), PRIMARY if 0 < count < 3 else VISIBLE)
            result.append((name, shown(count, status)))
        return result

    def shown_goals(self) -> list[tuple[str, list[str]]]:
        return [(area, [mask(counts.get(s, 0)) for s in GOAL_STATUSES]) for area, counts in self.goals.rows]


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return day_bounds(start, end)  # office days (Berlin), not UTC days


def _active_cases(team_ids: list[int], start: date, end: date):
    low, high = _bounds(start, end)
    return (select(MbeCaseStat).join(ProcessInstance, ProcessInstance.id == MbeCaseStat.instance_id)
            .where(MbeCaseStat.team_id.in_(team_ids), ProcessInstance.started_at < high,
                   or_(ProcessInstance.ended_at.is_(None), ProcessInstance.ended_at >= low)))


def _grouped(query, column) -> list[tuple[str, int]]:
    sub = query.subquery()
    col = sub.c[column]
    rows = db.session.execute(select(col, func.count()).group_by(col).order_by(func.count().desc(), col)).all()
    return [(value, count) for value, count in rows]


def report(team_ids: list[int], start: date, end: date) -> Report:
    active = _active_cases(team_ids, start, end)
    cases = db.session.scalar(select(func.count()).select_from(active.subquery())) or 0
    tables = []
    for key, title, head in (
        ("altersgruppe", _l("Altersgruppen"), _l("Altersgruppe")),
        ("geschlecht", _l("Geschlecht"), _l("Geschlecht")),
        ("herkunftsland", _l("Herkunftsländer"), _l("Herkunftsland")),
        ("aufenthaltsstatus", _l("Aufenthaltsstatus"), _l("Aufenthaltsstatus")),
        ("art", _l("Beratung und Case Management"), _l("Art der Unterstützung")),
    ):
        rows = [(label(key, v), n) for v, n in _grouped(active, key)]
        tables.append(Table(key, str(title), str(head), rows))

    topics = db.session.execute(
        select(MbeStatFact.value, func.count()).where(
            MbeStatFact.team_id.in_(team_ids), MbeStatFact.kind == "thema",
            MbeStatFact.day >= start, MbeStatFact.day <= end)
        .group_by(MbeStatFact.value).order_by(func.count().desc(), MbeStatFact.value)).all()
    # Sessions written into the case journal between the steps count like the Beratung steps.
    journal = journal_figures(team_ids, start, end, process="mbe_beratung")
    by_topic = dict(topics)
    for row in journal["by_topic"]:
        by_topic[row["topic"]] = by_topic.get(row["topic"], 0) + row["count"]
    topic_rows = sorted(by_topic.items(), key=lambda item: (-item[1], item[0]))
    tables.append(Table("thema", str(_l("Themen der Beratungsgespräche")), str(_l("Thema")),
                        [(label("thema", v), n) for v, n in topic_rows]))
    tables.append(Table("journal", str(_l("Einträge im Fall-Journal nach Art")), str(_l("Art")),
                        [(r["label"], r["count"]) for r in journal["by_kind"] if r["count"]]))

    low, high = _bounds(start, end)
    closed = (select(MbeCaseStat).join(ProcessInstance, ProcessInstance.id == MbeCaseStat.instance_id)
              .where(MbeCaseStat.team_id.in_(team_ids), ProcessInstance.ended_at >= low,
                     ProcessInstance.ended_at < high))
    tables.append(Table("abschlussgrund", str(_l("Abschlussgründe (im Zeitraum beendete Fälle)")),
                        str(_l("Abschlussgrund")),
                        [(label("abschlussgrund", v), n) for v, n in _grouped(closed, "abschlussgrund")]))

    goal_rows = db.session.execute(
        select(MbeStatFact.category, MbeStatFact.value, func.count()).where(
            MbeStatFact.team_id.in_(team_ids), MbeStatFact.kind == "ziel",
            MbeStatFact.day >= start, MbeStatFact.day <= end)
        .group_by(MbeStatFact.category, MbeStatFact.value).order_by(MbeStatFact.category)).all()
    by_area: dict[str, dict[str, int]] = {}
    for area, status, count in goal_rows:
        by_area.setdefault(area, {})[status] = count
    goals = GoalTable([(label("bereich", area), counts) for area, counts in by_area.items()])
    rep = Report(start, end, cases, tables, goals)
    rep.protect()
    return rep


def to_csv(rep: Report) -> str:
    """The report as CSV (semicolon separated, as German spreadsheets expect), masked the same way."""
    out = io.StringIO()
    writer = csv_writer(out)  # user text stays text (app/exports.py)
    writer.writerow([str(_l("Zeitraum")), rep.start.isoformat(), rep.end.isoformat()])
    writer.writerow([str(_l("Fälle im Zeitraum")), rep.shown_cases()])
    for table in rep.tables:
        writer.writerow([])
        writer.writerow([table.title, str(_l("Anzahl"))])
        for name, value in rep.shown_rows(table):
            writer.writerow([name, value])
        if rep.withheld(table):
            writer.writerow([str(WITHHELD_NOTE)])
    writer.writerow([])
    writer.writerow([str(_l("Ziele nach Bereich")), *[label("status", s) for s in GOAL_STATUSES]])
    for area, values in rep.shown_goals():
        writer.writerow([area, *values])
    writer.writerow([])
    writer.writerow([str(LEGEND)])
    return out.getvalue()
