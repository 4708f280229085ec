"""Task forms of the procedure "Migrationsberatung für erwachsene Zuwanderer (MBE)" (seed 001).

Field names and choice values are a contract with the BPMN (``processes/mbe_beratung.bpmn``), the
decision table (``processes/mbe_berechtigung.dmn``) and the statistics (``/work/coord/mbe-contract.md``).
Lists that statistics count (``beratungen``, ``ziele``, ``ueberpruefungen``, ``ik_begleitungen``)
are built here from the case file, so the case file always holds the whole list.
"""

from __future__ import annotations

import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice  # type: ignore[attr-defined]  # stubs lag WTForms 3.3
from wtforms.fields import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import NumberRange, Optional, ValidationError

from forms.alltagsbegleitung import (
    INVALID_CHOICES,
    RequiredIf,
    _blank_raw,
    _choices,
    max_length,
    optional_value,
    required,
    required_value,
)
from forms.base import EntryCount, FormContext, StopOnInvalidInput, SubForm, TaskForm, parse_iso_date, strip_text

TEXT_MAX = 10000
MAX_GOALS = 15

# --- choice lists (values are the statistics contract) -------------------------------------

ZUGANGSWEGE = [
    ("persoenlich", _l("Persönlich in der Beratungsstelle")),
    ("telefon", _l("Telefon")),
    ("email", _l("E-Mail")),
    ("vermittlung", _l("Vermittlung durch eine andere Stelle")),
]
SPRACHEN = [
    ("deutsch", _l("Deutsch")), ("arabisch", _l("Arabisch")), ("franzoesisch", _l("Französisch")),
    ("englisch", _l("Englisch")), ("tuerkisch", _l("Türkisch")), ("russisch", _l("Russisch")),
    ("ukrainisch", _l("Ukrainisch")), ("sonstige", _l("Andere Sprache")),
]
GESCHLECHTER = [("w", _l("weiblich")), ("m", _l("männlich")), ("d", _l("divers")),
                ("keine_angabe", _l("keine Angabe"))]
AUFENTHALTSSTATUS = [
    ("p44", _l("Aufenthaltstitel nach § 44 AufenthG (dauerhafter Aufenthalt)")),
    ("spaetaussiedler", _l("Spätaussiedler:in")),
    ("angehoerige_spaetaussiedler", _l("Ehegatte bzw. Abkömmling von Spätaussiedler:innen")),
    ("langansaessig", _l("Bereits länger in Deutschland lebend")),
    ("sonstige", _l("Sonstiger Status")),
]
NEUZUWANDERUNG = {"p44", "spaetaussiedler", "angehoerige_spaetaussiedler"}
EINWILLIGUNG_UMFANG = [
    ("speicherung", _l("Speicherung der personenbezogenen Daten in der Beratungsstelle")),
    ("weitergabe", _l("Weitergabe an Netzwerkpartner im Einzelfall")),
    ("kontakt", _l("Kontaktaufnahme per Telefon oder Post")),
]
# Partner types sharing may be limited to (keys of app.network.models.PARTNER_TYPES; a test keeps them equal).
EINWILLIGUNG_PARTNERARTEN = [
    ("auslaenderbehoerde", _l("Ausländerbehörde")), ("jobcenter", _l("Jobcenter / Agentur für Arbeit")),
    ("integrationskurs", _l("Integrationskursträger")), ("schule", _l("Schule / Bildung")),
    ("jmd", _l("Jugendmigrationsdienst")), ("migrantenorganisation", _l("Migrantenorganisation")),
    ("beratungsstelle", _l("Beratungsstelle")), ("gesundheit", _l("Gesundheit")),
    ("verein", _l("Verein / Religionsgemeinschaft")), ("sonstige", _l("Sonstige")),
]
EINWILLIGUNG_FORM = [("schriftlich", _l("schriftlich")), ("muendlich", _l("mündlich")),
                     ("elektronisch", _l("elektronisch"))]
PERSONAL_FIELDS = ("vorname", "nachname", "geburtsdatum", "anschrift", "telefon")
# Stored only when the consent covers contact by phone or post ("kontakt").
CONTACT_FIELDS = ("anschrift", "telefon")

