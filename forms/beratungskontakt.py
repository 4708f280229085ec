"""Task forms of the counselling log "Beratungskontakt" of the coordination office 201.

One short form records a consultation, a home visit or an event in under a minute (seed 002:
consultations by topic, home visits per week, events per year; seed 004: share of working time
by kind of activity). Field names and choice values are a contract with the BPMN model
(``nachverfolgung``, ``nachverfolgung_bis``) and with the statistics (app/counselling).
"""

from __future__ import annotations

import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.fields import (
    BooleanField,
    DateField,
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
    REQUIRED,
    RequiredIf,
    _choices,
    max_length,
    optional_value,
    required,
    required_value,
)
from forms.base import FormContext, TaskForm, strip_text

# kind of contact (Art des Kontakts)
SPRECHSTUNDE, TELEFON, HAUSBESUCH, VERANSTALTUNG = "sprechstunde", "telefon", "hausbesuch", "veranstaltung"
ARTEN = [
    (SPRECHSTUNDE, _l("Sprechstunde")),
    (TELEFON, _l("Telefon")),
    (HAUSBESUCH, _l("Hausbesuch")),
    (VERANSTALTUNG, _l("Veranstaltung")),
]
# topics: the categories of the integration office's report (seed 002)
THEMEN = [
    ("krisenintervention", _l("Krisenintervention und Konfliktberatung")),
    ("schule", _l("Schulische Angelegenheiten")),
    ("ausbildung_arbeit", _l("Praktikum/Ausbildung/Arbeit")),
    ("behoerden", _l("Behördenangelegenheiten")),
    ("alltagsfragen", _l("Alltagsfragen")),
    ("wohnen", _l("Wohnraum")),
    ("aerztliche_vermittlung", _l("Ärztliche Vermittlung")),
]
# kind of activity for the share of working time (seed 004)
TAETIGKEITEN = [
    ("beratung", _l("Beratung")),
    ("case_management", _l("Case Management")),
    ("gruppenarbeit", _l("Gruppenarbeit")),
    ("netzwerkarbeit", _l("Netzwerkarbeit")),
]
# kinds of events (seed 002: info and discussion rounds, first orientation, network meetings, ...)
VERANSTALTUNGSARTEN = [
    ("info_gespraechsrunde", _l("Info- und Gesprächsrunde")),
    ("erstorientierung", _l("Erstorientierung")),
    ("netzwerktreffen", _l("Netzwerktreffen")),
    ("arbeitskreis", _l("Arbeitskreis")),
    ("sonstige", _l("Sonstige Veranstaltung")),
]


