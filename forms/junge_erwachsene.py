"""Task forms of the process "Junge Erwachsene" (seed 003, "Gemeinsam klappt's"): municipal
integration case management for young refugees aged 18 to 27 across legal systems.

Field names and choice values are a contract with ``processes/junge_erwachsene.bpmn`` and
``app/youngadults`` (transitions, case title). The consent fields have the shape of the MBE
Erstkontakt (``einwilligung``, ``einwilligung_datum``, ``einwilligung_umfang``,
``einwilligung_partnerarten``, ``einwilligung_bis``, ``einwilligung_form``), so the checks of
``app.mbe.consent`` (contact data only with consent to contact, ...) read them the same way.
Lists that are counted later (``angebote``, ``uebergaenge``, ``ueberpruefungen``) are kept whole in
the case file: a form gives the whole list.
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
from forms.base import EntryCount, FormContext, StopOnInvalidInput, SubForm, TaskForm, strip_text
from forms.mbe import CONTACT_FIELDS, EINWILLIGUNG_FORM, EINWILLIGUNG_PARTNERARTEN, EINWILLIGUNG_UMFANG

TEXT_MAX = 10000
MIN_AGE, MAX_AGE = 18, 27
MAX_ENTRIES = 20
PICK = _l("Bitte einen Wert aus der Liste wählen.")

# --- choice lists (values are the contract with the BPMN and later statistics) ---------------

ZUGAENGE = [
    ("auslaenderbehoerde", _l("Ausländerbehörde")), ("jobcenter", _l("Jobcenter")),
    ("jmd", _l("Jugendmigrationsdienst (JMD)")), ("uebergangswohnheim", _l("Übergangswohnheim")),
    ("selbst", _l("Selbst gemeldet")), ("sonstige", _l("Sonstige Stelle")),
]
GESCHLECHTER = [("w", _l("weiblich")), ("m", _l("männlich")), ("d", _l("divers")),
                ("keine_angabe", _l("keine Angabe"))]
AUFENTHALTSSTATUS = [
    ("gestattung", _l("Aufenthaltsgestattung (Asylverfahren)")),
    ("duldung", _l("Duldung")),
    ("ausbildungsduldung", _l("Ausbildungsduldung (§ 60c AufenthG)")),
    ("beschaeftigungsduldung", _l("Beschäftigungsduldung (§ 60d AufenthG)")),
    ("aufenthaltserlaubnis", _l("Aufenthaltserlaubnis")),
    ("niederlassungserlaubnis", _l("Niederlassungserlaubnis")),
    ("sonstiger", _l("Sonstiger Status")),
]
LEISTUNGSSYSTEME = [
    ("asylblg", _l("AsylbLG")), ("sgb2", _l("SGB II (Jobcenter)")), ("sgb3", _l("SGB III (Agentur für Arbeit)")),
    ("sgb8_41", _l("SGB VIII § 41 (Hilfe für junge Volljährige)")), ("keine", _l("Keine Leistungen")),
]
STELLENARTEN = [
    ("auslaenderbehoerde", _l("Ausländerbehörde")), ("jobcenter", _l("Jobcenter")),
    ("agentur", _l("Agentur für Arbeit")), ("sozialamt", _l("Sozialamt (AsylbLG)")),
    ("jugendamt", _l("Jugendamt")), ("jmd", _l("Jugendmigrationsdienst")),
    ("schule", _l("Schule / Berufskolleg")), ("bildungstraeger", _l("Bildungsträger")),
    ("unterkunft", _l("Unterkunft / Sozialdienst")), ("sonstige", _l("Sonstige Stelle")),
]
NIVEAUS = [("A1", "A1"), ("A2", "A2"), ("B1", "B1"), ("B2", "B2"), ("C1", "C1"), ("C2", "C2"),
           ("muttersprache", _l("Muttersprache"))]
ANERKENNUNG = [
    ("nicht_relevant", _l("Keine ausländischen Abschlüsse")),
    ("offen", _l("Noch nicht geklärt")),
    ("beratung", _l("Anerkennungsberatung läuft")),
    ("beantragt", _l("Anerkennung beantragt")),
    ("anerkannt", _l("Anerkannt")),
    ("teilweise", _l("Teilweise anerkannt")),
    ("abgelehnt", _l("Nicht anerkannt")),
]
ZIELBEREICHE = [
    ("sprache", _l("Sprache")), ("schule", _l("Schule / Schulabschluss")),
    ("ausbildung", _l("Ausbildung")), ("arbeit", _l("Arbeit / Beschäftigung")),
    ("aufenthalt", _l("Aufenthalt sichern")), ("leistungen", _l("Lebensunterhalt / Leistungen")),
    ("wohnen", _l("Wohnen")), ("gesundheit", _l("Gesundheit")), ("teilhabe", _l("Soziale Teilhabe")),
]
ZIELSTATUS = [
    ("offen", _l("offen")), ("erreicht", _l("erreicht")), ("teilweise", _l("teilweise erreicht")),
    ("nicht_erreicht", _l("nicht erreicht")), ("angepasst", _l("angepasst")),
]
ANGEBOTSARTEN = [
    ("sprachkurs", _l("Sprachkurs")), ("berufsvorbereitung", _l("Berufsvorbereitung")),
    ("ausbildung", _l("Ausbildung")), ("beschaeftigung", _l("Beschäftigung")),
    ("beratung", _l("Beratung")), ("schule", _l("Schule")),
]
ANGEBOTSSTATUS = [
    ("vorgeschlagen", _l("vorgeschlagen")), ("angenommen", _l("angenommen")),
    ("abgelehnt", _l("abgelehnt")), ("abgeschlossen", _l("abgeschlossen")),
]
WEITER = [("fortsetzen", _l("Begleitung fortsetzen (nächste Überprüfung)")),
          ("abschliessen", _l("Begleitung abschließen"))]
#: Closing outcomes: stored as the case outcome (``ergebnis``), counted by the statistics.
ERGEBNISSE = [
    ("ausbildung", _l("Ausbildung aufgenommen")), ("beschaeftigung", _l("Beschäftigung aufgenommen")),
    ("schule", _l("Schulbesuch aufgenommen")), ("kurs", _l("Kurs / Maßnahme aufgenommen")),
    ("verzogen", _l("Verzogen")), ("sonstiges", _l("Sonstiges")),
]
#: Outcome of an intake outside the target group (end event "nicht zuständig").
NICHT_ZUSTAENDIG = "nicht_zustaendig"

# --- transitions between systems: one table (type -> label, what changes, checklist) ---------

#: Each transition between legal systems: label, the case field it changes and its new value, and
#: the checklist of what must happen (item key -> label). ``app/youngadults`` records each as a
#: dated case event and puts the open checklist items into the owning team's to-dos.
UEBERGAENGE: dict[str, dict[str, Any]] = {
    "asylblg_sgb2": {
        "label": _l("AsylbLG → SGB II (nach Anerkennung)"), "feld": "leistungssystem", "neu": "sgb2",
        "checkliste": [
            ("antrag_jobcenter", _l("Antrag auf Bürgergeld beim Jobcenter gestellt")),
            ("abmeldung_sozialamt", _l("Leistungen nach dem AsylbLG beim Sozialamt abgemeldet")),
            ("krankenversicherung", _l("Krankenversicherung geklärt")),
            ("wohnsitz", _l("Wohnsitzauflage und Wohnung geklärt")),
            ("uebergabe_jobcenter", _l("Übergabegespräch mit dem Jobcenter geführt")),
        ]},
    "asylblg_sgb3": {
        "label": _l("AsylbLG → SGB III (Ausbildung oder Arbeit)"), "feld": "leistungssystem", "neu": "sgb3",
        "checkliste": [
            ("meldung_agentur", _l("Bei der Agentur für Arbeit gemeldet")),
            ("bab", _l("Berufsausbildungsbeihilfe geprüft")),
            ("beschaeftigungserlaubnis", _l("Beschäftigungserlaubnis der Ausländerbehörde liegt vor")),
        ]},
    "sgb8_sgb2": {
        "label": _l("SGB VIII § 41 → SGB II (Ende der Jugendhilfe)"), "feld": "leistungssystem", "neu": "sgb2",
        "checkliste": [
            ("hilfeplan_abschluss", _l("Abschließendes Hilfeplangespräch mit dem Jugendamt geführt")),
            ("antrag_jobcenter", _l("Antrag auf Bürgergeld beim Jobcenter gestellt")),
            ("wohnung", _l("Anschlusswohnung geklärt")),
        ]},
    "sgb2_sgb3": {
        "label": _l("SGB II → SGB III (Ausbildung)"), "feld": "leistungssystem", "neu": "sgb3",
        "checkliste": [
            ("ausbildungsvertrag", _l("Ausbildungsvertrag liegt vor")),
            ("bab", _l("Berufsausbildungsbeihilfe beantragt")),
            ("abmeldung_jobcenter", _l("Änderung dem Jobcenter mitgeteilt")),
        ]},
    "gestattung_duldung": {
        "label": _l("Aufenthaltsgestattung → Duldung (Asylantrag abgelehnt)"), "feld": "aufenthaltsstatus",
        "neu": "duldung",
        "checkliste": [
            ("rechtsberatung", _l("Rechtsberatung vermittelt")),
            ("beschaeftigungserlaubnis", _l("Beschäftigungserlaubnis geprüft")),
            ("bleibeperspektive", _l("Wege zu Ausbildungs- oder Beschäftigungsduldung besprochen")),
        ]},
    "gestattung_erlaubnis": {
        "label": _l("Aufenthaltsgestattung → Aufenthaltserlaubnis (Anerkennung)"), "feld": "aufenthaltsstatus",
        "neu": "aufenthaltserlaubnis",
        "checkliste": [
            ("titel_beantragt", _l("Aufenthaltstitel bei der Ausländerbehörde beantragt")),
            ("integrationskurs", _l("Anspruch auf Integrationskurs geprüft")),
            ("leistungswechsel", _l("Wechsel ins SGB II vorbereitet")),
        ]},
    "duldung_ausbildungsduldung": {
        "label": _l("Duldung → Ausbildungsduldung"), "feld": "aufenthaltsstatus", "neu": "ausbildungsduldung",
        "checkliste": [
            ("ausbildungsvertrag", _l("Ausbildungsvertrag liegt vor")),
            ("identitaet", _l("Identität geklärt (Nachweise bei der Ausländerbehörde)")),
            ("antrag_abh", _l("Ausbildungsduldung bei der Ausländerbehörde beantragt")),
            ("betrieb_informiert", _l("Ausbildungsbetrieb über Mitteilungspflichten informiert")),
        ]},
    "duldung_beschaeftigungsduldung": {
        "label": _l("Duldung → Beschäftigungsduldung"), "feld": "aufenthaltsstatus", "neu": "beschaeftigungsduldung",
        "checkliste": [
            ("beschaeftigung_nachweis", _l("Nachweis der Beschäftigung liegt vor")),
            ("lebensunterhalt", _l("Lebensunterhalt gesichert")),
            ("antrag_abh", _l("Beschäftigungsduldung bei der Ausländerbehörde beantragt")),
        ]},
    "duldung_erlaubnis": {
        "label": _l("Duldung → Aufenthaltserlaubnis"), "feld": "aufenthaltsstatus", "neu": "aufenthaltserlaubnis",
        "checkliste": [
            ("titel_beantragt", _l("Aufenthaltstitel bei der Ausländerbehörde beantragt")),
            ("leistungswechsel", _l("Wechsel des Leistungssystems vorbereitet")),
        ]},
}
# --- data categories the client may consent to share with partners ---------------------------

#: The data categories of a case (key -> label, case-data keys). The Aufnahme records which of them
#: the client consents to share (``einwilligung_kategorien``); an invited partner (app/partners)
#: reads exactly the fields of the categories their invitation names and the consent covers.
#: Journal and documents belong to no category: partners never read them.
DATENKATEGORIEN: dict[str, dict[str, Any]] = {
    "stammdaten": {"label": _l("Stammdaten (Name, Geburtsdatum, Herkunft)"),
                   "felder": ("vorname", "nachname", "geburtsdatum", "alter", "geschlecht", "herkunftsland",
                              "einreise_datum")},
    "kontakt": {"label": _l("Kontaktdaten (Anschrift, Telefon)"), "felder": ("anschrift", "telefon")},
    "aufenthalt": {"label": _l("Aufenthaltsstatus"),
                   "felder": ("aufenthaltsstatus", "aufenthalt_paragraph", "aufenthalt_sonstiger",
                              "aufenthalt_gueltig_bis")},
    "leistungen": {"label": _l("Leistungssystem und zuständige Stellen"), "felder": ("leistungssystem", "stellen")},
    "faehigkeiten": {"label": _l("Fähigkeiten und Bedarfe"),
                     "felder": ("staerken", "sprachkenntnisse", "schulbildung", "berufserfahrung", "anerkennung",
                                "anerkennung_notiz", "interessen", "bedarfe")},
    "plan": {"label": _l("Integrationsplan und vereinbarte Zuständigkeiten"),
             "felder": ("ziele", "ueberpruefung_wochen", "zustaendigkeiten", "fallkonferenz_datum")},
    "angebote": {"label": _l("Angebote"), "felder": ("angebote", "angebote_notiz")},
    "uebergaenge": {"label": _l("Übergänge zwischen den Systemen"), "felder": ("uebergaenge", "uebergaenge_verlauf")},
}
KATEGORIEN = [(key, spec["label"]) for key, spec in DATENKATEGORIEN.items()]


def category_fields(categories) -> frozenset[str]:
    """The case-data keys of the given categories (unknown ones count for nothing)."""
    return frozenset(f for c in categories for f in DATENKATEGORIEN.get(c, {}).get("felder", ()))


UEBERGANGSARTEN = [(key, spec["label"]) for key, spec in UEBERGAENGE.items()]
CHECKLIST_ITEMS = [(f"{key}:{item}", label) for key, spec in UEBERGAENGE.items()
                   for item, label in spec["checkliste"]]


def checklist(kind: str) -> list[tuple[str, Any]]:
    """The checklist items (key, label) of a transition type (empty for an unknown type)."""
    return list(UEBERGAENGE.get(kind, {}).get("checkliste", []))


def transition_items(entry: dict[str, Any]) -> list[str]:
    """The ticked checklist items of a transition as entered (``"<type>:<item>"``), by item key."""
    kind = str(entry.get("art") or "")
    return [value.split(":", 1)[1] for value in entry.get("erledigt") or []
            if isinstance(value, str) and value.startswith(f"{kind}:")]


# --- helpers -------------------------------------------------------------------------------


def _radio(label: Any, pairs: list, message: Any, **kw: Any) -> RadioField:
    return RadioField(label, [required(message)], choices=_choices(pairs),  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                      invalid_choice_message=PICK, **kw)


def _select(label: Any, pairs: list, message: Any, **kw: Any) -> SelectField:
    return SelectField(label, [required(message)],  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                       choices=[SelectChoice("", _l("– bitte wählen –")), *_choices(pairs)],
                       invalid_choice_message=PICK, **kw)


def _text(label: Any, is_required: bool = False, limit: int = TEXT_MAX, area: bool = True, **kw: Any):
    cls = TextAreaField if area else StringField
    validators = [required() if is_required else Optional(), max_length(limit)]
    return cls(label, validators, filters=[strip_text], **kw)


def _not_future(form: TaskForm, field: DateField, what: Any) -> None:
    if field.data and field.data > form.ctx.today:
        raise ValidationError(_l("%(what)s darf nicht in der Zukunft liegen.", what=what))


def _drop_blank(field: FieldList, ignore: tuple[str, ...] = ()) -> None:
    """Leave out list entries without any input (the blank slots of the HTML page)."""
    field.entries = [e for e in field.entries
                     if not all(_blank_raw(sub) or sub.name.rsplit("-", 1)[-1] in ignore for sub in e.form)]


def _entries(label: Any, form: type, minimum: int = 0, min_message: Any = None, **kw: Any) -> FieldList:
    message = min_message or _l("Bitte mindestens einen Eintrag angeben.")
    return FieldList(FormField(form), label, [EntryCount(
        minimum, MAX_ENTRIES, min_message=message,
        max_message=_l("Bitte höchstens %(max)d Einträge angeben.", max=MAX_ENTRIES))], min_entries=minimum, **kw)


def age_on(born: datetime.date, day: datetime.date) -> int:
    """Whole years of age on ``day``."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _list(ctx: FormContext, key: str) -> list[dict[str, Any]]:
    value = ctx.data.get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