BERECHTIGUNG = [
    ("berechtigt", _l("berechtigt")),
    ("vorrangig", _l("berechtigt, vorrangig (§ 44a Abs. 1 Nr. 2 AufenthG)")),
    ("oeffnungsklausel", _l("nur in der Krise bei freier Kapazität (Öffnungsklausel)")),
    ("nicht_zustaendig", _l("nicht zuständig")),
]
VERWEISZIELE = [
    ("jmd", _l("Jugendmigrationsdienst (bis 27 Jahre)")),
    ("jobcenter", _l("Jobcenter")),
    ("auslaenderbehoerde", _l("Ausländerbehörde")),
    ("sozialamt", _l("Sozialamt")),
    ("sonstige", _l("Andere Stelle")),
]
THEMEN = [
    ("aufenthalt", _l("Fragen des Aufenthalts (Aufenthalts- und Asylrecht, BVFG)")),
    ("sozialrecht", _l("Sozialrechtliche Fragen / Leistungen")),
    ("arbeit", _l("Arbeitserlaubnis, Arbeitsmarktzugang, Arbeitsmarktintegration")),
    ("bildung", _l("Bildungssystem, Schule, Anerkennung von Abschlüssen, Ausbildung")),
    ("familie", _l("Familiäre Probleme")),
    ("familienzusammenfuehrung", _l("Familienzusammenführung")),
    ("gesundheit", _l("Gesundheitliche und psychosoziale Probleme")),
    ("rassismus", _l("Erfahrungen mit Rassismus und Ausgrenzung")),
    ("wohnen", _l("Wohnungssuche")),
    ("rueckkehr", _l("Freiwillige Rückkehr ins Heimatland")),
    ("ehrenamt", _l("Beratung und Begleitung von Ehrenamtlichen und Organisationen")),
]
WEITER = [
    ("beratung_fortsetzen", _l("Beratung fortsetzen (weiteres Gespräch)")),
    ("case_management", _l("Case Management beginnen")),
    ("abschliessen", _l("Beratung abschließen")),
]
ZIELBEREICHE = [
    ("aufenthalt", _l("Sicherung und Verfestigung des Aufenthaltsstatus")),
    ("sprache", _l("Deutschkenntnisse über den Integrationskurs hinaus")),
    ("arbeit", _l("Hinführung zur Eingliederung in den Arbeitsprozess")),
    ("integrationsmassnahmen", _l("Teilnahme an integrationsfördernden Maßnahmen")),
    ("gesundheit_altenhilfe", _l("Selbstständige Nutzung der Gesundheits- und Altenhilfe")),
    ("abschluss", _l("Qualifizierter Schul- oder Berufsabschluss")),
    ("kindergarten", _l("Kindergartenbesuch der Kinder")),
    ("schule_kinder", _l("Eingliederung der Kinder in das Schulsystem")),
    ("psychosozial", _l("Stärkung der psychosozialen Stabilität")),
    ("lebensunterhalt", _l("Selbstständige Sicherung des Lebensunterhalts")),
    ("soziale_leistungen", _l("Selbstständige Inanspruchnahme sozialer Leistungen")),
    ("lebensgestaltung", _l("Fähigkeit zur selbstständigen Lebensgestaltung")),
    ("partizipation", _l("Partizipation im gesellschaftlichen Umfeld")),
    ("weiterwanderung", _l("Informierte Aus- oder Weiterwanderungsentscheidung")),
    ("rueckkehr", _l("Informierte Rückkehrentscheidung und -planung")),
]
ZIELSTATUS = [
    ("offen", _l("offen")), ("erreicht", _l("erreicht")), ("teilweise", _l("teilweise erreicht")),
    ("nicht_erreicht", _l("nicht erreicht")), ("angepasst", _l("angepasst")),
]
REVIEW_STATUS = [pair for pair in ZIELSTATUS if pair[0] != "offen"]
UEBERPRUEFUNG_ERGEBNIS = [("fortsetzen", _l("Umsetzung fortsetzen")),
                          ("abschliessen", _l("Case Management abschließen"))]
