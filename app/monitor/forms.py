"""Forms of the monitor: the filter (GET) and the interventions (each with a required reason).

The same intervention forms validate the browser form and the JSON API.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, SelectChoice, SelectField, TextAreaField  # type: ignore[attr-defined]  # stubs lag WTForms 3.3
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from forms.base import AppForm, strip_text


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


STATUS_CHOICES = [("", _l("alle")), ("running", _l("laufend")), ("suspended", _l("angehalten")),
                  ("completed", _l("abgeschlossen")), ("terminated", _l("beendet")), ("error", _l("Fehler"))]


class FilterForm(AppForm):
    """The instance list's filters, read from the query string."""

    class Meta:
        csrf = False

    # Unknown values simply match nothing; no choice check needed for a filter.
    prozess = SelectField(_l("Verfahren"), choices=[], validate_choice=False)
    version = IntegerField(_l("Version"), validators=[Optional(), NumberRange(min=1, message=_l(
        "Bitte eine Versionsnummer ab 1 angeben."))])
    status = SelectField(_l("Status"), choices=choices(STATUS_CHOICES), validate_choice=False)
    team = SelectField(_l("Team"), choices=[], validate_choice=False)
    schritt = SelectField(_l("Aktueller Schritt"), choices=[], validate_choice=False)
    ueberfaellig = BooleanField(_l("nur mit überfälligen Aufgaben"))
    krise = BooleanField(_l("nur mit offener Krise"))
    von = DateField(_l("Begonnen ab"), validators=[Optional()])
    bis = DateField(_l("Begonnen bis"), validators=[Optional()])

    def validate_bis(self, field):
        if field.data and self.von.data and field.data < self.von.data:
            raise ValidationError(_l("Das Enddatum liegt vor dem Anfangsdatum."))


REASON_REQUIRED = _l("Bitte geben Sie einen Grund an.")


def _reason():
    return TextAreaField(_l("Grund"), filters=[strip_text], validators=[
        DataRequired(message=REASON_REQUIRED), Length(max=2000, message=_l("Höchstens 2000 Zeichen."))],
        description=_l("Wird in der Fallhistorie festgehalten."))


def _offered(field) -> None:
    """Choices are checked here (validate_choice is off) to answer in plain German."""
    if field.data and field.data not in {str(choice.value) for choice in field.choices}:
        raise ValidationError(_l("Diese Auswahl ist nicht möglich."))


class ReassignForm(AppForm):
    aufgabe = SelectField(_l("Aufgabe"), choices=[], validate_choice=False,
                          validators=[DataRequired(message=_l("Bitte eine offene Aufgabe wählen."))])
    person = SelectField(_l("An Person"), choices=[], validate_choice=False, description=_l(
        "Angeboten wird nur, wer in dem Schritt der Aufgabe arbeiten darf: die Mitglieder ihres Teams, "
        "bei der Alltagsbegleitung nur die Ehrenamtliche oder der Ehrenamtliche des Falls."))
    team = SelectField(_l("An Team"), choices=[], validate_choice=False)
    grund = _reason()

    #: task id -> (user names, team keys) the task may be given to (set by app/monitor/actions.py)
    eligible: dict[str, tuple[set[str], set[str]]] = {}

    def validate_aufgabe(self, field):
        _offered(field)

    def validate_person(self, field):
        if bool(field.data) == bool(self.team.data):
            raise ValidationError(_l("Bitte entweder eine Person oder ein Team wählen."))
        _offered(field)
        people, _teams = self.eligible.get(self.aufgabe.data or "", (set(), set()))
        if field.data and self.aufgabe.data and field.data not in people:
            raise ValidationError(_l("Diese Person darf in dem Schritt dieser Aufgabe nicht arbeiten."))

    def validate_team(self, field):
        _offered(field)
        _people, teams = self.eligible.get(self.aufgabe.data or "", (set(), set()))
        if field.data and self.aufgabe.data and field.data not in teams:
            raise ValidationError(_l("Dieses Team kann die Aufgabe nicht übernehmen."))


class SuspendForm(AppForm):
    grund = _reason()


class ResumeForm(AppForm):
    grund = _reason()


class TerminateForm(AppForm):
    grund = _reason()


class ResetForm(AppForm):
    schritt = SelectField(_l("Zurück zu Schritt"), choices=[], validate_choice=False,
                          validators=[DataRequired(message=_l("Bitte einen erledigten Schritt wählen."))])
    grund = _reason()

    def validate_schritt(self, field):
        _offered(field)


INTERVENTION_FORMS: dict[str, type[AppForm]] = {
    "reassign": ReassignForm, "suspend": SuspendForm, "resume": ResumeForm,
    "terminate": TerminateForm, "reset": ResetForm,
}
