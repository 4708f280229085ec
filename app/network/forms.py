"""Forms of the partner directory and the referral of a case."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import FieldList, FormField, RadioField, SelectChoice, SelectField, StringField, TextAreaField  # type: ignore[attr-defined]  # stubs lag WTForms 3.3
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from forms.base import AppForm, SubForm

MAX = _l("Bitte höchstens %(max)d Zeichen eingeben.")


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]

TYPE_LABELS = {
    "auslaenderbehoerde": _l("Ausländerbehörde"), "jobcenter": _l("Jobcenter / Agentur für Arbeit"),
    "integrationskurs": _l("Integrationskursträger"), "schule": _l("Schule / Bildung"),
    "jmd": _l("Jugendmigrationsdienst"), "migrantenorganisation": _l("Migrantenorganisation"),
    "beratungsstelle": _l("Beratungsstelle"), "gesundheit": _l("Gesundheit"),
    "verein": _l("Verein / Religionsgemeinschaft"), "sonstige": _l("Sonstige"),
}
INTENSITY_LABELS = {3: _l("eng (3)"), 2: _l("regelmäßig (2)"), 1: _l("gelegentlich (1)")}
IMPORTANCE_LABELS = {3: _l("hoch (3)"), 2: _l("mittel (2)"), 1: _l("gering (1)")}


class ContactForm(SubForm):
    name = StringField(_l("Name"), [Length(max=200, message=MAX)])
    funktion = StringField(_l("Funktion"), [Length(max=200, message=MAX)])
    telefon = StringField(_l("Telefon"), [Length(max=60, message=MAX)])
    email = StringField(_l("E-Mail"), [Optional(), Email(_l("Bitte eine gültige E-Mail-Adresse angeben.")),
                                       Length(max=200, message=MAX)])


class PartnerForm(AppForm):
    name = StringField(_l("Name der Einrichtung"), [DataRequired(_l("Bitte den Namen angeben.")),
                                                    Length(max=200, message=MAX)])
    typ = SelectField(_l("Art"), [DataRequired(_l("Bitte die Art wählen."))],
                      choices=choices(TYPE_LABELS.items()))
    anschrift = StringField(_l("Anschrift"), [Length(max=300, message=MAX)])
    intensitaet = RadioField(_l("Intensität der Zusammenarbeit"), [DataRequired(_l("Bitte die Intensität wählen."))],
                             choices=choices(INTENSITY_LABELS.items()), coerce=int)
    wichtigkeit = RadioField(_l("Wichtigkeit der Zusammenarbeit"), [DataRequired(_l("Bitte die Wichtigkeit wählen."))],
                             choices=choices(IMPORTANCE_LABELS.items()), coerce=int)
    notiz = TextAreaField(_l("Notiz"), [Length(max=2000, message=MAX)])
    kontakte = FieldList(FormField(ContactForm), label=_l("Ansprechpersonen"), min_entries=1, max_entries=20)

    def validate_kontakte(self, field) -> None:
        for entry in field.entries:
            sub = entry.form
            if not (sub.name.data or "").strip() and any((sub[f].data or "").strip()
                                                         for f in ("funktion", "telefon", "email")):
                sub.name.errors = [*sub.name.errors, _l("Bitte den Namen der Ansprechperson angeben.")]
                raise ValidationError(_l("Bitte die markierten Ansprechpersonen vervollständigen."))


class ReferralForm(AppForm):
    partner = SelectField(_l("Partner"), [DataRequired(_l("Bitte einen Partner wählen."))], coerce=str)
    anlass = TextAreaField(_l("Anlass / Auftrag"), [Length(max=1000, message=MAX)])