ABBRUCHGEFAHR = [("keine", _l("keine erkennbar")), ("gering", _l("gering")), ("hoch", _l("hoch"))]
INTERVENTIONEN = [
    ("konfliktberatung", _l("Konfliktberatung und Krisenintervention")),
    ("psychosozial", _l("Individuelle psychosoziale Unterstützung")),
    ("alltag", _l("Hilfe in alltagspraktischen Fragen")),
    ("kinderbetreuung", _l("Kinderbetreuung während des Kurses")),
    ("materielle_versorgung", _l("Sicherung der materiellen Versorgung")),
    ("kursgebuehr", _l("Klärung der Finanzierung der Kursgebühr")),
    ("arbeitsmarkt", _l("Wege in Richtung Arbeitsmarkt")),
    ("anschluss", _l("Vorbereitung auf die Zeit nach dem Kurs")),
]
ABSCHLUSSGRUENDE = [
    ("ziele_erreicht", _l("Ziele erreicht")),
    ("anliegen_geklaert", _l("Anliegen geklärt (Beratung)")),
    ("uebergabe_regeldienst", _l("Übergabe an Regeldienste")),
    ("hoechstdauer_erreicht", _l("Höchstdauer von drei Jahren erreicht")),
    ("kontaktabbruch", _l("Kontaktabbruch durch die ratsuchende Person")),
    ("umzug", _l("Umzug / Wegzug")),
    ("sonstiges", _l("Sonstiger Grund")),
]
INDIKATOREN = [
    ("aufenthalt_gesichert", _l("Sicherung und Verfestigung des Aufenthaltsstatus")),
    ("lebensgestaltung", _l("Stärkung der Fähigkeit zur Lebensgestaltung im neuen Umfeld")),
    ("plan_umgesetzt", _l("Umsetzung des gemeinsam erarbeiteten Integrations-/Förder-/Hilfeplans")),
    ("ziele_erreicht", _l("Erreichung der im Rahmen der Beratung vereinbarten Ziele")),
    ("problemfelder_abgenommen", _l("Abnahme individueller Problemfelder")),
    ("existenzsicherung", _l("Zunahme der Fähigkeit, Beiträge zur eigenen Existenzsicherung zu leisten")),
    ("krise_gemeistert", _l("Erfolgreiche Meisterung von Krisensituationen, selbstständige Lebensbewältigung")),
    ("lebensunterhalt", _l("Sicherung des Lebensunterhaltes durch Erwerbstätigkeit oder Transferleistungen")),
    ("arbeitsmarkt_hinfuehrung", _l("Hinführung zu einer erfolgreichen Eingliederung in den Arbeitsmarkt")),
    ("arbeitsvermittlung", _l("Selbständige Inanspruchnahme der Arbeitsvermittlung")),
    ("berufsfoerderung", _l("Aufnahme in eine berufsfördernde Maßnahme")),
    ("bewerbung", _l("Selbständige Bewerbung auf dem Arbeitsmarkt")),
    ("arbeitsvertrag", _l("Abschluss eines Arbeitsvertrages")),
    ("gefoerderte_beschaeftigung", _l("Vermittlung in öffentlich geförderte Beschäftigung")),
    ("berufsabschluss", _l("Hinführung zu einem beruflichen Abschluss")),
    ("berufsberatung", _l("Vermittlung zur Berufsberatung")),
    ("ausbildung_beruf", _l("Vermittlung in Ausbildung oder Beruf")),
    ("integrationskurs", _l("Teilnahme an Integrationskursen nach Aufenthaltsgesetz")),
    ("andere_sprachkurse", _l("Teilnahme an anders finanzierten Sprachkursen (z. B. SGB III)")),
    ("anerkennung", _l("Anerkennung im Ausland erworbener Qualifikationen")),
    ("kurs_abschluss", _l("Kursteilnahme mit Kursabschluss")),
    ("teilnahmedisziplin", _l("Senkung der Abbrecherquote, bessere Teilnahmedisziplin")),
]


def _radio(label: Any, pairs: list, message: Any, **kw: Any) -> RadioField:
    return RadioField(label, [required(message)], choices=_choices(pairs),  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                      invalid_choice_message=_l("Bitte einen Wert aus der Liste wählen."), **kw)


def _select(label: Any, pairs: list, message: Any, **kw: Any) -> SelectField:
    return SelectField(label, [required(message)], choices=_choices(pairs),  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                       invalid_choice_message=_l("Bitte einen Wert aus der Liste wählen."), **kw)


def _text(label: Any, is_required: bool = False, limit: int = TEXT_MAX, area: bool = True, **kw: Any):
    cls = TextAreaField if area else StringField
    validators = [required() if is_required else Optional(), max_length(limit)]
    return cls(label, validators, filters=[strip_text], **kw)


def _not_future(form: TaskForm, field: DateField, what: Any) -> None:
    if field.data and field.data > form.ctx.today:
        raise ValidationError(_l("%(what)s darf nicht in der Zukunft liegen.", what=what))


def _today(ctx: FormContext, key: str) -> dict[str, Any]:
    return {key: ctx.today.isoformat()}


def years_between(start: datetime.date, end: datetime.date) -> float:
    """Calendar years from ``start`` to ``end``: whole years plus the fraction of the current one.

    Exactly on an anniversary the result is a whole number (three years to the day = 3.0), one
    day later it is larger — so "up to three years after entry" is ``<= 3``.
    """
    def anniversary(years: int) -> datetime.date:
        try:
            return start.replace(year=start.year + years)
        except ValueError:  # 29 February in a non-leap year
            return start.replace(year=start.year + years, day=28)

    if end < start:
        return 0.0
    whole = end.year - start.year
    if anniversary(whole) > end:
        whole -= 1
    last, following = anniversary(whole), anniversary(whole + 1)
    return round(whole + (end - last).days / (following - last).days, 4)


def _append(ctx: FormContext, key: str, entry: dict[str, Any]) -> list[dict[str, Any]]:
    value = ctx.data.get(key)
    existing = value if isinstance(value, list) else []
    return [*existing, entry]


# --- Erstkontakt / Clearing ---------------------------------------------------------------