class BeratungskontaktForm(TaskForm):
    """Record one contact of the coordination office (consultation, home visit or event)."""

    title = _l("Beratungskontakt erfassen")

    datum = DateField(_l("Datum"), required_value())
    art = RadioField(  # type: ignore[call-arg]  # stubs lag WTForms 3.3
        _l("Art des Kontakts"), [required(_l("Bitte die Art des Kontakts wählen."))],
        choices=_choices(ARTEN), invalid_choice_message=_l("Bitte eine Art aus der Liste wählen."),
    )
    themen = SelectMultipleField(  # type: ignore[call-arg]  # stubs lag WTForms 3.3
        _l("Themen"), choices=_choices(THEMEN), invalid_choice_message=INVALID_CHOICES,
        description=_l("Mehrfachauswahl möglich. Bei Veranstaltungen freiwillig."),
    )
    dauer_minuten = IntegerField(
        _l("Dauer in Minuten"),
        [*required_value(), NumberRange(1, 1440, message=_l("Bitte eine Dauer zwischen 1 und 1440 Minuten angeben."))],
    )
    taetigkeit = RadioField(  # type: ignore[call-arg]  # stubs lag WTForms 3.3
        _l("Art der Tätigkeit (Arbeitszeitanteil)"), [required(_l("Bitte die Art der Tätigkeit wählen."))],
        choices=_choices(TAETIGKEITEN), invalid_choice_message=_l("Bitte eine Tätigkeit aus der Liste wählen."),
    )
    veranstaltungsart = SelectField(  # type: ignore[call-arg]  # stubs lag WTForms 3.3
        _l("Art der Veranstaltung"),
        [RequiredIf("art", VERANSTALTUNG, _l("Bitte die Art der Veranstaltung wählen."))],
        choices=_choices([("", _l("– bitte wählen –")), *VERANSTALTUNGSARTEN]),
        invalid_choice_message=_l("Bitte eine Veranstaltungsart aus der Liste wählen."),
        description=_l("Nur bei Veranstaltungen."),
    )
    teilnehmende = IntegerField(
        _l("Anzahl der Teilnehmenden"),
        [RequiredIf("art", VERANSTALTUNG, _l("Bitte die Zahl der Teilnehmenden angeben.")), *optional_value(),
         NumberRange(1, 10000, message=_l("Bitte eine Zahl zwischen 1 und 10000 angeben."))],
        description=_l("Nur bei Veranstaltungen."),
    )
    nachverfolgung = BooleanField(_l("Nachverfolgung nötig"))
    nachverfolgung_bis = DateField(
        _l("Nachverfolgung bis"),
        [RequiredIf("nachverfolgung", True, _l("Bitte ein Datum für die Nachverfolgung angeben.")),
         *optional_value()],
    )
    nachverfolgung_was = StringField(
        _l("Was ist nachzuverfolgen?"),
        [RequiredIf("nachverfolgung", True, REQUIRED), max_length(300)], filters=[strip_text],
        description=_l("Kurz und ohne Namen, z. B. „Rückruf wegen Antrag Wohngeld“."),
    )

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        return {"datum": ctx.today.isoformat(), "art": SPRECHSTUNDE, "taetigkeit": "beratung"}

    def validate_datum(self, field: DateField) -> None:
        if field.data is None:  # blank or not a date: the field validators answered
            return
        if field.data > self.ctx.today:
            raise ValidationError(_l("Das Datum darf nicht in der Zukunft liegen."))
        if field.data < self.ctx.today - datetime.timedelta(days=366):
            raise ValidationError(_l("Das Datum darf höchstens ein Jahr zurückliegen."))

    def validate_themen(self, field: SelectMultipleField) -> None:
        if self.art.data in (SPRECHSTUNDE, TELEFON, HAUSBESUCH) and not field.data:
            raise ValidationError(_l("Bitte mindestens ein Thema wählen."))

    def validate_nachverfolgung_bis(self, field: DateField) -> None:
        if field.data is not None and field.data < self.ctx.today:
            raise ValidationError(_l("Das Datum der Nachverfolgung darf nicht in der Vergangenheit liegen."))

    def to_task_data(self) -> dict[str, Any]:
        data = super().to_task_data()
        data["themen"] = list(data.get("themen") or [])
        if data.get("art") != VERANSTALTUNG:  # event details only for events
            data["veranstaltungsart"], data["teilnehmende"] = None, None
        if not data.get("nachverfolgung"):
            data["nachverfolgung_bis"], data["nachverfolgung_was"] = None, None
        data["veranstaltungsart"] = data.get("veranstaltungsart") or None
        return data


class NachverfolgungForm(TaskForm):
    """The follow-up agreed when the contact was recorded."""

    title = _l("Nachverfolgung")

    erledigt_am = DateField(_l("Erledigt am"), required_value())
    nachverfolgung_notiz = TextAreaField(
        _l("Ergebnis der Nachverfolgung"), [Optional(), max_length(2000)], filters=[strip_text],
        description=_l("Ohne personenbezogene Angaben."),
    )

    @classmethod
    def initial(cls, ctx: FormContext) -> dict[str, Any]:
        return {"erledigt_am": ctx.today.isoformat()}

    def configure(self, ctx: FormContext) -> None:
        super().configure(ctx)
        todo = ctx.data.get("nachverfolgung_was")
        if todo:
            self.erledigt_am.description = _l("Nachzuverfolgen: %(was)s", was=str(todo))

    def validate_erledigt_am(self, field: DateField) -> None:
        if field.data is None:  # blank or not a date: the field validators answered
            return
        if field.data > self.ctx.today:
            raise ValidationError(_l("Das Datum darf nicht in der Zukunft liegen."))
