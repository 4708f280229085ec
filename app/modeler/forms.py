"""Forms of the modeler pages (CSRF-protected, German labels)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from forms.base import AppForm


class UploadForm(AppForm):
    bpmn_file = FileField(_l("BPMN-Datei"), [FileRequired(_l("Bitte eine BPMN-Datei auswählen."))],
                          description=_l("Eine .bpmn-Datei, z. B. aus einem Desktop-Modellierwerkzeug exportiert."))


class SaveForm(AppForm):
    bpmn_xml = HiddenField()


class PublishForm(AppForm):
    bpmn_xml = HiddenField()
    comment = StringField(_l("Was ändert sich? (Kommentar zur Version)"),
                          [DataRequired(_l("Bitte beschreiben Sie kurz, was sich ändert.")), Length(max=500)])