class ErstkontaktForm(TaskForm):
    """First contact: concern, needs, consent; personal data only with recorded consent."""

    title = _l("Erstkontakt / Clearing")

    erstkontakt_datum = DateField(_l("Datum des Erstkontakts"), required_value(),
                                  description=_l("Ab diesem Tag läuft die Höchstdauer von drei Jahren."))
    zugangsweg = _radio(_l("Zugangsweg"), ZUGANGSWEGE, _l("Bitte den Zugangsweg wählen."))
    vermittelt_durch = StringField(
        _l("Vermittelt durch"),
        [RequiredIf("zugangsweg", "vermittlung", _l("Bitte angeben, welche Stelle vermittelt hat.")),
         max_length(200)], filters=[strip_text])
    anliegen = _text(_l("Anliegen"), True)
    problemlagen = _text(_l("Problemlagen"))
    bedarfe = _text(_l("Unterstützungsbedarfe"))
    erwartungen = _text(_l("Erwartungen der ratsuchenden Person"))
    beratungssprache = _select(_l("Sprache der Beratung"), SPRACHEN, _l("Bitte die Beratungssprache wählen."))

    einwilligung = BooleanField(
        _l("Einwilligung in die Speicherung personenbezogener Daten liegt vor"),
        description=_l("Ohne Einwilligung werden nur anonyme Angaben für die Statistik gespeichert."))
    einwilligung_datum = DateField(
        _l("Datum der Einwilligung"),
        [RequiredIf("einwilligung", True, _l("Bitte das Datum der Einwilligung angeben.")), StopOnInvalidInput()])
    einwilligung_umfang = SelectMultipleField(_l("Umfang der Einwilligung"), choices=_choices(EINWILLIGUNG_UMFANG),  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                                              invalid_choice_message=INVALID_CHOICES)
    einwilligung_partnerarten = SelectMultipleField(  # type: ignore[call-arg]  # stubs lag WTForms 3.3
        _l("Weitergabe nur an diese Arten von Partnern"), choices=_choices(EINWILLIGUNG_PARTNERARTEN),
        invalid_choice_message=INVALID_CHOICES,
        description=_l("Nur bei Weitergabe an Netzwerkpartner. Keine Auswahl: an alle Arten von Partnern."))
    einwilligung_bis = DateField(_l("Einwilligung gilt bis"), optional_value(),
                                 description=_l("Leer: ohne Befristung."))
    einwilligung_form = RadioField(_l("Form der Einwilligung"), [Optional()], choices=_choices(EINWILLIGUNG_FORM),  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                                   invalid_choice_message=_l("Bitte einen Wert aus der Liste wählen."))
    vorname = StringField(_l("Vorname"), [Optional(), max_length(120)], filters=[strip_text],
                          description=_l("Nur mit Einwilligung."))
    nachname = StringField(_l("Nachname"), [Optional(), max_length(120)], filters=[strip_text],
                           description=_l("Nur mit Einwilligung."))
    geburtsdatum = DateField(_l("Geburtsdatum"), optional_value(), description=_l("Nur mit Einwilligung."))
    anschrift = _text(_l("Anschrift"), limit=500, description=_l("Nur mit Einwilligung."))
    telefon = StringField(_l("Telefon"), [Optional(), max_length(60)], filters=[strip_text],
                          description=_l("Nur mit Einwilligung."))

    alter = IntegerField(_l("Alter (Jahre)"), [*required_value(), NumberRange(
        14, 120, message=_l("Bitte ein Alter zwischen 14 und 120 Jahren angeben."))],
        description=_l("Wird immer anonym für die Statistik gespeichert."))
    geschlecht = _radio(_l("Geschlecht"), GESCHLECHTER, _l("Bitte eine Angabe wählen."))
    herkunftsland = StringField(_l("Herkunftsland"), [required(), max_length(80)], filters=[strip_text])
    aufenthaltsstatus = _select(_l("Aufenthaltsstatus"), AUFENTHALTSSTATUS, _l("Bitte den Aufenthaltsstatus wählen."))
    einreise_oder_titel_datum = DateField(
        _l("Datum der Einreise bzw. des auf Dauer angelegten Aufenthaltstitels"), optional_value(),
        description=_l("Pflicht bei § 44 AufenthG und bei Spätaussiedler:innen und ihren Angehörigen."))
    krise = BooleanField(_l("Konkrete Krisensituation"))
    ik_verpflichtet = BooleanField(_l("Zur Teilnahme am Integrationskurs verpflichtet (§ 44a Abs. 1 Nr. 2 AufenthG)"))
    freie_kapazitaet = BooleanField(_l("Freie Beratungskapazität vorhanden"))

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        return {**_today(ctx, "erstkontakt_datum"), "freie_kapazitaet": True}

    def validate_erstkontakt_datum(self, field: DateField) -> None:
        _not_future(self, field, _l("Das Datum des Erstkontakts"))

    def validate_einwilligung_datum(self, field: DateField) -> None:
        _not_future(self, field, _l("Das Datum der Einwilligung"))

    def validate_einwilligung_bis(self, field: DateField) -> None:
        if field.data and self.einwilligung_datum.data and field.data < self.einwilligung_datum.data:
            raise ValidationError(_l("Das Ende der Einwilligung darf nicht vor ihrem Datum liegen."))

    def validate_einwilligung_umfang(self, field: SelectMultipleField) -> None:
        if self.einwilligung.data and not field.data:
            raise ValidationError(_l("Bitte den Umfang der Einwilligung angeben."))
        if self.einwilligung.data and "speicherung" not in (field.data or []):  # sharing and contact build on it
            raise ValidationError(_l("Weitergabe und Kontaktaufnahme setzen die Einwilligung in die Speicherung "
                                     "voraus. Bitte auch „Speicherung“ auswählen."))


    def validate_einreise_oder_titel_datum(self, field: DateField) -> None:
        _not_future(self, field, _l("Das Datum"))

    def validate_geburtsdatum(self, field: DateField) -> None:
        if field.data and field.data >= self.ctx.today:
            raise ValidationError(_l("Das Geburtsdatum muss in der Vergangenheit liegen."))

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        entry = self.einreise_oder_titel_datum
        if entry.data is None and not entry.errors and self.aufenthaltsstatus.data in NEUZUWANDERUNG:
            entry.errors = [_l("Bei diesem Aufenthaltsstatus ist das Datum erforderlich.")]
            valid = False
        if self.einwilligung.data and not self.einwilligung_form.data and not self.einwilligung_form.errors:
            self.einwilligung_form.errors = [_l("Bitte angeben, wie die Einwilligung erteilt wurde.")]
            valid = False
        scope = self.einwilligung_umfang.data or []
        if self.einwilligung.data and scope and "kontakt" not in scope:  # no scope: its own error above
            for name in CONTACT_FIELDS:
                if self[name].data and not self[name].errors:
                    self[name].errors = [_l("Telefon und Anschrift nur mit Einwilligung in die Kontaktaufnahme "
                                            "per Telefon oder Post speichern. Bitte das Feld leeren oder den "
                                            "Umfang der Einwilligung ergänzen.")]
                    valid = False
        if not self.einwilligung.data:
            for name in PERSONAL_FIELDS:
                field = self[name]
                given = field.raw_data and any(str(v).strip() for v in field.raw_data)
                if given or (field.raw_data is None and field.data):
                    field.errors = [_l("Personenbezogene Daten dürfen nur mit Einwilligung gespeichert werden. "
                                       "Bitte das Feld leeren oder die Einwilligung erfassen.")]
                    valid = False
        return valid

    def to_task_data(self) -> dict[str, Any]:
        data = super().to_task_data()
        if not data.get("einwilligung"):
            for name in (*PERSONAL_FIELDS, "einwilligung_datum", "einwilligung_umfang", "einwilligung_form",
                         "einwilligung_partnerarten", "einwilligung_bis"):
                data.pop(name, None)  # never stored without consent, not even empty
        entry = parse_iso_date(data.get("einreise_oder_titel_datum"))
        start = parse_iso_date(data.get("erstkontakt_datum")) or self.ctx.today
        data["jahre_seit_einreise"] = years_between(entry, start) if entry else None
        return data


