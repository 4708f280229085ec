"""The form of a time record (Zeiterfassung)."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField  # type: ignore[attr-defined]  # stubs lag WTForms 3.3
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from app.worktime.activities import RECORDED
from forms.base import AppForm, StopOnInvalidInput

MAX_MINUTES = 720  # 12 hours a day at most


class TimeRecordForm(AppForm):
    team = SelectField(_l("Team"), [DataRequired(_l("Bitte ein Team wählen."))], choices=[])
    datum = DateField(_l("Datum"), [InputRequired(_l("Bitte ein gültiges Datum angeben.")), StopOnInvalidInput()])
    activity = SelectField(_l("Tätigkeit"), [DataRequired(_l("Bitte eine Tätigkeit wählen."))],
                           choices=[SelectChoice(key, label) for key, label in RECORDED])
    minutes = IntegerField(
        _l("Dauer (Minuten)"),
        [InputRequired(_l("Bitte die Dauer in Minuten angeben.")), StopOnInvalidInput(),
         NumberRange(1, MAX_MINUTES, message=_l("Bitte eine Dauer zwischen 1 und %(max)d Minuten angeben.",
                                                max=MAX_MINUTES))],
        description=_l("Zum Beispiel 90 für anderthalb Stunden."))
    note = StringField(_l("Notiz"), [Length(max=500, message=_l("Bitte höchstens %(max)d Zeichen eingeben."))],
                       description=_l("Zum Beispiel der Name des Gremiums oder der Veranstaltung."))

    def validate_datum(self, field) -> None:
        if field.data and field.data > date.today():
            raise ValidationError(_l("Das Datum darf nicht in der Zukunft liegen."))
        if field.data and field.data.year < 2000:
            raise ValidationError(_l("Bitte ein Datum ab dem Jahr 2000 angeben."))
