"""The appointment form: one class for the HTML page and the JSON API (POST /api/v1/appointments)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateTimeField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import DateTimeLocalInput

from app.appointments.services import DEFAULT_KIND, KINDS
from app.timeutil import office_zone
from forms.base import AppForm, strip_text

REQUIRED = _l("Bitte füllen Sie dieses Feld aus.")
BAD_MOMENT = _l("Bitte Datum und Uhrzeit angeben (z. B. 10.12.2026, 10:00).")


class MomentField(DateTimeField):
    """A point in time. The browser sends its ``datetime-local`` value, read as office time; the
    API sends ISO 8601 with an offset (api-v1.md). ``data`` is an aware UTC datetime."""

    widget = DateTimeLocalInput()

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, format="%Y-%m-%dT%H:%M", **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = " ".join(str(v) for v in valuelist).strip()
        if not raw:
            self.data = None
            return
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            self.data = None
            raise ValueError(str(BAD_MOMENT)) from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=office_zone())
        self.data = value.astimezone(UTC)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(str(v) for v in self.raw_data)
        if isinstance(self.data, datetime):
            return self.data.astimezone(office_zone()).strftime("%Y-%m-%dT%H:%M")
        return ""


class AppointmentForm(AppForm):
    kind = SelectField(_l("Art des Termins"), choices=[], default=DEFAULT_KIND,
                       validate_choice=True)
    title = StringField(_l("Titel (optional)"), [Optional(), Length(max=200)], filters=[strip_text],
                        description=_l("Erscheint im Kalender-Abo nur, wenn Namen dort gezeigt werden dürfen."))
    starts_at = MomentField(_l("Beginn"), [InputRequired(REQUIRED)])
    ends_at = MomentField(_l("Ende"), [InputRequired(REQUIRED)])
    place = StringField(_l("Ort"), [DataRequired(REQUIRED), Length(max=200)], filters=[strip_text])
    participants = SelectMultipleField(  # type: ignore[call-arg]  # stubs lag WTForms 3.3
        _l("Teilnehmende"), [DataRequired(_l("Bitte mindestens eine teilnehmende Person wählen."))],
        choices=[], description=_l("Nur Beteiligte des Falls."),
        invalid_choice_message=_l("Diese Person ist am Fall nicht beteiligt: %(value)s."))
    language = StringField(_l("Sprache der Familie/Klient:in"), [Optional(), Length(max=200)],
                           filters=[strip_text], description=_l("Aus den Falldaten; für die Planung von Dolmetschung."))

    def __init__(self, *args: Any, people: list | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [(value, str(label)) for value, label in KINDS.items()]
        self.participants.choices = [(u.username, u.display_name) for u in (people or [])]

    def validate_ends_at(self, field: MomentField) -> None:
        if field.data is not None and self.starts_at.data is not None and field.data <= self.starts_at.data:
            raise ValidationError(_l("Das Ende muss nach dem Beginn liegen."))


class FeedSettingsForm(AppForm):
    show_names = BooleanField(_l("Namen im Kalender zeigen"),
                              description=_l("Zeigt im Kalender-Abo die Fallbezeichnung (z. B. den Familiennamen) "
                                             "und den Titel des Termins. Ohne diese Einstellung steht dort nur "
                                             "die Art des Termins und das Aktenzeichen."))
