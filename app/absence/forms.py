"""The absence form (same rules for everyone who enters one)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.absence.services import today
from forms.base import AppForm


class AbsenceForm(AppForm):
    starts_on = DateField(_l("Abwesend von"), [InputRequired(_l("Bitte füllen Sie dieses Feld aus."))])
    ends_on = DateField(_l("Abwesend bis (einschließlich)"),
                        [InputRequired(_l("Bitte füllen Sie dieses Feld aus."))])
    substitute = SelectField(_l("Vertretung"), [DataRequired(_l("Bitte eine Vertretung wählen."))],
                             description=_l("Eine Kollegin oder ein Kollege aus Ihrem Team."))
    note = StringField(_l("Hinweis (optional)"), [Optional(), Length(max=200)])

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("Das Ende darf nicht vor dem Beginn liegen."))
        if field.data and field.data < today():
            raise ValidationError(_l("Das Ende darf nicht in der Vergangenheit liegen."))
