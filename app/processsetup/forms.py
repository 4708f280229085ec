"""Forms of "Neuer Prozess" and the process settings (CSRF-protected, German labels)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import RadioField, SelectChoice, SelectField, SelectMultipleField, StringField  # type: ignore[attr-defined]
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from app.engine import lanes
from forms.base import AppForm

FROM_EMPTY, FROM_PHASES, FROM_COPY, FROM_FILE = "leer", "phasen", "kopie", "datei"
INVALID_CHOICE = _l("Ungültige Auswahl: %(value)s.")
KEY_MESSAGE = _l("Der Schlüssel darf nur Kleinbuchstaben (a–z), Ziffern und Unterstriche enthalten, muss mit "
                 "einem Buchstaben beginnen und 3 bis 40 Zeichen lang sein.")

RULE_LABELS = {
    lanes.OWNER_TEAM: _l("Das Team, das den Fall angelegt hat (Fallverantwortung)"),
    lanes.TEAM: _l("Ein festes Team (Gruppenaufgabe)"),
    lanes.USER_FROM_DATA: _l("Die Person, die ein Feld der Falldaten nennt"),
    lanes.STARTER: _l("Die Person, die den Fall angelegt hat"),
    lanes.OWNER_TEAM_LEADS: _l("Die Leitung des fallverantwortlichen Teams"),
}


class NewProcessForm(AppForm):
    name = StringField(_l("Name des Verfahrens"), [DataRequired(_l("Bitte einen Namen angeben.")),
                                                   Length(min=3, max=200, message=_l(
                                                       "Der Name muss 3 bis 200 Zeichen lang sein."))])
    key = StringField(_l("Schlüssel"), [Optional(), Regexp(r"^[a-z][a-z0-9_]{2,39}$", message=KEY_MESSAGE)],
                      description=_l("Kurzname für Adressen und Schnittstelle, z. B. hilfe_fuer_familien. "
                                     "Leer lassen: wird aus dem Namen gebildet."))
    start = RadioField(_l("Womit beginnen?"), choices=[  # type: ignore[call-arg]  # stubs lag WTForms 3.3
        SelectChoice(FROM_EMPTY, _l("Vorlage „Leerer Ablauf“: Start, ein Schritt, Ende")),
        SelectChoice(FROM_PHASES, _l("Vorlage „Aufnahme, Bearbeitung, Abschluss“ mit einer Verzweigung")),
        SelectChoice(FROM_COPY, _l("Kopie eines bestehenden Prozesses (seine neueste Version)")),
        SelectChoice(FROM_FILE, _l("Hochgeladene BPMN-Datei")),
    ], default=FROM_EMPTY, validators=[DataRequired(_l("Bitte wählen, womit der Prozess beginnt."))],
        invalid_choice_message=INVALID_CHOICE)
    source = SelectField(_l("Prozess, der kopiert wird"), validate_choice=False,  # see validate_source
                         description=_l("Nur bei „Kopie eines bestehenden Prozesses“."))
    bpmn_file = FileField(_l("BPMN-Datei"), description=_l("Nur bei „Hochgeladene BPMN-Datei“: eine .bpmn-Datei, "
                                                           "z. B. aus einem anderen Modellierwerkzeug."))

    def validate_source(self, field) -> None:
        if self.start.data == FROM_COPY and field.data not in {c.value for c in field.choices or []}:
            raise ValidationError(_l("Bitte den Prozess wählen, der kopiert wird."))

    def validate_bpmn_file(self, field) -> None:
        if self.start.data == FROM_FILE and not getattr(field.data, "filename", None):
            raise ValidationError(_l("Bitte eine BPMN-Datei auswählen."))


class SettingsForm(AppForm):
    starters = SelectMultipleField(_l("Welche Teams dürfen Fälle dieses Verfahrens anlegen?"),
                                   description=_l("Ohne Auswahl darf niemand einen Fall anlegen "
                                                  "(bei mitgelieferten Verfahren gelten dann deren Fachbereiche)."),
                                   validate_choice=False)  # checked by the service


def settings_form(lane_names: list[str], teams: list[tuple[str, str]], starters: list[tuple[str, str]], **kwargs):
    """A SettingsForm with a rule, team and data field per lane (``rule_<i>``, ``team_<i>``, ``field_<i>``)."""

    class LaneSettingsForm(SettingsForm):
        pass

    rule_choices = [SelectChoice(rule, label) for rule, label in RULE_LABELS.items()]
    for i, lane in enumerate(lane_names):
        setattr(LaneSettingsForm, f"rule_{i}", SelectField(
            _l("Wer bearbeitet die Schritte der Bahn „%(lane)s“?", lane=lane), choices=rule_choices,
            validators=[DataRequired(_l("Bitte eine Regel wählen."))],
            invalid_choice_message=INVALID_CHOICE))  # type: ignore[call-arg]  # stubs lag WTForms 3.3
        setattr(LaneSettingsForm, f"team_{i}", SelectField(
            _l("Team (bei „Ein festes Team“)"), choices=[SelectChoice(k, n) for k, n in teams], validators=[Optional()],
            validate_choice=False))  # checked by the service against the teams
        setattr(LaneSettingsForm, f"field_{i}", StringField(
            _l("Feld der Falldaten, das die Person nennt (bei dieser Regel)"),
            validators=[Optional(), Regexp(r"^[a-z_][a-z0-9_]{0,79}$", message=_l(
                "Bitte den Namen eines Feldes angeben (Kleinbuchstaben, Ziffern, Unterstriche)."))]))
    form = LaneSettingsForm(**kwargs)
    form.starters.choices = [SelectChoice(k, n) for k, n in starters]
    form.lane_names = lane_names
    return form


def lane_rules_of(form) -> tuple[dict[str, tuple[str, str | None]], bool]:
    """Lane -> (rule, argument) from a validated settings form; False when a rule lacks its team/field
    (the message is set on that field)."""
    result: dict[str, tuple[str, str | None]] = {}
    ok = True
    for i, lane in enumerate(form.lane_names):
        rule = form[f"rule_{i}"].data
        team, field = form[f"team_{i}"].data or None, (form[f"field_{i}"].data or "").strip() or None
        if rule == lanes.TEAM and not team:
            form[f"team_{i}"].errors = [*form[f"team_{i}"].errors, _l("Bitte ein Team wählen.")]
            ok = False
        if rule == lanes.USER_FROM_DATA and not field:
            form[f"field_{i}"].errors = [*form[f"field_{i}"].errors,
                                         _l("Bitte das Feld angeben, das die Person nennt.")]
            ok = False
        result[lane] = (rule, team if rule == lanes.TEAM else field if rule == lanes.USER_FROM_DATA else None)
    return result, ok