# --- 1. Aufnahme ---------------------------------------------------------------------------


class AufnahmeForm(TaskForm):
    """Intake after a referral: who referred, the person, consent; the age decides responsibility."""

    title = _l("Aufnahme")

    aufnahme_datum = DateField(_l("Datum der Aufnahme"), required_value())
    zugang = _radio(_l("Zugang (wer hat vermittelt?)"), ZUGAENGE, _l("Bitte den Zugang wählen."))
    zugang_sonstige = StringField(
        _l("Vermittelnde Stelle"),
        [RequiredIf("zugang", "sonstige", _l("Bitte die vermittelnde Stelle angeben.")), max_length(200)],
        filters=[strip_text])
    anliegen = _text(_l("Anliegen"), True)

    einwilligung = BooleanField(
        _l("Einwilligung in die Verarbeitung der Daten liegt vor"),
        description=_l("Das Integrationsmanagement begleitet nur mit schriftlicher oder dokumentierter Einwilligung."))
    einwilligung_datum = DateField(
        _l("Datum der Einwilligung"),
        [RequiredIf("einwilligung", True, _l("Bitte das Datum der Einwilligung angeben.")), StopOnInvalidInput()])
    einwilligung_umfang = SelectMultipleField(_l("Umfang der Einwilligung"), choices=_choices(EINWILLIGUNG_UMFANG),  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                                              invalid_choice_message=INVALID_CHOICES)
    einwilligung_partnerarten = SelectMultipleField(  # type: ignore[call-arg]  # stubs lag WTForms 3.3
        _l("Weitergabe nur an diese Arten von Partnern"), choices=_choices(EINWILLIGUNG_PARTNERARTEN),
        invalid_choice_message=INVALID_CHOICES,
        description=_l("Nur bei Weitergabe an Netzwerkpartner. Keine Auswahl: an alle Arten von Partnern."))
    einwilligung_kategorien = SelectMultipleField(  # type: ignore[call-arg]  # stubs lag WTForms 3.3
        _l("Weitergabe dieser Datenkategorien"), choices=_choices(KATEGORIEN), invalid_choice_message=INVALID_CHOICES,
        description=_l("Nur bei Weitergabe an Netzwerkpartner: welche Daten eingeladene Partner sehen dürfen. "
                       "Journal und Dokumente werden nie weitergegeben."))
    einwilligung_bis = DateField(_l("Einwilligung gilt bis"), optional_value(),
                                 description=_l("Leer: ohne Befristung."))
    einwilligung_form = RadioField(_l("Form der Einwilligung"), [Optional()], choices=_choices(EINWILLIGUNG_FORM),  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                                   invalid_choice_message=PICK)

    vorname = StringField(_l("Vorname"), [required(), max_length(120)], filters=[strip_text])
    nachname = StringField(_l("Nachname"), [required(), max_length(120)], filters=[strip_text])
    geburtsdatum = DateField(_l("Geburtsdatum"), required_value(),
                             description=_l("Zuständig für junge Erwachsene von 18 bis 27 Jahren."))
    geschlecht = _radio(_l("Geschlecht"), GESCHLECHTER, _l("Bitte eine Angabe wählen."))
    herkunftsland = StringField(_l("Herkunftsland"), [required(), max_length(80)], filters=[strip_text])
    einreise_datum = DateField(_l("Einreise nach Deutschland"), optional_value())
    anschrift = _text(_l("Anschrift"), limit=500, description=_l("Nur mit Einwilligung in die Kontaktaufnahme."))
    telefon = StringField(_l("Telefon"), [Optional(), max_length(60)], filters=[strip_text],
                          description=_l("Nur mit Einwilligung in die Kontaktaufnahme."))
    nicht_zustaendig_verwiesen_an = StringField(
        _l("Verwiesen an (nur wenn nicht zuständig)"), [Optional(), max_length(200)], filters=[strip_text],
        description=_l("Außerhalb von 18 bis 27 Jahren: die Stelle, an die verwiesen wird (z. B. Jugendamt, MBE)."))

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        return {"aufnahme_datum": ctx.today.isoformat()}

    def validate_aufnahme_datum(self, field: DateField) -> None:
        _not_future(self, field, _l("Das Datum der Aufnahme"))

    def validate_einwilligung_datum(self, field: DateField) -> None:
        _not_future(self, field, _l("Das Datum der Einwilligung"))

    def validate_einwilligung_bis(self, field: DateField) -> None:
        if field.data and self.einwilligung_datum.data and field.data < self.einwilligung_datum.data:
            raise ValidationError(_l("Das Ende der Einwilligung darf nicht vor ihrem Datum liegen."))

    def validate_einwilligung(self, field: BooleanField) -> None:
        if not field.data:
            raise ValidationError(_l("Ohne Einwilligung kann das Integrationsmanagement die Person nicht "
                                     "begleiten. Bitte die Einwilligung erfassen oder den Fall zurückziehen."))

    def validate_einwilligung_umfang(self, field: SelectMultipleField) -> None:
        if self.einwilligung.data and "speicherung" not in (field.data or []):
            raise ValidationError(_l("Die Einwilligung muss mindestens die Speicherung der Daten umfassen."))

    def validate_geburtsdatum(self, field: DateField) -> None:
        if field.data and field.data >= self.ctx.today:
            raise ValidationError(_l("Das Geburtsdatum muss in der Vergangenheit liegen."))

    def age(self) -> int | None:
        born = self.geburtsdatum.data
        if not isinstance(born, datetime.date) or self.geburtsdatum.errors:
            return None
        return age_on(born, self.aufnahme_datum.data or self.ctx.today)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        if self.einwilligung.data and not self.einwilligung_form.data and not self.einwilligung_form.errors:
            self.einwilligung_form.errors = [_l("Bitte angeben, wie die Einwilligung erteilt wurde.")]
            valid = False
        scope = self.einwilligung_umfang.data or []
        if self.einwilligung_kategorien.data and "weitergabe" not in scope and not self.einwilligung_kategorien.errors:
            self.einwilligung_kategorien.errors = [_l("Datenkategorien nur bei Einwilligung in die Weitergabe an "
                                                      "Netzwerkpartner angeben.")]
            valid = False
        if scope and "kontakt" not in scope:
            for name in CONTACT_FIELDS:
                if self[name].data and not self[name].errors:
                    self[name].errors = [_l("Telefon und Anschrift nur mit Einwilligung in die Kontaktaufnahme "
                                            "per Telefon oder Post speichern. Bitte das Feld leeren oder den "
                                            "Umfang der Einwilligung ergänzen.")]
                    valid = False
        age = self.age()
        referral = self.nicht_zustaendig_verwiesen_an
        if age is not None and not MIN_AGE <= age <= MAX_AGE and not referral.data and not referral.errors:
            self.geburtsdatum.errors = [_l(
                "Die Person ist %(age)s Jahre alt. Das Integrationsmanagement ist nur für junge Erwachsene "
                "von 18 bis 27 Jahren zuständig. Bitte das Geburtsdatum prüfen oder unter „Verwiesen an“ die "
                "zuständige Stelle angeben (der Fall wird dann als „nicht zuständig“ abgeschlossen).", age=age)]
            valid = False
        if age is not None and MIN_AGE <= age <= MAX_AGE and referral.data and not referral.errors:
            referral.errors = [_l("Die Person ist %(age)s Jahre alt und gehört zur Zielgruppe: Bitte dieses "
                                  "Feld leeren.", age=age)]
            valid = False
        return valid

    def to_task_data(self) -> dict[str, Any]:
        data = super().to_task_data()
        age = self.age()
        data["alter"] = age
        data["zustaendig"] = age is not None and MIN_AGE <= age <= MAX_AGE
        if data["zustaendig"]:
            data.pop("nicht_zustaendig_verwiesen_an", None)
        else:
            data["ergebnis"] = NICHT_ZUSTAENDIG
        return data