# --- Verweisberatung ----------------------------------------------------------------------


class VerweisberatungForm(TaskForm):
    title = _l("Verweisberatung")

    verwiesen_an = _select(_l("Verwiesen an"), VERWEISZIELE, _l("Bitte die Stelle wählen, an die verwiesen wird."))
    verwiesen_an_sonstige = StringField(
        _l("Andere Stelle"),
        [RequiredIf("verwiesen_an", "sonstige", _l("Bitte die Stelle angeben.")), max_length(200)],
        filters=[strip_text])
    verweis_notiz = _text(_l("Hinweise zur Verweisung (Orientierungshilfe)"))

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        alter = ctx.data.get("alter")
        return {"verwiesen_an": "jmd"} if isinstance(alter, int) and alter <= 27 else {}

    def to_task_data(self) -> dict[str, Any]:
        return {**super().to_task_data(), "mbe_ergebnis": "verwiesen"}


# --- Beratung (repeatable) ----------------------------------------------------------------


class BeratungForm(TaskForm):
    title = _l("Beratung")

    beratung_datum = DateField(_l("Datum des Gesprächs"), required_value())
    dauer_minuten = IntegerField(_l("Dauer (Minuten)"), [*required_value(), NumberRange(
        5, 600, message=_l("Bitte eine Dauer zwischen 5 und 600 Minuten angeben."))])
    themen = SelectMultipleField(_l("Themen"), [required(_l("Bitte mindestens ein Thema wählen."))],  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                                 choices=_choices(THEMEN), invalid_choice_message=INVALID_CHOICES)
    naechste_schritte = _text(_l("Vereinbarte nächste Schritte"))
    weiter = _radio(_l("Wie geht es weiter?"), WEITER, _l("Bitte wählen, wie es weitergeht."))

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        return _today(ctx, "beratung_datum")

    def validate_beratung_datum(self, field: DateField) -> None:
        _not_future(self, field, _l("Das Datum des Gesprächs"))

    def to_task_data(self) -> dict[str, Any]:
        data = super().to_task_data()
        session = {"datum": data["beratung_datum"], "dauer_minuten": data["dauer_minuten"],
                   "themen": data["themen"], "naechste_schritte": data["naechste_schritte"],
                   "weiter": data["weiter"]}
        modus = "case_management" if (data["weiter"] == "case_management"
                                      or self.ctx.data.get("mbe_modus") == "case_management") else "beratung"
        return {**data, "beratungen": _append(self.ctx, "beratungen", session), "mbe_modus": modus}


