"""Task forms of the process "Alltagsbegleitung" (seed 000, five steps).

Field names are a contract with the BPMN model and the acceptance checks.
"""

from __future__ import annotations

import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice  # type: ignore[attr-defined]  # stubs lag WTForms 3.3
from wtforms.fields import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from forms.base import (
    EntryCount,
    FormContext,
    StopOnInvalidInput,
    SubForm,
    TaskForm,
    german_date,
    parse_iso_date,
    strip_text,
)

REQUIRED = _l("Bitte füllen Sie dieses Feld aus.")
INVALID_CHOICES = _l("Ungültige Auswahl: %(value)s.")
TEXT_MAX = 10000
MAX_GOALS = 10


def required(message: Any = REQUIRED) -> DataRequired:
    """DataRequired with a German message."""
    return DataRequired(message=message)


def required_value() -> list[Any]:
    """Required date/number: input must be given and convertible (WTForms' own message)."""
    return [InputRequired(message=REQUIRED), StopOnInvalidInput()]


def optional_value() -> list[Any]:
    """Optional date/number: blank is fine, but given input must be convertible."""
    return [Optional(), StopOnInvalidInput()]


def max_length(limit: int) -> Length:
    """Length(max=limit) with a German message."""
    return Length(max=limit, message=_l("Bitte höchstens %(max)d Zeichen eingeben."))


class RequiredIf:
    """Required when another field has a given value, otherwise optional.

    A blank field stops the validation chain (like ``Optional``), so further checks in
    ``validate_<field>`` only run on an actual value.
    """

    def __init__(self, other: str, value: object, message: Any) -> None:
        self.other = other
        self.value = value
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if not _blank(field):
            return
        field.errors[:] = []
        if form[self.other].data == self.value:
            raise StopValidation(self.message)
        raise StopValidation()


def _blank(field: Any) -> bool:
    """True if the field got no input (or, without form data, has no value)."""
    if field.raw_data is None:
        return field.data is None or field.data == ""
    return _blank_raw(field)


def _blank_raw(field: Any) -> bool:
    """True if the field was submitted without any non-whitespace input."""
    return field.raw_data is not None and not any(str(v).strip() for v in field.raw_data)