# --- 2. Situation --------------------------------------------------------------------------


class StelleForm(SubForm):
    """A responsible office with its contact person."""

    art = SelectField(_l("Art der Stelle"), [required(_l("Bitte die Art der Stelle wählen."))],  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                      choices=[SelectChoice("", _l("– bitte wählen –")), *_choices(STELLENARTEN)],
                      invalid_choice_message=PICK)
    bezeichnung = StringField(_l("Stelle"), [Optional(), max_length(200)], filters=[strip_text],
                              description=_l("z. B. Jobcenter Musterstadt, Team U25"))
    ansprechperson = StringField(_l("Ansprechperson"), [Optional(), max_length(200)], filters=[strip_text])
    kontakt = StringField(_l("Erreichbarkeit der Ansprechperson"), [Optional(), max_length(200)],
                          filters=[strip_text], description=_l("Dienstliche Telefonnummer oder E-Mail."))


class SituationForm(TaskForm):
    """The social and residence-law situation and who is responsible (seed 003: clarity first)."""

    blank_entries = {"stellen": 2}
    title = _l("Situation")

    aufenthaltsstatus = _select(_l("Aufenthaltsstatus"), AUFENTHALTSSTATUS, _l("Bitte den Aufenthaltsstatus wählen."))
    aufenthalt_paragraph = StringField(
        _l("Rechtsgrundlage der Aufenthaltserlaubnis (Paragraf)"),
        [RequiredIf("aufenthaltsstatus", "aufenthaltserlaubnis",
                    _l("Bitte den Paragrafen der Aufenthaltserlaubnis angeben (z. B. § 25 Abs. 2 AufenthG).")),
         max_length(80)], filters=[strip_text], description=_l("z. B. § 25 Abs. 2 AufenthG"))
    aufenthalt_sonstiger = StringField(
        _l("Sonstiger Status"),
        [RequiredIf("aufenthaltsstatus", "sonstiger", _l("Bitte den Status beschreiben.")), max_length(200)],
        filters=[strip_text])
    aufenthalt_gueltig_bis = DateField(_l("Gültig bis"), optional_value())
    leistungssystem = _select(_l("Leistungssystem"), LEISTUNGSSYSTEME, _l("Bitte das Leistungssystem wählen."))
    stellen = _entries(_l("Zuständige Stellen und Ansprechpersonen"), StelleForm)
    situation_notiz = _text(_l("Weitere Hinweise zur Lage"))

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        return {"stellen": _list(ctx, "stellen")}

    def validate(self, extra_validators: Any = None) -> bool:
        _drop_blank(self.stellen)
        return super().validate(extra_validators=extra_validators)


