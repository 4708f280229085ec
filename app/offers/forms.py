"""The form of an offer (HTML and JSON alike); labels and choices from the young adults' forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (  # type: ignore[attr-defined]  # stubs lag WTForms 3.3
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, ValidationError

from app.offers.models import LEVELS
from forms.alltagsbegleitung import INVALID_CHOICES, optional_value, required_value
from forms.base import AppForm
from forms.junge_erwachsene import ANGEBOTSARTEN, AUFENTHALTSSTATUS, LEISTUNGSSYSTEME

MAX = _l("Bitte höchstens %(max)d Zeichen eingeben.")
AGE = _l("Bitte ein Alter zwischen 14 und 99 Jahren angeben.")
PLACES = _l("Bitte eine Zahl zwischen 0 und 9999 angeben.")
PICK = _l("Bitte einen Wert aus der Liste wählen.")
KINDS = dict(ANGEBOTSARTEN)
STATUSES = dict(AUFENTHALTSSTATUS)
SYSTEMS = dict(LEISTUNGSSYSTEME)


def _choices(pairs: Any) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _select(label: Any, validators: list, choices: list, **kw: Any) -> SelectField:
    return SelectField(label, validators, choices=choices, invalid_choice_message=PICK,  # type: ignore[call-arg]
                       **kw)


def _multiple(label: Any, pairs: list, description: Any) -> SelectMultipleField:
    return SelectMultipleField(label, choices=_choices(pairs), invalid_choice_message=INVALID_CHOICES,  # type: ignore[call-arg]
                               description=description)


class OfferForm(AppForm):
    titel = StringField(_l("Titel des Angebots"), [DataRequired(_l("Bitte den Titel angeben.")),
                                                   Length(max=200, message=MAX)])
    art = _select(_l("Art des Angebots"), [DataRequired(_l("Bitte die Art des Angebots wählen."))],
                  [SelectChoice("", _l("– bitte wählen –")), *_choices(ANGEBOTSARTEN)])
    provider = _select(_l("Träger (aus dem Partnerverzeichnis)"), [DataRequired(_l("Bitte den Träger wählen."))],
                       [], coerce=str,
                       description=_l("Fehlt der Träger, wird er im Partnerverzeichnis angelegt."))
    beschreibung = TextAreaField(_l("Beschreibung"), [Length(max=4000, message=MAX)])
    alter_min = IntegerField(_l("Mindestalter"), [*optional_value(), NumberRange(14, 99, message=AGE)],
                             description=_l("Leer: ohne Untergrenze."))
    alter_max = IntegerField(_l("Höchstalter"), [*optional_value(), NumberRange(14, 99, message=AGE)],
                             description=_l("Leer: ohne Obergrenze."))
    aufenthaltsstatus = _multiple(_l("Zugelassene Aufenthaltsstatus"), AUFENTHALTSSTATUS,
                                  _l("Keine Auswahl: für jeden Aufenthaltsstatus zugänglich."))
    leistungssysteme = _multiple(_l("Zugelassene Leistungssysteme"), LEISTUNGSSYSTEME,
                                 _l("Keine Auswahl: unabhängig vom Leistungssystem."))
    sprachniveau_min = _select(_l("Mindestens nötiges Deutschniveau"), [],
                               [SelectChoice("", _l("keine Voraussetzung")), *_choices((v, v) for v in LEVELS)])
    plaetze = IntegerField(_l("Plätze insgesamt"), [*optional_value(), NumberRange(0, 9999, message=PLACES)],
                           description=_l("Leer: ohne Begrenzung."))
    plaetze_belegt = IntegerField(_l("Davon belegt"), [*required_value(), NumberRange(0, 9999, message=PLACES)],
                                  default=0)
    beginn = DateField(_l("Beginn"), optional_value(), description=_l("Leer: laufender Einstieg."))
    ende = DateField(_l("Ende"), optional_value(),
                     description=_l("Nach dem Ende wird das Angebot nicht mehr vorgeschlagen."))
    active = BooleanField(_l("Aktiv (wird für Fälle vorgeschlagen)"), default=True)

    def validate_alter_max(self, field: IntegerField) -> None:
        if field.data is not None and self.alter_min.data is not None and field.data < self.alter_min.data:
            raise ValidationError(_l("Das Höchstalter darf nicht unter dem Mindestalter liegen."))

    def validate_plaetze_belegt(self, field: IntegerField) -> None:
        if field.data is not None and self.plaetze.data is not None and field.data > self.plaetze.data:
            raise ValidationError(_l("Es können nicht mehr Plätze belegt sein, als es gibt."))

    def validate_ende(self, field: DateField) -> None:
        if field.data and self.beginn.data and field.data < self.beginn.data:
            raise ValidationError(_l("Das Ende darf nicht vor dem Beginn liegen."))
