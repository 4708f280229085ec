"""Upload and delete forms (HTML and API: the same classes validate both).

The file field reads the upload once, up to the size limit, and checks its type by content
(app/documents/sniff.py); the bytes and the type are kept on the form for the service.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.documents.sniff import ALLOWED_TEXT, RefusedFile, Sniffed, sniff
from app.volunteers.work_forms import choices
from forms.base import AppForm

CASE_CATEGORIES = (
    ("einwilligung", _l("Einwilligung (unterschrieben)")),
    ("integrationsvereinbarung", _l("Integrationsvereinbarung (unterschrieben)")),
    ("schreiben", _l("Schreiben / Bescheid")),
    ("nachweis", _l("Nachweis")),
    ("sonstiges", _l("Sonstiges")),
)
VOLUNTEER_CATEGORIES = (
    ("fuehrungszeugnis", _l("Führungszeugnis")),
    ("schweigepflicht", _l("Schweigepflichterklärung")),
    ("sonstiges", _l("Sonstiges")),
)
CONSENT = "einwilligung"


def max_bytes() -> int:
    return int(current_app.config["DOCUMENT_MAX_BYTES"])


def size_text(limit: int | None = None) -> str:
    """'höchstens 10 MB' in words people use (MB from 1 MB on, else KB)."""
    from flask_babel import format_decimal
    from flask_babel import gettext as _

    limit = max_bytes() if limit is None else limit
    if limit >= 1024 * 1024:
        return _("Die Datei ist zu groß (höchstens %(size)s MB).", size=format_decimal(round(limit / 2**20, 1)))
    return _("Die Datei ist zu groß (höchstens %(size)s KB).", size=format_decimal(max(limit // 1024, 1)))


class UploadForm(AppForm):
    """The field names are the API's (``file``, ``category``, ``note``); the ids carry ``doc-``,
    as the form sits in the case view beside other sections' forms."""

    file = FileField(_l("Datei"), [FileRequired(_l("Bitte eine Datei auswählen."))], description=ALLOWED_TEXT,
                     id="doc-file")
    category = SelectField(_l("Art des Dokuments"), [DataRequired(_l("Bitte die Art des Dokuments wählen."))],
                           choices=choices(CASE_CATEGORIES), id="doc-category")
    note = TextAreaField(_l("Notiz"), [Optional(), Length(max=1000, message=_l("Höchstens 1000 Zeichen."))],
                         id="doc-note")
    shared_with_volunteer = BooleanField(
        _l("Für die ehrenamtliche Person des Falls sichtbar"), id="doc-shared",
        description=_l("Nur ankreuzen, wenn die ehrenamtliche Person das Dokument für ihren Einsatz braucht."))

    content: bytes = b""
    sniffed: Sniffed | None = None
    too_large = False

    def __init__(self, *args: Any, for_volunteer: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hint = _l("Höchstens %(size)s.", size=_mb(max_bytes()))
        self.file.description = f"{ALLOWED_TEXT} {hint}"
        if for_volunteer:  # a volunteer's own documents: other kinds, no case to share with
            self.category.choices = choices(VOLUNTEER_CATEGORIES)
            del self.shared_with_volunteer

    def validate_file(self, field: FileField) -> None:
        upload = field.data  # present: FileRequired ran first
        limit = max_bytes()
        content = upload.stream.read(limit + 1)
        if len(content) > limit:
            self.too_large = True
            raise ValidationError(size_text(limit))
        try:
            self.sniffed = sniff(content)
        except RefusedFile as exc:
            raise ValidationError(str(exc)) from None
        self.content = content

    def mark_too_large(self) -> None:
        """The body was refused before the form could read it (above the request limit)."""
        self.too_large = True
        self.file.errors = [size_text()]


def _mb(limit: int) -> str:
    from flask_babel import format_decimal

    if limit >= 1024 * 1024:
        return f"{format_decimal(round(limit / 2**20, 1))} MB"
    return f"{format_decimal(max(limit // 1024, 1))} KB"


class DeleteForm(AppForm):
    reason = TextAreaField(_l("Grund der Löschung"), [
        DataRequired(_l("Bitte den Grund der Löschung angeben.")),
        Length(max=500, message=_l("Höchstens 500 Zeichen."))],
        description=_l("Der Grund wird mit Ihrem Namen und der Zeit festgehalten."))