# --- 3. Fähigkeiten und Bedarfe ------------------------------------------------------------


class SpracheForm(SubForm):
    sprache = StringField(_l("Sprache"), [required(), max_length(80)], filters=[strip_text])
    niveau = SelectField(_l("Niveau"), [required(_l("Bitte das Niveau wählen."))],  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                         choices=[SelectChoice("", _l("– bitte wählen –")), *_choices(NIVEAUS)],
                         invalid_choice_message=PICK)


class FaehigkeitenForm(TaskForm):
    """Strengths first (seed 003: the person with their strengths is the starting point), then
    languages, school and vocational history, recognition, interests and needs."""

    blank_entries = {"sprachkenntnisse": 2}
    title = _l("Fähigkeiten und Bedarfe")

    staerken = _text(_l("Stärken und Fähigkeiten"), True,
                     description=_l("Ausgangspunkt der Begleitung: Was kann die Person, was gelingt ihr?"))
    sprachkenntnisse = _entries(_l("Sprachen und Niveau"), SpracheForm, 1,
                                _l("Bitte mindestens eine Sprache mit Niveau angeben."))
    schulbildung = _text(_l("Schulbildung (im Herkunftsland und in Deutschland)"))
    berufserfahrung = _text(_l("Berufliche Erfahrungen und Ausbildung"))
    anerkennung = _radio(_l("Anerkennung ausländischer Abschlüsse"), ANERKENNUNG,
                         _l("Bitte den Stand der Anerkennung wählen."))
    anerkennung_notiz = _text(_l("Welche Abschlüsse, welche Stelle?"), limit=2000)
    interessen = _text(_l("Interessen und berufliche Wünsche"))
    bedarfe = _text(_l("Bedarfe"), True)

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        return {"sprachkenntnisse": _list(ctx, "sprachkenntnisse")}

    def validate(self, extra_validators: Any = None) -> bool:
        _drop_blank(self.sprachkenntnisse)
        valid = super().validate(extra_validators=extra_validators)
        if not self.sprachkenntnisse.entries:
            self.sprachkenntnisse.append_entry()
        return valid


