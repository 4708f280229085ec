"""The statistics as titled tables: one source for the page, its charts, CSV and XLSX."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.statistics.charts import bar_chart
from app.web.formatting import datum, zahl

OUTCOME_LABELS = {
    "beenden": _l("Einsatz beendet"),
    "fortfuehren": _l("Einsatz fortgeführt"),
    "ueberleiten": _l("In eine andere Maßnahme übergeleitet"),
    "krise_beendet": _l("Wegen einer Krise beendet"),
    "abgeschlossen": _l("Abgeschlossen"),
    "beendet": _l("Beendet"),
    # Junge Erwachsene (forms/junge_erwachsene.py ERGEBNISSE, NICHT_ZUSTAENDIG)
    "ausbildung": _l("Ausbildung aufgenommen"),
    "beschaeftigung": _l("Beschäftigung aufgenommen"),
    "schule": _l("Schulbesuch aufgenommen"),
    "kurs": _l("Kurs / Maßnahme aufgenommen"),
    "verzogen": _l("Verzogen"),
    "sonstiges": _l("Sonstiges"),
    "nicht_zustaendig": _l("Nicht zuständig (verwiesen)"),
}


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    chart_value: int | None = None  # index of the column the chart shows (None: no chart)
    chart_unit: str = ""
    note: str = ""

    def chart(self):
        if self.chart_value is None:
            return None
        labels = [" – ".join(str(c) for c in row[: self._label_columns()]) for row in self.rows]
        items = [(label, row[self.chart_value] or 0) for label, row in zip(labels, self.rows, strict=True)]
        return bar_chart(f"chart-{self.key}", self.title, items, self.chart_unit,
                         empty_text=_("Keine Daten im gewählten Zeitraum."))

    def _label_columns(self) -> int:
        """Leading text columns that name a row (e.g. process and step)."""
        count = 0
        for index, _column in enumerate(self.columns):
            if index == self.chart_value or not all(isinstance(r[index], str) for r in self.rows):
                break
            count += 1
        return max(count, 1)


def outcome_label(value: str) -> str:
    return str(OUTCOME_LABELS.get(value, value or _("ohne Angabe")))


def _period(stats: dict) -> str:
    """The period in the reader's date format ("01.01.2026 – 04.12.2026"), not ISO."""
    return f"{datum(stats['period']['from'])} – {datum(stats['period']['to'])}"


def _minutes(value: float | None) -> float | str:
    return "–" if value is None else value


def overview(stats: dict) -> Table:
    crises = stats["crises"]
    return Table("ueberblick", _("Überblick"), [_("Kennzahl"), _("Wert")], [
        [_("Zeitraum"), _period(stats)],
        [_("Teams"), ", ".join(t["name"] for t in stats["teams"])],
        [_("Begonnene Fälle"), sum(r["count"] for r in stats["cases_started"])],
        [_("Abgeschlossene Fälle"), sum(r["count"] for r in stats["cases_closed"])],
        [_("Offene Aufgaben (Stand jetzt)"), stats["open_tasks"]["total"]],
        [_("davon überfällig"), stats["open_tasks"]["overdue"]],
        [_("Gemeldete Krisen"), crises["reported"]],
        [_("Beratungen insgesamt"), stats["consultations"]["total"]],
        [_("Beratungsgespräche im Fall-Journal"), stats["journal"]["sessions"]],
        [_("Hausbesuche insgesamt"), stats["home_visits"]["total"]],
        [_("Hausbesuche je Woche (Durchschnitt)"), stats["home_visits"]["per_week"]],
        [_("Veranstaltungen"), stats["events"]["count"]],
        [_("Teilnehmende an Veranstaltungen"), stats["events"]["participants"]],
    ])


def all_tables(stats: dict) -> list[Table]:
    crises = stats["crises"]
    return [
        overview(stats),
        Table("faelle_begonnen", _("Begonnene Fälle nach Verfahren"), [_("Verfahren"), _("Anzahl")],
              [[r["name"], r["count"]] for r in stats["cases_started"]], chart_value=1),
        Table("faelle_abgeschlossen", _("Abgeschlossene Fälle nach Ergebnis"),
              [_("Verfahren"), _("Ergebnis"), _("Anzahl")],
              [[r["name"], outcome_label(r["outcome"]), r["count"]] for r in stats["cases_closed"]], chart_value=2),
        Table("offene_aufgaben", _("Offene Aufgaben je Schritt (Stand jetzt)"),
              [_("Verfahren"), _("Schritt"), _("Offen"), _("davon überfällig")],
              [[r["process"], r["title"], r["open"], r["overdue"]] for r in stats["open_tasks"]["by_step"]],
              chart_value=2),
        Table("krisen", _("Krisen und Zeit bis zur Kenntnisnahme"), [_("Kennzahl"), _("Wert")], [
            [_("Gemeldete Krisen"), crises["reported"]],
            [_("Zur Kenntnis genommen"), crises["acknowledged"]],
            [_("An die Leitung eskaliert"), crises["escalated"]],
            [_("Offene Krisenaufgaben (Stand jetzt)"), crises["open_crisis_tasks"]],
            [_("Minuten bis zur Kenntnisnahme, Mittelwert"), _minutes(crises["ack_minutes_mean"])],
            [_("Minuten bis zur Kenntnisnahme, Median"), _minutes(crises["ack_minutes_median"])],
        ]),
        Table("dauer_schritte", _("Bearbeitungsdauer je Schritt"),
              [_("Verfahren"), _("Schritt"), _("Erledigt"), _("Mittelwert (Stunden)"), _("Median (Stunden)")],
              [[r["process"], r["title"], r["completed"], r["mean_hours"], r["median_hours"]]
               for r in stats["step_durations"]], chart_value=4, chart_unit=_("Std.")),
        *counselling_tables(stats),
        *journal_tables(stats),
    ]