def _choices(pairs: list[tuple[str, Any]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


TEILNEHMENDE = [
    ("eltern", _l("Eltern bzw. junge:r Erwachsene:r")),
    ("alltagsbegleitung", _l("Alltagsbegleitung")),
    ("koordinierungsstelle", _l("Koordinierungsstelle 201")),
    ("fachbereich", _l("Fachbereich 36/31")),
]


def _today_initial(ctx: FormContext) -> dict[str, Any]:
    return {"datum": ctx.today.isoformat()}


# --- 1. Bedarfsermittlung -----------------------------------------------------------------


class ZielForm(SubForm):
    """One goal: detailed, concrete, time-limited and verifiable (seed 000)."""

    #: Reference date for the deadline check; set by the enclosing form before validation.
    today: datetime.date | None = None

    beschreibung = TextAreaField(
        _l("Ziel (detailliert und konkret)"),
        [required(), max_length(TEXT_MAX)],
        filters=[strip_text],
    )
    frist = DateField(_l("Frist"), required_value())
    ueberpruefung = TextAreaField(
        _l("Wie wird die Zielerreichung überprüft?"),
        [required(), max_length(TEXT_MAX)],
        filters=[strip_text],
    )

    def validate_frist(self, field: DateField) -> None:
        if field.data is None:  # blank or not a date: the field validators answered
            return
        if field.data <= (self.today or datetime.date.today()):
            raise ValidationError(_l("Die Frist muss in der Zukunft liegen."))


class BedarfsermittlungForm(TaskForm):
    # Empty goal slots offered on the page, so more goals can be entered without JavaScript.
    blank_entries = {"ziele": 2}
    """Step 1: the FB team clarifies the need and reports it with goals to 201."""

    title = _l("Bedarfsermittlung")

    zielgruppe = RadioField(  # type: ignore[call-arg]  # stubs lag WTForms 3.3
        _l("Zielgruppe"),
        [required(_l("Bitte eine Zielgruppe wählen."))],
        choices=_choices(
            [
                ("familie", _l("Familie")),
                ("junger_erwachsener", _l("Junge:r Erwachsene:r (z. B. ehemalige UMA)")),
            ]
        ),
        invalid_choice_message=_l("Bitte eine Zielgruppe aus der Liste wählen."),
    )
    familienname = StringField(
        _l("Familienname / Name"), [required(), max_length(80)], filters=[strip_text]
    )
    vornamen = StringField(
        _l("Vornamen (Familienmitglieder)"),
        [Optional(), max_length(200)],
        filters=[strip_text],
    )
    anschrift = TextAreaField(_l("Anschrift"), [Optional(), max_length(500)], filters=[strip_text])
    sprachen = StringField(
        _l("Gesprochene Sprachen"),
        [required(), max_length(200)],
        filters=[strip_text],
        description=_l("Mehrere Sprachen durch Komma trennen."),
    )
    kinder_anzahl = IntegerField(
        _l("Anzahl der Kinder"),
        [
            *optional_value(),
            NumberRange(0, 20, message=_l("Bitte eine Zahl zwischen 0 und 20 angeben.")),
        ],
    )
    bedarf = TextAreaField(
        _l("Festgestellter Bedarf"), [required(), max_length(TEXT_MAX)], filters=[strip_text]
    )
    ziele = FieldList(
        FormField(ZielForm),
        _l("Ziele"),
        [
            EntryCount(
                1,
                MAX_GOALS,
                min_message=_l("Bitte mindestens ein Ziel angeben."),
                max_message=_l("Bitte höchstens %(max)d Ziele angeben.", max=MAX_GOALS),
            )
        ],
        min_entries=1,
        description=_l("Ziele detailliert, konkret, zeitlich begrenzt und überprüfbar angeben."),
    )
    interne_notiz = TextAreaField(
        _l("Interne Notiz des Fachbereichs (für Ehrenamtliche nicht sichtbar)"),
        [Optional(), max_length(TEXT_MAX)],
        filters=[strip_text],
    )

    def validate(self, extra_validators: Any = None) -> bool:
        """Ignore completely blank goal entries; keep one blank entry for re-rendering."""
        self.ziele.entries = [e for e in self.ziele.entries if not _blank_entry(e)]
        for entry in self.ziele.entries:
            entry.form.today = self.ctx.today
        valid = super().validate(extra_validators=extra_validators)
        if not self.ziele.entries:
            self.ziele.append_entry()
        return valid


def _blank_entry(entry: FormField) -> bool:
    """True if a submitted goal entry has no input at all (JSON: empty object)."""
    return all(_blank_raw(sub) for sub in entry.form)


# --- 2. Vermittlung -----------------------------------------------------------------------


class VermittlungForm(TaskForm):
    """Step 2: 201 finds a suitable volunteer."""

    title = _l("Vermittlung")

    ehrenamtliche = SelectField(  # type: ignore[call-arg]  # stubs lag WTForms 3.3
        _l("Ehrenamtliche Alltagsbegleitung"),
        [required(_l("Bitte eine Ehrenamtliche / einen Ehrenamtlichen auswählen."))],
        choices=[],
        invalid_choice_message=_l(
            "Bitte eine Ehrenamtliche / einen Ehrenamtlichen aus der Liste wählen."
        ),
    )
    begruendung = TextAreaField(
        _l("Begründung der Auswahl"),
        [Optional(), max_length(TEXT_MAX)],
        filters=[strip_text],
        description=_l("z. B. Sprachen, zeitliche Verfügbarkeit, keine Überschneidung."),
    )
    vorbereitung_erfolgt = BooleanField(_l("Auf den Einsatz vorbereitet (Schulung b erfolgt)"))

    def configure(self, ctx: FormContext) -> None:
        super().configure(ctx)
        placeholder = SelectChoice("", _l("– bitte wählen –"))
        self.ehrenamtliche.choices = [placeholder, *_choices(list(ctx.volunteers))]


# --- 3. Vorgespräch -----------------------------------------------------------------------


class VorgespraechForm(TaskForm):
    """Step 3: meeting of family, volunteer, 201 and FB; scope and duration are fixed."""

    title = _l("Vorgespräch")

    datum = DateField(_l("Datum des Gesprächs"), required_value())
    teilnehmende = SelectMultipleField(  # type: ignore[call-arg]  # stubs lag WTForms 3.3
        _l("Teilnehmende"),
        [required(_l("Bitte mindestens eine teilnehmende Person bzw. Stelle wählen."))],
        choices=_choices(TEILNEHMENDE),
        invalid_choice_message=INVALID_CHOICES,
    )
    stunden_pro_woche = DecimalField(
        _l("Umfang (Stunden pro Woche)"),
        [
            *required_value(),
            NumberRange(0.5, 40, message=_l("Bitte eine Zahl zwischen 0,5 und 40 angeben.")),
        ],
        places=None,
    )
    beginn = DateField(_l("Beginn des Einsatzes"), required_value())
    ende = DateField(_l("Ende des Einsatzes"), required_value())
    vereinbarungen = TextAreaField(
        _l("Vereinbarungen"), [Optional(), max_length(TEXT_MAX)], filters=[strip_text]
    )

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        return _today_initial(ctx)

    def validate_ende(self, field: DateField) -> None:
        if field.data is None:  # blank or not a date: the field validators answered
            return
        if self.beginn.data and field.data <= self.beginn.data:
            raise ValidationError(_l("Das Ende muss nach dem Beginn liegen."))
        if field.data < self.ctx.today:
            raise ValidationError(_l("Das Ende darf nicht in der Vergangenheit liegen."))


# --- 4. Zwischengespräch ------------------------------------------------------------------


class ZwischengespraechForm(TaskForm):
    """Step 4: 201 keeps close contact with the volunteer during the assignment."""

    title = _l("Zwischengespräch")

    datum = DateField(_l("Datum des Gesprächs"), required_value())
    notizen = TextAreaField(
        _l("Gesprächsnotizen"), [required(), max_length(TEXT_MAX)], filters=[strip_text]
    )
    probleme = TextAreaField(
        _l("Probleme / Auffälligkeiten"),
        [Optional(), max_length(TEXT_MAX)],
        filters=[strip_text],
        description=_l("Krisen bitte sofort über die Eskalation an den Fachbereich melden."),
    )
    fragen_ehrenamt = TextAreaField(
        _l("Fragen der Alltagsbegleitung"),
        [Optional(), max_length(TEXT_MAX)],
        filters=[strip_text],
    )
    fb_einbeziehen = BooleanField(_l("Fachbereich 36/31 muss einbezogen werden"))
    abschluss_einleiten = BooleanField(_l("Abschlussgespräch einleiten"))

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        return _today_initial(ctx)


# --- 5. Abschluss -------------------------------------------------------------------------


class ZielbewertungForm(SubForm):
    """Assessment of one goal at the closing meeting."""

    ziel = StringField(_l("Ziel"), render_kw={"readonly": True})
    bewertung = RadioField(  # type: ignore[call-arg]  # stubs lag WTForms 3.3
        _l("Bewertung"),
        [required(_l("Bitte eine Bewertung wählen."))],
        choices=_choices(
            [
                ("erreicht", _l("erreicht")),
                ("teilweise", _l("teilweise erreicht")),
                ("nicht_erreicht", _l("nicht erreicht")),
            ]
        ),
        invalid_choice_message=_l("Bitte eine Bewertung aus der Liste wählen."),
    )
    kommentar = StringField(_l("Kommentar"), [Optional(), max_length(500)], filters=[strip_text])


class AbschlussForm(TaskForm):
    """Step 5: closing meeting with one of three outcomes."""

    title = _l("Abschluss")

    datum = DateField(_l("Datum des Gesprächs"), required_value())
    teilnehmende = SelectMultipleField(  # type: ignore[call-arg]  # stubs lag WTForms 3.3
        _l("Teilnehmende"), choices=_choices(TEILNEHMENDE), invalid_choice_message=INVALID_CHOICES
    )
    ergebnis = RadioField(  # type: ignore[call-arg]  # stubs lag WTForms 3.3
        _l("Ergebnis"),
        [required(_l("Bitte ein Ergebnis wählen."))],
        choices=_choices(
            [
                ("beenden", _l("Einsatz beenden")),
                ("fortfuehren", _l("Einsatz fortführen (neuer Zeitraum)")),
                ("ueberleiten", _l("In andere Maßnahme überleiten")),
            ]
        ),
        invalid_choice_message=_l("Bitte ein Ergebnis aus der Liste wählen."),
    )
    zielbewertungen = FieldList(FormField(ZielbewertungForm), _l("Bewertung der Ziele"))
    neues_ende = DateField(
        _l("Neues Enddatum"),
        [
            RequiredIf(
                "ergebnis",
                "fortfuehren",
                _l("Bei Fortführung ist ein neues Enddatum erforderlich."),
            ),
            StopOnInvalidInput(),
        ],
        description=_l("Nur bei Fortführung des Einsatzes."),
    )
    folgemassnahme = TextAreaField(
        _l("Folgemaßnahme"),
        [
            RequiredIf(
                "ergebnis",
                "ueberleiten",
                _l("Bei Überleitung ist die Folgemaßnahme anzugeben."),
            ),
            max_length(TEXT_MAX),
        ],
        filters=[strip_text],
        description=_l("Nur bei Überleitung in eine andere Maßnahme."),
    )
    begruendung = TextAreaField(
        _l("Begründung / Gesprächsergebnis"),
        [Optional(), max_length(TEXT_MAX)],
        filters=[strip_text],
    )

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        bewertungen = [{"ziel": text} for text in _goal_texts(ctx)]
        return {**_today_initial(ctx), "zielbewertungen": bewertungen}

    def configure(self, ctx: FormContext) -> None:
        """Require one assessment per goal; the goal texts always come from the case."""
        super().configure(ctx)
        goals = _goal_texts(ctx)
        message = _l("Bitte jedes Ziel bewerten.")
        field = self.zielbewertungen
        field.validators = [EntryCount(len(goals), len(goals), min_message=message)]
        for entry, text in zip(field.entries, goals, strict=False):
            entry.form.ziel.data = text

    def validate_neues_ende(self, field: DateField) -> None:
        if self.ergebnis.data != "fortfuehren" or field.data is None:
            return
        if field.data <= self.ctx.today:
            raise ValidationError(_l("Das neue Enddatum muss in der Zukunft liegen."))
        bisher = parse_iso_date(self.ctx.data.get("ende"))
        if bisher and field.data <= bisher:
            raise ValidationError(
                _l(
                    "Das neue Enddatum muss nach dem bisherigen Ende (%(ende)s) liegen.",
                    ende=german_date(bisher),
                )
            )


def _goal_texts(ctx: FormContext) -> list[str]:
    """Descriptions of the case's goals (from Bedarfsermittlung)."""
    goals = ctx.data.get("ziele") or []
    return [str(g.get("beschreibung", "")) for g in goals if isinstance(g, dict)]


# --- Rückmeldung der Alltagsbegleitung (volunteer lane, repeatable) -----------------------


class RueckmeldungForm(TaskForm):
    """The volunteer reports on the assignment and asks 201 questions, as often as needed."""

    title = _l("Rückmeldung an die Koordinierungsstelle")

    datum = DateField(_l("Datum"), required_value())
    bericht = TextAreaField(
        _l("Was ist seit der letzten Rückmeldung passiert?"),
        [required(), max_length(TEXT_MAX)], filters=[strip_text],
    )
    stunden = DecimalField(
        _l("Geleistete Stunden"),
        [Optional(), NumberRange(0, 100, message=_l("Bitte eine Zahl zwischen 0 und 100 angeben."))],
        places=None,
    )
    fragen = TextAreaField(
        _l("Fragen an die Koordinierungsstelle 201"), [Optional(), max_length(TEXT_MAX)],
        filters=[strip_text],
    )
    problem = BooleanField(_l("Es gibt ein Problem, das 201 dringend wissen muss"))

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        return _today_initial(ctx)


# --- Krise (event subprocess "krise", started by the message krise_gemeldet) ---------------


class KriseMeldenForm(TaskForm):
    """A crisis report by the volunteer, 201 or the team (web page and API body)."""

    title = _l("Krise melden")

    beschreibung = TextAreaField(
        _l("Was ist passiert?"), [required(), max_length(TEXT_MAX)], filters=[strip_text],
        description=_l("Keine Diagnosen oder Daten Dritter, nur was das Team jetzt wissen muss."),
    )
    dringlichkeit = RadioField(
        _l("Dringlichkeit"),
        [required(_l("Bitte die Dringlichkeit wählen."))],
        choices=_choices([("normal", _l("normal")), ("hoch", _l("hoch – sofortige Reaktion nötig"))]),
        default="normal",
    )


class KriseQuittierenForm(TaskForm):
    """The owning team acknowledges the crisis and fixes the first measure."""

    title = _l("Krise zur Kenntnis nehmen")

    erste_massnahme = TextAreaField(
        _l("Erste Maßnahme"), [required(), max_length(TEXT_MAX)], filters=[strip_text]
    )
    zustaendig = StringField(_l("Zuständig im Team"), [Optional(), max_length(200)],
                             filters=[strip_text])


KRISEN_ERGEBNISSE = [
    ("geloest", _l("Krise gelöst, Einsatz läuft weiter")),
    ("pausiert", _l("Einsatz pausiert")),
    ("beendet", _l("Einsatz beendet (Fall endet)")),
    ("uebergeben", _l("An eine andere Stelle übergeben")),
]


class KriseBearbeitenForm(TaskForm):
    """How the crisis ended; "beendet" ends the whole case (see the BPMN end event)."""

    title = _l("Krise bearbeiten")

    krisen_ergebnis = RadioField(
        _l("Ergebnis der Krisenbearbeitung"), [required(_l("Bitte ein Ergebnis wählen."))],
        choices=_choices(KRISEN_ERGEBNISSE),
    )
    massnahmen = TextAreaField(
        _l("Ergriffene Maßnahmen"), [required(), max_length(TEXT_MAX)], filters=[strip_text]
    )
    uebergeben_an = StringField(
        _l("Übergeben an"),
        [RequiredIf("krisen_ergebnis", "uebergeben",
                    _l("Bitte angeben, an welche Stelle übergeben wurde.")), max_length(200)],
        filters=[strip_text],
    )


class KriseEskalationForm(TaskForm):
    """The supervisor reacts to a crisis nobody acknowledged in time."""

    title = _l("Krise ohne Reaktion (Leitung)")

    massnahme_leitung = TextAreaField(
        _l("Was hat die Leitung veranlasst?"), [required(), max_length(TEXT_MAX)],
        filters=[strip_text],
    )