# --- 4. Fallkonferenz ----------------------------------------------------------------------


class ZustaendigkeitForm(SubForm):
    akteur = StringField(_l("Beteiligte Stelle / Person"), [required(), max_length(200)], filters=[strip_text])
    verantwortung = _text(_l("Vereinbarte Verantwortung"), True, limit=1000)


class FallkonferenzForm(TaskForm):
    """Case conference with the involved partners: who takes on what (seed 004: activate every
    partner who can contribute to the individual plan)."""

    blank_entries = {"zustaendigkeiten": 2}
    title = _l("Fallkonferenz")

    fallkonferenz_datum = DateField(_l("Datum der Fallkonferenz"), required_value())
    fallkonferenz_teilnehmende = _text(_l("Teilnehmende der Fallkonferenz"), True, limit=2000,
                         description=_l("Die junge Person, beteiligte Stellen und Schlüsselpersonen."))
    zustaendigkeiten = _entries(_l("Vereinbarte Zuständigkeiten"), ZustaendigkeitForm, 1,
                                _l("Bitte mindestens eine vereinbarte Zuständigkeit angeben."))
    absprachen = _text(_l("Weitere Absprachen"))

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        return {"fallkonferenz_datum": ctx.today.isoformat(), "zustaendigkeiten": _list(ctx, "zustaendigkeiten")}

    def validate_fallkonferenz_datum(self, field: DateField) -> None:
        _not_future(self, field, _l("Das Datum der Fallkonferenz"))

    def validate(self, extra_validators: Any = None) -> bool:
        _drop_blank(self.zustaendigkeiten)
        valid = super().validate(extra_validators=extra_validators)
        if not self.zustaendigkeiten.entries:
            self.zustaendigkeiten.append_entry()
        return valid