# --- Case management ----------------------------------------------------------------------


class AssessmentForm(TaskForm):
    title = _l("Assessment")

    soziale_situation = _text(_l("Soziale Situation (individuell, familiär, Umfeld)"), True)
    kompetenzen = _text(_l("Kenntnisse und Fähigkeiten (Kompetenzen)"), True)
    bedarfe_cm = _text(_l("Was noch erworben werden muss (Bedarfe)"), True)
    ik_begleitung_noetig = BooleanField(_l("Sozialpädagogische Begleitung im Integrationskurs vereinbaren"))

    def to_task_data(self) -> dict[str, Any]:
        return {**super().to_task_data(), "mbe_modus": "case_management"}


PARTNER_HELP = _l("Vorschläge aus dem Partnerverzeichnis; freie Eingabe ist möglich. Ein Partner aus dem "
                  "Verzeichnis wird im Fall als eingebunden vermerkt.")


class FoerderzielForm(SubForm):
    today: datetime.date | None = None

    bereich = SelectField(_l("Zielbereich"), [required(_l("Bitte einen Zielbereich wählen."))],  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                          choices=[SelectChoice("", _l("– bitte wählen –")), *_choices(ZIELBEREICHE)],
                          invalid_choice_message=_l("Bitte einen Zielbereich aus der Liste wählen."))
    ziel = _text(_l("Konkretes Ziel"), True, limit=2000)
    frist = DateField(_l("Frist"), required_value())
    partner = StringField(_l("Verantwortliche:r Netzwerkpartner:in"), [Optional(), max_length(200)],
                          filters=[strip_text], render_kw={"list": "netzwerkpartner", "autocomplete": "off"},
                          description=PARTNER_HELP)
    status = SelectField(_l("Stand"), [Optional()], choices=_choices(ZIELSTATUS), default="offen",  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                         invalid_choice_message=_l("Bitte einen Stand aus der Liste wählen."))

    def validate_frist(self, field: DateField) -> None:
        if field.data is None:  # blank or not a date: the field validators answered
            return
        if field.data <= (self.today or datetime.date.today()):
            raise ValidationError(_l("Die Frist muss in der Zukunft liegen."))


def _drop_blank_entries(field: FieldList) -> None:
    field.entries = [e for e in field.entries if not all(_blank_raw(sub) or sub.name.endswith("-status")
                                                         for sub in e.form)]


class FoerderplanForm(TaskForm):
    blank_entries = {"ziele": 2}
    title = _l("Förderplan")

    werdegang = _text(_l("Daten zur Person und Werdegang"))
    sprache = _text(_l("Baustein Sprache"))
    ausbildung_beruf = _text(_l("Baustein Ausbildung / Beruf"))
    soziale_kompetenzen = _text(_l("Baustein soziale Kompetenzen (Umfeld, Kontakte, Freizeit)"))
    ziele = FieldList(FormField(FoerderzielForm), _l("Ziele"), [EntryCount(
        1, MAX_GOALS, min_message=_l("Bitte mindestens ein Ziel angeben."),
        max_message=_l("Bitte höchstens %(max)d Ziele angeben.", max=MAX_GOALS))], min_entries=1)
    termine = _text(_l("Vereinbarte Termine"), description=_l("Erscheinen in der Integrationsvereinbarung."))

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        return {"ziele": ctx.data.get("ziele") or []}

    def validate(self, extra_validators: Any = None) -> bool:
        _drop_blank_entries(self.ziele)
        for entry in self.ziele.entries:
            entry.form.today = self.ctx.today
        valid = super().validate(extra_validators=extra_validators)
        if not self.ziele.entries:
            self.ziele.append_entry()
        return valid

    def to_task_data(self) -> dict[str, Any]:
        data = super().to_task_data()
        data["ziele"] = [{**z, "status": z.get("status") or "offen"} for z in data["ziele"]]
        return data


