"""Forms of the MBE pages (client search, starting a case, handover)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.mbe.statistics import FROM_FIRST, TO_LAST, month_end
from forms.base import AppForm


class ClientSearchForm(AppForm):
    """GET form: no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    name = StringField(_l("Name (Vor- oder Nachname)"), [Optional(), Length(max=120)],
                       description=_l("Anfang des Vor- oder Nachnamens, z. B. „Mus“."))
    geburtsdatum = DateField(_l("Geburtsdatum"), [Optional()], format=["%Y-%m-%d", "%d.%m.%Y"],
                             description=_l("Format TT.MM.JJJJ oder JJJJ-MM-TT."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.name.data or "").strip() and not any(self.geburtsdatum.raw_data or []):
            self.name.errors = [*self.name.errors, _l("Bitte einen Namen oder ein Geburtsdatum angeben.")]
            return False
        return valid


class StartCaseForm(AppForm):
    client_id = HiddenField()
    team = SelectField(_l("Beratungsstelle (Team)"), validators=[DataRequired(_l("Bitte ein Team wählen."))])


class HandoverForm(AppForm):
    an = SelectField(_l("Übergeben an"),
                     validators=[DataRequired(_l("Bitte eine Beraterin oder einen Berater wählen."))])
    grund = TextAreaField(_l("Grund der Übergabe"), [
        DataRequired(_l("Bitte den Grund der Übergabe angeben.")), Length(max=1000)])


class StatisticsForm(AppForm):
    """A period of whole calendar months (person-level figures, app/suppression.py); other
    statistics pages reuse it with their own messages."""

    class Meta:
        csrf = False

    from_first_message = FROM_FIRST
    to_last_message = TO_LAST

    von = DateField(_l("Von"), [DataRequired(_l("Bitte ein Datum angeben."))], format=["%Y-%m-%d", "%d.%m.%Y"])
    bis = DateField(_l("Bis (einschließlich)"), [DataRequired(_l("Bitte ein Datum angeben."))],
                    format=["%Y-%m-%d", "%d.%m.%Y"])

    def validate_von(self, field):
        if field.data and field.data.day != 1:
            raise ValidationError(self.from_first_message)

    def validate_bis(self, field):
        if self.von.data and field.data and field.data < self.von.data:
            raise ValidationError(_l("Das Ende darf nicht vor dem Beginn liegen."))
        if field.data and field.data != month_end(field.data):
            raise ValidationError(self.to_last_message)


class ConsentWithdrawalForm(AppForm):
    datum = DateField(_l("Widerrufen am"), [DataRequired(_l("Bitte das Datum des Widerrufs angeben."))],
                      format=["%Y-%m-%d", "%d.%m.%Y"])
    notiz = TextAreaField(_l("Notiz zum Widerruf"), [
        DataRequired(_l("Bitte eine Notiz zum Widerruf angeben.")), Length(max=1000)])

    def validate_datum(self, field):
        from app.mbe.consent import today

        if field.data and field.data > today():
            raise ValidationError(_l("Das Datum des Widerrufs darf nicht in der Zukunft liegen."))