# --- 5. Integrationsplan -------------------------------------------------------------------


class PlanzielForm(SubForm):
    today: datetime.date | None = None

    bereich = SelectField(_l("Bereich"), [required(_l("Bitte einen Bereich wählen."))],  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                          choices=[SelectChoice("", _l("– bitte wählen –")), *_choices(ZIELBEREICHE)],
                          invalid_choice_message=PICK)
    ziel = _text(_l("Ziel"), True, limit=2000)
    frist = DateField(_l("Frist"), required_value())
    verantwortlich = StringField(_l("Verantwortlich"), [required(_l(
        "Bitte angeben, wer für dieses Ziel verantwortlich ist.")), max_length(200)], filters=[strip_text],
        description=_l("Die Stelle oder Person, die das Ziel verfolgt (z. B. Jobcenter, JMD, die junge Person)."))

    def validate_frist(self, field: DateField) -> None:
        if field.data is not None and field.data <= (self.today or datetime.date.today()):
            raise ValidationError(_l("Die Frist muss in der Zukunft liegen."))


class IntegrationsplanForm(TaskForm):
    """The individual integration plan: goals, each naming the responsible actor."""

    blank_entries = {"ziele": 2}
    title = _l("Integrationsplan")

    ziele = _entries(_l("Ziele"), PlanzielForm, 1, _l("Bitte mindestens ein Ziel angeben."))
    ueberpruefung_wochen = IntegerField(
        _l("Überprüfung alle … Wochen"), [*required_value(), NumberRange(
            1, 26, message=_l("Bitte eine Zahl zwischen 1 und 26 Wochen angeben."))],
        description=_l("Die Überprüfung erscheint nach dieser Zeit von selbst im Posteingang."))

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        return {"ziele": _list(ctx, "ziele"), "ueberpruefung_wochen": ctx.data.get("ueberpruefung_wochen") or 8}

    def validate(self, extra_validators: Any = None) -> bool:
        _drop_blank(self.ziele)
        for entry in self.ziele.entries:
            entry.form.today = self.ctx.today
        valid = super().validate(extra_validators=extra_validators)
        if not self.ziele.entries:
            self.ziele.append_entry()
        return valid

    def to_task_data(self) -> dict[str, Any]:
        data = super().to_task_data()
        data["ziele"] = [{**z, "status": "offen"} for z in data["ziele"]]
        data["ueberpruefung_intervall"] = f"P{data['ueberpruefung_wochen']}W"
        return data


