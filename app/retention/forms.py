"""Forms of the retention pages: the process owner's period, a legal hold's reason."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from app.retention.services import MAX_MONTHS, MIN_MONTHS
from forms.alltagsbegleitung import required_value
from forms.base import AppForm

REASON_MAX = 1000


class PeriodForm(AppForm):
    monate = IntegerField(
        _l("Aufbewahrung nach Abschluss (Monate)"),
        [*required_value(), NumberRange(MIN_MONTHS, MAX_MONTHS,
                                        _l("Bitte eine ganze Zahl von 1 bis 120 Monaten angeben."))],
        description=_l("So viele Monate nach Abschluss eines Falls werden seine personenbezogenen Daten "
                       "gelöscht (ganze Monate, 1 bis 120)."))


class HoldForm(AppForm):
    grund = TextAreaField(_l("Grund der Löschsperre"), [
        DataRequired(_l("Bitte den Grund der Löschsperre angeben.")), Length(max=REASON_MAX)],
        description=_l("Zum Beispiel ein laufendes Gerichtsverfahren oder eine Anfrage einer Behörde. "
                       "Bitte keine Gesundheits- oder Sozialdaten eintragen."))
