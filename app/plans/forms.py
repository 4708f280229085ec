"""Forms of the living plan: one goal (per process, the fields of its planning form) and closing."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.validators import Optional, ValidationError

from app.plans.services import AB, JE, MBE, STATUS_LABELS, PlanKind
from forms.alltagsbegleitung import ZielForm, max_length, required
from forms.base import AppForm, strip_text
from forms.junge_erwachsene import PlanzielForm
from forms.mbe import FoerderzielForm

NOTE = TextAreaField(_l("Anlass der Änderung"), [Optional(), max_length(2000)], filters=[strip_text],
                     description=_l("Wird mit Ihrem Namen und der Uhrzeit im Verlauf des Plans gespeichert."))


class _GoalForm(AppForm):
    today: date | None = None

    def validate_frist(self, field) -> None:
        if field.data is None or (self.unchanged_frist is not None and field.data == self.unchanged_frist):
            return  # an unchanged deadline that has passed may stay (the goal is re-dated on purpose)
        if field.data <= (self.today or date.today()):
            raise ValidationError(_l("Die Frist muss in der Zukunft liegen."))

    unchanged_frist: date | None = None

    def values(self) -> dict[str, Any]:
        return {name: (f.data.isoformat() if isinstance(f.data, date) else f.data)
                for name, f in self._fields.items() if name not in ("csrf_token", "notiz")}


class AbGoalForm(_GoalForm):
    """A goal of an Alltagsbegleitung case: the fields of the Bedarfsermittlung's goals."""

    beschreibung = ZielForm.beschreibung
    frist = ZielForm.frist
    ueberpruefung = ZielForm.ueberpruefung
    notiz = NOTE


class MbeGoalForm(_GoalForm):
    """A goal of an MBE Förderplan: the Förderplan's goal fields (without the status)."""

    bereich = FoerderzielForm.bereich
    ziel = FoerderzielForm.ziel
    frist = FoerderzielForm.frist
    partner = FoerderzielForm.partner
    notiz = NOTE


class JeGoalForm(_GoalForm):
    """A goal of a young adult's Integrationsplan: area, goal, deadline, the responsible actor."""

    bereich = PlanzielForm.bereich
    ziel = PlanzielForm.ziel
    frist = PlanzielForm.frist
    verantwortlich = PlanzielForm.verantwortlich
    notiz = NOTE


GOAL_FORMS: dict[str, type[_GoalForm]] = {AB: AbGoalForm, MBE: MbeGoalForm, JE: JeGoalForm}


class CloseGoalForm(AppForm):
    status = RadioField(_l("Wie wird das Ziel abgeschlossen?"),  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                        [required(_l("Bitte wählen, wie das Ziel abgeschlossen wird."))], choices=[],
                        invalid_choice_message=_l("Bitte einen Abschluss aus der Liste wählen."))
    notiz = NOTE

    def offer(self, kind: PlanKind) -> None:
        self.status.choices = [(value, str(STATUS_LABELS[value])) for value in kind.close_statuses]