class VereinbarungForm(TaskForm):
    title = _l("Integrationsvereinbarung")

    unterschrieben_klient = BooleanField(_l("Von der ratsuchenden Person unterschrieben"))
    unterschrieben_beratung = BooleanField(_l("Von der Beraterin bzw. dem Berater unterschrieben"))
    unterschrieben_am = DateField(_l("Unterschrieben am"), required_value())

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        return _today(ctx, "unterschrieben_am")

    def validate_unterschrieben_klient(self, field: BooleanField) -> None:
        if not field.data:
            raise ValidationError(_l("Die Vereinbarung muss von der ratsuchenden Person unterschrieben sein."))

    def validate_unterschrieben_beratung(self, field: BooleanField) -> None:
        if not field.data:
            raise ValidationError(_l("Die Vereinbarung muss von der Beratung unterschrieben sein."))

    def validate_unterschrieben_am(self, field: DateField) -> None:
        _not_future(self, field, _l("Das Datum der Unterschrift"))

    def to_task_data(self) -> dict[str, Any]:
        data = super().to_task_data()
        return {**data, "ueberpruefung_basis": data["unterschrieben_am"]}


class ZielueberpruefungForm(SubForm):
    today: datetime.date | None = None

    bereich = SelectField(_l("Zielbereich"), choices=_choices(ZIELBEREICHE), validate_choice=False,
                          description=_l("Aus dem Förderplan."))
    ziel = _text(_l("Konkretes Ziel"), limit=2000, description=_l("Nur bei „angepasst“ änderbar."))
    frist = DateField(_l("Frist"), optional_value(), description=_l("Nur bei „angepasst“ änderbar."))
    partner = StringField(_l("Verantwortliche:r Netzwerkpartner:in"), [Optional(), max_length(200)],
                          filters=[strip_text], render_kw={"list": "netzwerkpartner", "autocomplete": "off"},
                          description=PARTNER_HELP)
    status = RadioField(_l("Stand"), [required(_l("Bitte den Stand des Ziels wählen."))],  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                        choices=_choices(REVIEW_STATUS),
                        invalid_choice_message=_l("Bitte einen Stand aus der Liste wählen."))
    anmerkung = StringField(_l("Anmerkung"), [Optional(), max_length(500)], filters=[strip_text])


class UeberpruefungForm(TaskForm):
    title = _l("Überprüfung des Förderplans")

    ueberpruefung_datum = DateField(_l("Datum der Überprüfung"), required_value())
    ziele = FieldList(FormField(ZielueberpruefungForm), _l("Ziele"))
    ueberpruefung_ergebnis = _radio(_l("Wie geht es weiter?"), UEBERPRUEFUNG_ERGEBNIS,
                                    _l("Bitte wählen, wie es weitergeht."))
    ueberpruefung_notiz = _text(_l("Notiz zur Überprüfung"))

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        goals = [{k: g.get(k) for k in ("bereich", "ziel", "frist", "partner")} for g in _goals(ctx)]
        return {**_today(ctx, "ueberpruefung_datum"), "ziele": goals}

    def configure(self, ctx: FormContext) -> None:
        super().configure(ctx)
        goals = _goals(ctx)
        message = _l("Bitte jedes Ziel des Förderplans bewerten.")
        self.ziele.validators = [EntryCount(len(goals), len(goals), min_message=message)]
        for entry, goal in zip(self.ziele.entries, goals, strict=False):
            entry.form.bereich.data = goal.get("bereich")

    def validate_ueberpruefung_datum(self, field: DateField) -> None:
        _not_future(self, field, _l("Das Datum der Überprüfung"))

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        review_day = self.ueberpruefung_datum.data or self.ctx.today
        for entry in self.ziele.entries:
            sub = entry.form
            if sub.status.data != "angepasst":
                continue  # only an adjusted goal may change its target or deadline
            if not sub.ziel.data:
                sub.ziel.errors = [*sub.ziel.errors, _l("Bitte das angepasste Ziel angeben.")]
                valid = False
            if sub.frist.data is None and not sub.frist.errors:
                sub.frist.errors = [*sub.frist.errors, _l("Bitte die angepasste Frist angeben.")]
                valid = False
            elif sub.frist.data and sub.frist.data <= review_day:
                sub.frist.errors = [*sub.frist.errors, _l("Die neue Frist muss nach der Überprüfung liegen.")]
                valid = False
        return valid

    def to_task_data(self) -> dict[str, Any]:
        data = super().to_task_data()
        goals = _goals(self.ctx)
        updated = []
        for goal, review in zip(goals, data["ziele"], strict=False):
            new = {**goal, "status": review["status"], "partner": review.get("partner") or goal.get("partner", "")}
            if review["status"] == "angepasst":
                new["ziel"], new["frist"] = review["ziel"], review["frist"]
            if review.get("anmerkung"):
                new["anmerkung"] = review["anmerkung"]
            updated.append(new)
        summary = {"datum": data["ueberpruefung_datum"], "ergebnis": data["ueberpruefung_ergebnis"],
                   "ziele": [{"bereich": g.get("bereich"), "ziel": g.get("ziel"), "status": g["status"]}
                             for g in updated]}
        return {**data, "ziele": updated, "ueberpruefung_basis": data["ueberpruefung_datum"],
                "ueberpruefungen": _append(self.ctx, "ueberpruefungen", summary)}