# --- 6. Angebote ---------------------------------------------------------------------------


class AngebotForm(SubForm):
    art = SelectField(_l("Art des Angebots"), [required(_l("Bitte die Art des Angebots wählen."))],  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                      choices=[SelectChoice("", _l("– bitte wählen –")), *_choices(ANGEBOTSARTEN)],
                      invalid_choice_message=PICK)
    bezeichnung = StringField(_l("Angebot"), [required(), max_length(200)], filters=[strip_text])
    traeger = StringField(_l("Träger"), [Optional(), max_length(200)], filters=[strip_text])
    status = SelectField(_l("Stand"), [required(_l("Bitte den Stand des Angebots wählen."))],  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                         choices=_choices(ANGEBOTSSTATUS), default="vorgeschlagen", invalid_choice_message=PICK)
    datum = DateField(_l("Datum"), optional_value(), description=_l("Vorgeschlagen am bzw. Beginn."))


class AngeboteForm(TaskForm):
    """Offers proposed to the person and whether they took them up (free entries for now)."""

    blank_entries = {"angebote": 2}
    title = _l("Angebote")

    angebote = _entries(_l("Angebote"), AngebotForm, 1, _l("Bitte mindestens ein Angebot angeben."))
    angebote_notiz = _text(_l("Hinweise zu den Angeboten"),
                           description=_l("z. B. fehlende Angebote für den Aufenthaltsstatus (Förderlücke)."))

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        return {"angebote": _list(ctx, "angebote")}

    def validate(self, extra_validators: Any = None) -> bool:
        _drop_blank(self.angebote, ignore=("status",))
        valid = super().validate(extra_validators=extra_validators)
        if not self.angebote.entries:
            self.angebote.append_entry()
        return valid


# --- 7. Überprüfung (timer, repeats) with transitions ---------------------------------------


class ZielstandForm(SubForm):
    bereich = SelectField(_l("Bereich"), choices=_choices(ZIELBEREICHE), validate_choice=False)
    ziel = _text(_l("Ziel"), limit=2000)
    frist = DateField(_l("Frist"), optional_value())
    verantwortlich = StringField(_l("Verantwortlich"), [Optional(), max_length(200)], filters=[strip_text])
    status = RadioField(_l("Stand"), [required(_l("Bitte den Stand des Ziels wählen."))],  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                        choices=_choices(ZIELSTATUS), invalid_choice_message=PICK)


class UebergangForm(SubForm):
    """A transition between systems (dated), with the checklist items already done."""

    art = SelectField(_l("Art des Übergangs"), [required(_l("Bitte die Art des Übergangs wählen."))],  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                      choices=[SelectChoice("", _l("– bitte wählen –")), *_choices(UEBERGANGSARTEN)],
                      invalid_choice_message=PICK)
    datum = DateField(_l("Datum des Übergangs"), required_value())
    erledigt = SelectMultipleField(  # type: ignore[call-arg]  # stubs lag WTForms 3.3
        _l("Bereits erledigt (Checkliste)"), choices=_choices(CHECKLIST_ITEMS), invalid_choice_message=INVALID_CHOICES,
        description=_l("Nur Punkte der Checkliste dieses Übergangs. Offene Punkte werden Aufgaben des Teams."))
    notiz = StringField(_l("Anmerkung"), [Optional(), max_length(500)], filters=[strip_text])


