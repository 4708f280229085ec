"""Forms of the outline editor: a step's name, and a user task's form, lane and deadline.

The choices (forms from ``validation.form_registry()``, lane names of the draft and the declared
lane rules) are set per request by ``configure``; an unknown value is refused with a German
message next to its field, never with WTForms' English "Not a valid choice".
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectChoice, SelectField, StringField  # type: ignore[attr-defined]  # stubs lag WTForms 3.3
from wtforms.validators import DataRequired, Length, ValidationError

from app.modeler import durations
from forms.base import AppForm, strip_text


class StepNameForm(AppForm):
    #: the draft's content hash when the form was shown: an edit of a draft changed since then
    #: (in the diagram, by someone else) is refused instead of silently overwriting that change
    base = HiddenField()
    name = StringField(_l("Name des Schritts"), [DataRequired(_l("Bitte einen Namen eingeben.")),
                                                 Length(max=200, message=_l("Höchstens 200 Zeichen."))],
                       filters=[strip_text])


class UserTaskForm(StepNameForm):
    form_key = SelectField(_l("Formular"), [DataRequired(_l("Bitte ein Formular wählen."))], validate_choice=False,
                           description=_l("Das Formular, das die Bearbeiterin oder der Bearbeiter ausfüllt."))
    lane = SelectField(_l("Bahn (wer die Aufgabe bekommt)"), validate_choice=False)
    due_amount = StringField(_l("Anzahl"), filters=[strip_text], render_kw={"inputmode": "numeric", "size": 5},
                             description=_l("Leer lassen: keine Frist."))
    due_unit = SelectField(_l("Einheit"), validate_choice=False, default="tage",
                           choices=[SelectChoice(key, label) for key, (_iso, label) in durations.UNITS.items()])

    def configure(self, forms: list[tuple[str, str]], lanes: list[tuple[str, str]],
                  current_form: str = "") -> UserTaskForm:
        choices = list(forms)
        if current_form and current_form not in dict(choices):  # shown as it is, refused on saving
            choices.insert(0, (current_form, f"{current_form} ({_l('unbekannt')})"))
        self.form_key.choices = [SelectChoice(key, label) for key, label in choices]
        self._known_forms = {key for key, _title in forms}
        self.lane.choices = [SelectChoice(name, label) for name, label in lanes]
        self._known_lanes = {name for name, _label in lanes}
        return self

    def validate_form_key(self, field) -> None:
        if field.data and field.data not in self._known_forms:
            raise ValidationError(_l("Das Formular „%(key)s“ gibt es nicht. Bitte eines aus der Liste wählen.",
                                     key=field.data))

    def validate_lane(self, field) -> None:
        if field.data and field.data not in self._known_lanes:
            raise ValidationError(_l("Die Bahn „%(lane)s“ ist keiner bekannten Rolle zugeordnet. Bitte eine aus "
                                     "der Liste wählen.", lane=field.data))

    def validate_due_amount(self, field) -> None:
        if field.data and (not field.data.isdigit() or not 1 <= int(field.data) <= durations.MAX_AMOUNT):
            raise ValidationError(_l("Bitte eine ganze Zahl von 1 bis %(max)s eingeben (z. B. 5).",
                                     max=durations.MAX_AMOUNT))

    def validate_due_unit(self, field) -> None:
        if field.data not in durations.UNITS:
            raise ValidationError(_l("Bitte eine Einheit aus der Liste wählen."))

    def due_in(self) -> str | None:
        """The deadline as ISO 8601 (``"P5D"``), None without an amount."""
        if not self.due_amount.data:
            return None
        return durations.to_iso(int(self.due_amount.data), self.due_unit.data)