def _goals(ctx: FormContext) -> list[dict[str, Any]]:
    return [g for g in (ctx.data.get("ziele") or []) if isinstance(g, dict)]


# --- Sozialpädagogische Begleitung im Integrationskurs ------------------------------------


class IkBegleitungForm(TaskForm):
    title = _l("Sozialpädagogische Begleitung (Integrationskurs)")

    kurstraeger = StringField(_l("Kursträger"), [required(), max_length(200)], filters=[strip_text])
    kursbeginn = DateField(_l("Kursbeginn"), required_value())
    abbruchgefahr = _radio(_l("Gefahr eines Kursabbruchs"), ABBRUCHGEFAHR, _l("Bitte die Abbruchgefahr einschätzen."))
    interventionen = SelectMultipleField(_l("Interventionen"), choices=_choices(INTERVENTIONEN),  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                                         invalid_choice_message=INVALID_CHOICES)
    interventionen_notiz = _text(_l("Beschreibung der Interventionen"))
    empfohlene_massnahme = _text(_l("Empfohlene Anschlussmaßnahme"), limit=1000)
    ik_begleitung_fortsetzen = BooleanField(_l("Begleitung fortsetzen (weiterer Eintrag folgt)"))

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        last = (ctx.data.get("ik_begleitungen") or [{}])[-1]
        return {k: last.get(k) for k in ("kurstraeger", "kursbeginn") if last.get(k)}

    def to_task_data(self) -> dict[str, Any]:
        data = super().to_task_data()
        entry = {k: data[k] for k in ("kurstraeger", "kursbeginn", "abbruchgefahr", "interventionen",
                                      "empfohlene_massnahme")}
        return {**data, "ik_begleitungen": _append(self.ctx, "ik_begleitungen", entry)}


# --- Three-year limit and closing ---------------------------------------------------------


class DreijahresErinnerungForm(TaskForm):
    title = _l("Dreijahresfrist endet bald")

    kenntnisnahme = BooleanField(_l("Zur Kenntnis genommen: Die Höchstdauer der MBE endet in drei Monaten"))
    uebergang_geplant = _text(_l("Geplanter Übergang in Regelangebote"), True)

    def validate_kenntnisnahme(self, field: BooleanField) -> None:
        if not field.data:
            raise ValidationError(_l("Bitte die Kenntnisnahme bestätigen."))


class AbschlussForm(TaskForm):
    title = _l("Abschluss")

    abschluss_datum = DateField(_l("Datum des Abschlusses"), required_value())
    abschlussgrund = _select(_l("Grund des Abschlusses"), ABSCHLUSSGRUENDE, _l("Bitte einen Grund wählen."))
    abschlussgrund_sonstiges = StringField(
        _l("Sonstiger Grund"),
        [RequiredIf("abschlussgrund", "sonstiges", _l("Bitte den Grund angeben.")), max_length(300)],
        filters=[strip_text])
    indikatoren = SelectMultipleField(  # type: ignore[call-arg]  # stubs lag WTForms 3.3
        _l("Erreichte Indikatoren (Anhang des Konzepts)"), choices=_choices(INDIKATOREN),
        invalid_choice_message=INVALID_CHOICES)
    reflexion = _text(_l("Auswertung und Reflexion"), True)
    nachhaltigkeit_geprueft = BooleanField(_l("Nachhaltigkeit geprüft"))
    nachhaltigkeit_notiz = _text(_l("Ergebnis der Nachhaltigkeitsprüfung"), True)

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        values = _today(ctx, "abschluss_datum")
        if ctx.data.get("dreijahresfrist_erreicht"):
            values["abschlussgrund"] = "hoechstdauer_erreicht"
        return values

    def validate_abschluss_datum(self, field: DateField) -> None:
        _not_future(self, field, _l("Das Datum des Abschlusses"))

    def validate_nachhaltigkeit_geprueft(self, field: BooleanField) -> None:
        if not field.data:
            raise ValidationError(_l("Der Fall wird erst nach der Prüfung der Nachhaltigkeit abgeschlossen."))

    def to_task_data(self) -> dict[str, Any]:
        return {**super().to_task_data(), "mbe_ergebnis": "abgeschlossen"}


MBE_FORMS: dict[str, type[TaskForm]] = {
    "mbe.erstkontakt": ErstkontaktForm,
    "mbe.verweisberatung": VerweisberatungForm,
    "mbe.beratung": BeratungForm,
    "mbe.assessment": AssessmentForm,
    "mbe.foerderplan": FoerderplanForm,
    "mbe.vereinbarung": VereinbarungForm,
    "mbe.ueberpruefung": UeberpruefungForm,
    "mbe.ik_begleitung": IkBegleitungForm,
    "mbe.dreijahres_erinnerung": DreijahresErinnerungForm,
    "mbe.abschluss": AbschlussForm,
}
