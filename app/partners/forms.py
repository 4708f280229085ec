"""Forms: invite a partner to a case, a partner's part of a goal, the consent withdrawn."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.partners.services import PART_STATUS
from forms.alltagsbegleitung import _choices
from forms.base import AppForm
from forms.junge_erwachsene import KATEGORIEN

TEXT_MAX = 4000


class InviteForm(AppForm):
    username = SelectField(_l("Person der Partnerorganisation"), [InputRequired(_l("Bitte eine Person wählen."))],
                           choices=[], validate_choice=False)
    kategorien = SelectMultipleField(_l("Datenkategorien, die der Partner sehen darf"), choices=_choices(KATEGORIEN),
                                     validate_choice=False,
                                     description=_l("Nur was die Einwilligung umfasst; die Stammdaten immer."))


class PartForm(AppForm):
    beitrag = TextAreaField(_l("Was wurde getan?"), [DataRequired(_l("Bitte kurz beschreiben, was getan wurde.")),
                                                     Length(max=TEXT_MAX)])
    stand = RadioField(_l("Stand"), [InputRequired(_l("Bitte den Stand wählen."))], choices=_choices(PART_STATUS),  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                       invalid_choice_message=_l("Bitte einen Wert aus der Liste wählen."))


class WithdrawForm(AppForm):
    widerrufen_am = DateField(_l("Widerrufen am"), [InputRequired(_l("Bitte das Datum des Widerrufs angeben."))])
    notiz = TextAreaField(_l("Anmerkung"), [Optional(), Length(max=1000)])