def journal_tables(stats: dict) -> list[Table]:
    journal = stats["journal"]
    return [
        Table("journal_art", _("Journaleinträge nach Art"), [_("Art"), _("Anzahl")],
              [[r["label"], r["count"]] for r in journal["by_kind"]], chart_value=1,
              note=_("Gespräche, Telefonate und Hausbesuche zählen als Beratungsgespräche.")),
        Table("journal_thema", _("Beratungsgespräche im Fall-Journal nach Thema"), [_("Thema"), _("Anzahl")],
              [[r["label"], r["count"]] for r in journal["by_topic"]], chart_value=1,
              note=_("Ein Gespräch kann mehrere Themen haben.")),
    ]


def counselling_tables(stats: dict) -> list[Table]:
    return [
        Table("beratungen_thema", _("Beratungen nach Thema"), [_("Thema"), _("Anzahl")],
              [[r["label"], r["count"]] for r in stats["consultations"]["by_topic"]], chart_value=1,
              note=_("Eine Beratung kann mehrere Themen haben.")),
        Table("kontakte_art", _("Kontakte nach Art"), [_("Art"), _("Anzahl")],
              [[r["label"], r["count"]] for r in stats["consultations"]["by_kind"]], chart_value=1),
        Table("hausbesuche_woche", _("Hausbesuche je Kalenderwoche"), [_("Kalenderwoche"), _("Hausbesuche")],
              [[r["week"], r["count"]] for r in stats["home_visits"]["by_week"]], chart_value=1,
              note=_("Durchschnitt: %(n)s Hausbesuche je Woche.", n=zahl(stats["home_visits"]["per_week"]))),
        Table("veranstaltungen", _("Veranstaltungen und Teilnehmende"),
              [_("Art der Veranstaltung"), _("Anzahl"), _("Teilnehmende")],
              [[r["label"], r["count"], r["participants"]] for r in stats["events"]["by_type"]], chart_value=1),
        Table("arbeitszeit", _("Anteil der Arbeitszeit nach Tätigkeit"),
              [_("Tätigkeit"), _("Minuten"), _("Anteil (%)")],
              [[r["label"], r["minutes"], r["share_percent"]] for r in stats["working_time"]["by_activity"]],
              chart_value=2, chart_unit="%"),
    ]


def annual_tables(stats: dict, year: int) -> list[Table]:
    """The seed-002 style annual report: consultations by topic, home visits a week, events."""
    summary = Table("jahresbericht", _("Jahresbericht %(year)s", year=year), [_("Kennzahl"), _("Wert")], [
        [_("Zeitraum"), _period(stats)],
        [_("Teams"), ", ".join(t["name"] for t in stats["teams"])],
        [_("Beratungen insgesamt"), stats["consultations"]["total"]],
        [_("Beratungsgespräche im Fall-Journal"), stats["journal"]["sessions"]],
        [_("Hausbesuche insgesamt"), stats["home_visits"]["total"]],
        [_("Hausbesuche je Woche (Durchschnitt)"), stats["home_visits"]["per_week"]],
        [_("Veranstaltungen"), stats["events"]["count"]],
        [_("Teilnehmende an Veranstaltungen"), stats["events"]["participants"]],
    ])
    tables = [*counselling_tables(stats), *journal_tables(stats)]
    # The working-time shares of the annual report come from every source (work_share_tables).
    keep = ("beratungen_thema", "veranstaltungen", "kontakte_art", "journal_art", "journal_thema")
    return [summary, *[t for t in tables if t.key in keep]]


def work_share_tables(shares) -> list[Table]:
    """Shares of the working time per activity (percent, one decimal) per team and per person
    (``app.worktime.activities.Shares``), for the annual report's workbook."""
    columns = [f"{label} (%)" for _key, label in shares.activities]

    def rows(items) -> list[list]:
        return [[row.label, *[round(row.share(key), 1) for key, _label in shares.activities], round(row.hours, 2)]
                for row in items]

    return [
        Table("anteile_team", _("Arbeitszeitanteile je Team"), [_("Team"), *columns, _("Stunden insgesamt")],
              rows(shares.teams)),
        Table("anteile_person", _("Arbeitszeitanteile je Person"), [_("Person"), *columns, _("Stunden insgesamt")],
              rows(shares.people)),
    ]
