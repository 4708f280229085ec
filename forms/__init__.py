"""WTForms classes of the BPMN user tasks, looked up by the form key a user task names."""

from __future__ import annotations

from forms.alltagsbegleitung import (
    AbschlussForm,
    BedarfsermittlungForm,
    KriseBearbeitenForm,
    KriseEskalationForm,
    KriseMeldenForm,
    KriseQuittierenForm,
    RueckmeldungForm,
    VermittlungForm,
    VorgespraechForm,
    ZwischengespraechForm,
)
from forms.base import FormContext, TaskForm
from forms.beratungskontakt import BeratungskontaktForm, NachverfolgungForm
from forms.jsonio import bind_form, form_errors, json_to_formdata, validate_json
from forms.junge_erwachsene import JE_FORMS
from forms.mbe import MBE_FORMS
from forms.schema import form_schema

FORMS: dict[str, type[TaskForm]] = {
    "alltagsbegleitung.bedarfsermittlung": BedarfsermittlungForm,
    "alltagsbegleitung.vermittlung": VermittlungForm,
    "alltagsbegleitung.vorgespraech": VorgespraechForm,
    "alltagsbegleitung.zwischengespraech": ZwischengespraechForm,
    "alltagsbegleitung.abschluss": AbschlussForm,
    "alltagsbegleitung.rueckmeldung": RueckmeldungForm,
    "alltagsbegleitung.krise_quittieren": KriseQuittierenForm,
    "alltagsbegleitung.krise_bearbeiten": KriseBearbeitenForm,
    "alltagsbegleitung.krise_eskalation": KriseEskalationForm,
    "beratungskontakt.erfassen": BeratungskontaktForm,
    "beratungskontakt.nachverfolgung": NachverfolgungForm,
    **MBE_FORMS,  # Migrationsberatung (forms/mbe.py)
    **JE_FORMS,  # Junge Erwachsene, Integrationsmanagement (forms/junge_erwachsene.py)
}

# Forms that are not task forms but validate an action with the same rules in UI and API.
ACTION_FORMS: dict[str, type[TaskForm]] = {"krise_melden": KriseMeldenForm}


def get_form_class(key: str) -> type[TaskForm]:
    """The form class registered for a form key; KeyError if there is none."""
    try:
        return FORMS[key]
    except KeyError:
        known = ", ".join(sorted(FORMS))
        raise KeyError(f"Unknown form key {key!r}; known form keys: {known}") from None


__all__ = [
    "ACTION_FORMS",
    "KriseMeldenForm",
    "FORMS",
    "FormContext",
    "TaskForm",
    "bind_form",
    "form_errors",
    "form_schema",
    "get_form_class",
    "json_to_formdata",
    "validate_json",
]