class UeberpruefungForm(TaskForm):
    """The review, due by timer every few weeks: goals, offers, transitions; continue or close."""

    blank_entries = {"uebergaenge": 1, "angebote": 1}
    title = _l("Überprüfung")

    ueberpruefung_datum = DateField(_l("Datum der Überprüfung"), required_value())
    ziele = FieldList(FormField(ZielstandForm), _l("Ziele des Integrationsplans"))
    angebote = _entries(_l("Angebote"), AngebotForm)
    uebergaenge = _entries(_l("Übergänge seit der letzten Überprüfung"), UebergangForm,
                           description=_l("Wechsel des Leistungssystems oder des Aufenthaltsstatus."))
    ueberpruefung_notiz = _text(_l("Notiz zur Überprüfung"))
    ueberpruefung_wochen = IntegerField(
        _l("Nächste Überprüfung in … Wochen"), [*optional_value(), NumberRange(
            1, 26, message=_l("Bitte eine Zahl zwischen 1 und 26 Wochen angeben."))])
    weiter = _radio(_l("Wie geht es weiter?"), WEITER, _l("Bitte wählen, wie es weitergeht."))

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        goals = [{k: g.get(k) for k in ("bereich", "ziel", "frist", "verantwortlich", "status")}
                 for g in _list(ctx, "ziele")]
        return {"ueberpruefung_datum": ctx.today.isoformat(), "ziele": goals, "angebote": _list(ctx, "angebote"),
                "ueberpruefung_wochen": ctx.data.get("ueberpruefung_wochen") or 8}

    def configure(self, ctx: FormContext) -> None:
        super().configure(ctx)
        goals = _list(ctx, "ziele")
        message = _l("Bitte jedes Ziel des Integrationsplans bewerten.")
        self.ziele.validators = [EntryCount(len(goals), len(goals), min_message=message)]

    def validate_ueberpruefung_datum(self, field: DateField) -> None:
        _not_future(self, field, _l("Das Datum der Überprüfung"))

    def validate(self, extra_validators: Any = None) -> bool:
        _drop_blank(self.angebote, ignore=("status",))
        _drop_blank(self.uebergaenge)
        valid = super().validate(extra_validators=extra_validators)
        for entry in self.uebergaenge.entries:
            sub = entry.form
            allowed = {f"{sub.art.data}:{item}" for item, _label in checklist(sub.art.data or "")}
            wrong = [v for v in sub.erledigt.data or [] if v not in allowed]
            if wrong and not sub.erledigt.errors:
                sub.erledigt.errors = [_l("Bitte nur Punkte der Checkliste des gewählten Übergangs ankreuzen.")]
                valid = False
            if sub.datum.data and sub.datum.data > self.ctx.today and not sub.datum.errors:
                sub.datum.errors = [_l("Das Datum des Übergangs darf nicht in der Zukunft liegen.")]
                valid = False
        if self.weiter.data == "fortsetzen" and self.ueberpruefung_wochen.data is None \
                and not self.ueberpruefung_wochen.errors:
            self.ueberpruefung_wochen.errors = [_l("Bitte angeben, wann die nächste Überprüfung fällig ist.")]
            valid = False
        return valid

    def to_task_data(self) -> dict[str, Any]:
        data = super().to_task_data()
        goals = _list(self.ctx, "ziele")
        updated = []
        for goal, review in zip(goals, data["ziele"], strict=False):
            new = {**goal, "status": review["status"],
                   "verantwortlich": review.get("verantwortlich") or goal.get("verantwortlich", "")}
            if review["status"] == "angepasst":
                new["ziel"] = review.get("ziel") or goal.get("ziel")
                new["frist"] = review.get("frist") or goal.get("frist")
            updated.append(new)
        # ``uebergaenge``: this review's transitions as entered (the history shows them under the form's
        # labels); ``uebergaenge_verlauf``: every transition of the case, checklist items by their key.
        transitions = [{"art": t["art"], "datum": t["datum"], "erledigt": transition_items(t),
                        "notiz": t.get("notiz") or ""} for t in data["uebergaenge"]]
        summary = {"datum": data["ueberpruefung_datum"], "weiter": data["weiter"],
                   "ziele": [{"ziel": g.get("ziel"), "status": g["status"]} for g in updated],
                   "uebergaenge": [t["art"] for t in transitions]}
        result = {**data, "ziele": updated, "ueberpruefungen": [*_list(self.ctx, "ueberpruefungen"), summary],
                  "uebergaenge_verlauf": [*_list(self.ctx, "uebergaenge_verlauf"), *transitions]}
        for transition in transitions:  # the situation follows the transition
            spec = UEBERGAENGE[transition["art"]]
            result[spec["feld"]] = spec["neu"]
        weeks = data.get("ueberpruefung_wochen") or self.ctx.data.get("ueberpruefung_wochen") or 8
        result["ueberpruefung_wochen"] = weeks
        result["ueberpruefung_intervall"] = f"P{weeks}W"
        return result


# --- 8. Abschluss --------------------------------------------------------------------------


class AbschlussForm(TaskForm):
    """Closing with the outcome; the outcome becomes the case's outcome (statistics)."""

    title = _l("Abschluss")

    abschluss_datum = DateField(_l("Datum des Abschlusses"), required_value())
    ergebnis = _radio(_l("Ergebnis"), ERGEBNISSE, _l("Bitte das Ergebnis der Begleitung wählen."))
    ergebnis_sonstiges = StringField(
        _l("Sonstiges Ergebnis"),
        [RequiredIf("ergebnis", "sonstiges", _l("Bitte das Ergebnis beschreiben.")), max_length(300)],
        filters=[strip_text])
    anschluss = _text(_l("Anschlussperspektive und Übergabe"),
                      description=_l("Wer begleitet weiter, was ist vereinbart?"))
    reflexion = _text(_l("Auswertung mit der jungen Person"))

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        return {"abschluss_datum": ctx.today.isoformat()}

    def validate_abschluss_datum(self, field: DateField) -> None:
        _not_future(self, field, _l("Das Datum des Abschlusses"))


JE_FORMS: dict[str, type[TaskForm]] = {
    "junge_erwachsene.aufnahme": AufnahmeForm,
    "junge_erwachsene.situation": SituationForm,
    "junge_erwachsene.faehigkeiten": FaehigkeitenForm,
    "junge_erwachsene.fallkonferenz": FallkonferenzForm,
    "junge_erwachsene.integrationsplan": IntegrationsplanForm,
    "junge_erwachsene.angebote": AngeboteForm,
    "junge_erwachsene.ueberpruefung": UeberpruefungForm,
    "junge_erwachsene.abschluss": AbschlussForm,
}
