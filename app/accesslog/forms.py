"""The filter form of the access log page (a GET form: nothing is changed, so no CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from forms.base import AppForm

MAX_ID = 2_147_483_647  # the integer range of the database


class AccessLogFilterForm(AppForm):
    class Meta:
        csrf = False

    benutzer = StringField(_l("Benutzer/in (Anmeldename)"), [Optional(), Length(max=80)],
                           description=_l("z. B. fb36"))
    fall = StringField(_l("Fall (Aktenzeichen oder ID)"), [Optional(), Length(max=40)])
    klient = IntegerField(_l("Klient/in (ID)"), [Optional(), NumberRange(
        min=1, max=MAX_ID, message=_l("Bitte eine positive ganze Zahl eingeben."))])
    von = DateField(_l("Zeitraum von"), [Optional()])
    bis = DateField(_l("Zeitraum bis (einschließlich)"), [Optional()])

    def validate_bis(self, field):
        if self.von.data and field.data and field.data < self.von.data:
            raise ValidationError(_l("Das Ende darf nicht vor dem Beginn liegen."))
