"""Forms of the question thread, the expense entries and the trainings."""

from __future__ import annotations

from datetime import date

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from wtforms import DateField, DecimalField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField  # type: ignore[attr-defined]  # stubs lag WTForms 3.3
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from forms.base import AppForm, StopOnInvalidInput

MAX = _l("Bitte höchstens %(max)d Zeichen eingeben.")


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class CommaDecimalField(DecimalField):
    """A decimal number that also accepts the German decimal comma ("2,5")."""

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [str(valuelist[0]).strip().replace(",", ".")]
            if not valuelist[0]:
                self.data = None  # empty: Optional / InputRequired decide
                return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Bitte eine Zahl angeben, z. B. 2,5.")) from None


class MessageForm(AppForm):
    nachricht = TextAreaField(_l("Ihre Nachricht"), [DataRequired(_l("Bitte eine Nachricht eingeben.")),
                                                     Length(max=4000, message=MAX)])


class ExpenseForm(AppForm):
    datum = DateField(_l("Datum"), [StopOnInvalidInput(), InputRequired(_l("Bitte ein gültiges Datum angeben."))])
    stunden = CommaDecimalField(_l("Stunden"), [
        StopOnInvalidInput(), InputRequired(_l("Bitte die Stunden angeben (0 ist möglich).")),
        NumberRange(0, 24, message=_l("Bitte eine Zahl zwischen 0 und 24 angeben."))], places=None)
    kilometer = CommaDecimalField(_l("Fahrtkilometer"), [
        StopOnInvalidInput(), Optional(),
        NumberRange(0, 2000, message=_l("Bitte eine Zahl zwischen 0 und 2000 angeben."))], places=None)
    auslagen = CommaDecimalField(_l("Sonstige Auslagen (Euro)"), [
        StopOnInvalidInput(), Optional(),
        NumberRange(0, 1000, message=_l("Bitte einen Betrag zwischen 0 und 1000 Euro angeben."))], places=None,
        description=_l("Zum Beispiel Fahrkarten; bitte in der Notiz erläutern."))
    notiz = StringField(_l("Notiz"), [Length(max=500, message=MAX)])

    #: First day of the assignment (the Vorgespräch's "Beginn"), set by the view; None: unknown.
    assignment_start: date | None = None

    def validate_datum(self, field) -> None:
        if field.data and field.data > date.today():
            raise ValidationError(_l("Das Datum darf nicht in der Zukunft liegen."))
        if field.data and self.assignment_start and field.data < self.assignment_start:
            raise ValidationError(_l("Das Datum darf nicht vor dem Beginn des Einsatzes (%(beginn)s) liegen.",
                                     beginn=format_date(self.assignment_start, "medium")))

    def validate_stunden(self, field) -> None:
        if field.data is not None and field.data.as_tuple().exponent < -2:
            raise ValidationError(_l("Bitte höchstens zwei Nachkommastellen angeben."))
        if (field.data is not None and not field.data and not self.kilometer.data and not self.auslagen.data):
            raise ValidationError(_l("Bitte Stunden, Kilometer oder Auslagen angeben."))

    def validate_auslagen(self, field) -> None:
        if field.data and self.auslagen.data and not (self.notiz.data or "").strip():
            raise ValidationError(_l("Bitte die Auslagen in der Notiz erläutern."))


class ReturnForm(AppForm):
    kommentar = TextAreaField(_l("Begründung für die Rückgabe"), [
        DataRequired(_l("Bitte begründen Sie die Rückgabe, damit die Ehrenamtliche / der Ehrenamtliche "
                        "den Eintrag korrigieren kann.")), Length(max=1000, message=MAX)])


class TrainingForm(AppForm):
    kind = SelectField(_l("Art"), [DataRequired(_l("Bitte die Art wählen."))], choices=choices([
        ("a", _l("Schulung a – Fachliches (FB 36/31)")), ("b", _l("Schulung b – Rolle im Einsatz (201)")),
        ("c", _l("Schulung c – Reflexionstreffen")), ("d", _l("Schulung d – Hilfsangebote im Kreis")),
        ("stammtisch", _l("Stammtisch"))]))
    datum = DateField(_l("Datum"), [StopOnInvalidInput(), InputRequired(_l("Bitte ein gültiges Datum angeben."))])
    uhrzeit = StringField(_l("Uhrzeit"), [Optional(), Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", message=_l(
        "Bitte die Uhrzeit als HH:MM angeben, z. B. 18:00."))], description=_l("Zum Beispiel 18:00."))
    ort = StringField(_l("Ort"), [DataRequired(_l("Bitte den Ort angeben.")), Length(max=200, message=MAX)])
    thema = StringField(_l("Thema"), [DataRequired(_l("Bitte das Thema angeben.")), Length(max=300, message=MAX)])


class CancelTrainingForm(AppForm):
    grund = TextAreaField(_l("Grund der Absage"), [Length(max=500, message=MAX)],
                          description=_l("Wird den eingeladenen Ehrenamtlichen mitgeteilt."))


class InviteForm(AppForm):
    ehrenamtliche = SelectMultipleField(_l("Ehrenamtliche einladen"), coerce=int, validate_choice=True)

    def validate_ehrenamtliche(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Bitte mindestens eine Person auswählen."))


class AttendanceForm(AppForm):
    anwesend = SelectMultipleField(_l("Teilgenommen haben"), coerce=int, validate_choice=True)
