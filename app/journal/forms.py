"""The journal entry form: one class for the HTML page and the JSON API (POST .../journal)."""

from __future__ import annotations

import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (  # type: ignore[attr-defined]  # stubs lag WTForms 3.3
    BooleanField,
    DateField,
    FormField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import NumberRange, Optional, ValidationError

from app.engine.models import LIMITED
from app.journal import services
from app.journal.models import DURATION_MAX, KINDS
from app.journal.topics import topics_for
from forms.alltagsbegleitung import (
    INVALID_CHOICES,
    TEXT_MAX,
    max_length,
    optional_value,
    required,
    required_value,
)
from forms.base import AppForm, SubForm, strip_text
from forms.jsonio import json_to_formdata


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class FollowUpForm(SubForm):
    """An optional follow-up (Wiedervorlage): becomes a to-do in the chosen person's inbox."""

    due = DateField(_l("Wiedervorlage am"), optional_value(),
                    description=_l("Ohne Person geht die Wiedervorlage an Sie selbst."))
    assignee = SelectField(_l("Wiedervorlage für"), [Optional()], choices=[],
                           validate_choice=True)

    def validate_due(self, field: DateField) -> None:
        today = getattr(self, "today", None) or datetime.date.today()
        if field.data is not None and field.data < today:
            raise ValidationError(_l("Die Wiedervorlage darf nicht in der Vergangenheit liegen."))


class EntryContentForm(AppForm):
    """What an entry says (the fields a correction may change)."""

    title = _l("Journaleintrag")
    today: datetime.date

    kind = RadioField(_l("Art"), [required(_l("Bitte die Art des Eintrags wählen."))],  # type: ignore[call-arg]
                      choices=_choices(KINDS), invalid_choice_message=INVALID_CHOICES)
    date = DateField(_l("Datum"), required_value(), description=_l("Tag des Kontakts"))
    duration_minutes = IntegerField(_l("Dauer (Minuten)"), [*optional_value(), NumberRange(
        1, DURATION_MAX, message=_l("Bitte eine Dauer zwischen 1 und %(max)d Minuten angeben.", max=DURATION_MAX))])
    topics = SelectMultipleField(_l("Themen"), choices=[],  # type: ignore[call-arg]  # stubs lag WTForms 3.3
                                 invalid_choice_message=INVALID_CHOICES)
    text = TextAreaField(_l("Eintrag"), [required(_l("Bitte den Eintrag schreiben.")), max_length(TEXT_MAX)],
                         filters=[strip_text])
    next_steps = TextAreaField(_l("Vereinbarte nächste Schritte"), [Optional(), max_length(TEXT_MAX)],
                               filters=[strip_text])
    def validate_date(self, field: DateField) -> None:
        today = getattr(self, "today", None) or datetime.date.today()
        if field.data is not None and field.data > today:
            raise ValidationError(_l("Das Datum des Kontakts darf nicht in der Zukunft liegen."))


class JournalEntryForm(EntryContentForm):
    """A journal entry: kind, day, duration, the process's topics, text, next steps, follow-up."""

    shared_with_volunteer = BooleanField(_l("Für die Ehrenamtliche / den Ehrenamtlichen sichtbar"))
    follow_up = FormField(FollowUpForm, label=_l("Wiedervorlage"))

    def configure(self, *, topics: list[tuple[str, Any]], assignees: list[tuple[str, str]],
                  today: datetime.date, volunteer: bool = False) -> JournalEntryForm:
        """Bind the case's topic list, the people a follow-up may go to and today's date."""
        self.today = today
        self.topics.choices = _choices(topics)
        self.follow_up.form.assignee.choices = _choices([("", _l("– ich selbst –")), *assignees])
        self.follow_up.form.today = today  # type: ignore[attr-defined]
        if volunteer:  # a volunteer's entries are always shared with them
            self.shared_with_volunteer.data = True
        return self

    def follow_up_wanted(self) -> bool:
        sub = self.follow_up.form
        return bool(sub.due.data or sub.assignee.data)


class CorrectionForm(EntryContentForm):
    """A correction of an entry: the new version of its content and why (kept beside the old)."""

    title = _l("Eintrag korrigieren")

    note = StringField(_l("Grund der Korrektur"), [Optional(), max_length(500)], filters=[strip_text])

    def configure(self, *, topics: list[tuple[str, Any]], today: datetime.date) -> CorrectionForm:
        self.today = today
        self.topics.choices = _choices(topics)
        return self


def entry_form(instance, user, level: str, *, formdata=None, json_data=None, csrf: bool = True) -> JournalEntryForm:
    """The entry form configured for ``instance`` and its writer (HTML: ``formdata``; API:
    ``json_data``, without CSRF; neither: a fresh form for today)."""
    meta = {} if csrf and json_data is None else {"csrf": False}
    if json_data is not None:
        formdata = json_to_formdata(json_data)
    today = datetime.date.today()
    form = JournalEntryForm(formdata=formdata, meta=meta,
                            data=None if formdata is not None else {"date": today})
    return form.configure(topics=topics_for(services.process_key(instance)),
                          assignees=services.assignee_choices(instance, user), today=today,
                          volunteer=level == LIMITED)


def correction_form(entry, *, formdata=None) -> CorrectionForm:
    data = None
    if formdata is None:
        data = {"kind": entry.kind, "date": entry.day, "duration_minutes": entry.duration_minutes,
                "topics": entry.topics, "text": entry.text, "next_steps": entry.next_steps}
    form = CorrectionForm(formdata=formdata, data=data)
    return form.configure(topics=topics_for(services.process_key(entry.instance)), today=datetime.date.today())
