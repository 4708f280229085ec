"""Demo data for process owners: a builder form, and a draft of Alltagsbegleitung waiting for the
second process owner's approval (four-eyes on for that model), so that `prozess2` finds an
approval in the inbox on the first login. Idempotent: nothing is added when the form exists."""

from __future__ import annotations

from sqlalchemy import select

from app.auth.models import User
from app.engine.models import ProcessModel
from app.extensions import db
from app.formbuilder import services as formbuilder
from app.modeler import services as modeler
from app.modeler.outline_edit import rename

FORM_KEY = "hausbesuch_protokoll"
FORM = {
    "key": FORM_KEY, "title": {"de": "Protokoll Hausbesuch", "en": "Home visit record"},
    "fields": [
        {"name": "besuchsdatum", "type": "date", "label": {"de": "Datum des Besuchs", "en": "Date of the visit"},
         "required": True, "latest": "today"},
        {"name": "anwesende", "type": "number", "label": {"de": "Anwesende Personen", "en": "People present"},
         "min": 1, "max": 20},
        {"name": "eindruck", "type": "choice", "label": {"de": "Gesamteindruck", "en": "Overall impression"},
         "required": True,
         "choices": [{"value": "stabil", "label": {"de": "stabil", "en": "stable"}},
                     {"value": "belastet", "label": {"de": "belastet", "en": "strained"}},
                     {"value": "krise", "label": {"de": "akute Krise", "en": "acute crisis"}}]},
        {"name": "themen_besuch", "type": "multichoice", "label": {"de": "Themen", "en": "Topics"},
         "choices": [{"value": "wohnen", "label": {"de": "Wohnen", "en": "Housing"}},
                     {"value": "gesundheit", "label": {"de": "Gesundheit", "en": "Health"}},
                     {"value": "schule", "label": {"de": "Schule und Kita", "en": "School and day care"}}]},
        {"name": "vereinbarungen", "type": "longtext", "label": {"de": "Vereinbarungen", "en": "Agreements"},
         "help": {"de": "Was bis zum nächsten Besuch geschieht, und wer es tut.",
                  "en": "What happens until the next visit, and who does it."}},
        {"name": "naechster_besuch_noetig", "type": "yesno",
         "label": {"de": "Weiterer Besuch nötig", "en": "Another visit needed"}, "volunteer": True},
    ],
}


def load_demo_process_owner() -> int:
    """Returns the number of things added (0 when they exist)."""
    if formbuilder.get_form(FORM_KEY) is not None:
        return 0
    owner = db.session.scalar(select(User).where(User.username == "prozess"))
    model = db.session.scalar(select(ProcessModel).where(ProcessModel.key == "alltagsbegleitung"))
    if owner is None or model is None:
        return 0
    formbuilder.save(FORM, owner, "Erste Fassung für den Hausbesuch", create=True)
    added = 1
    if not modeler.open_drafts(model):
        draft = modeler.create_draft(model, owner)
        modeler.update_draft(draft, owner, rename(draft.bpmn_xml, model.key, "vermittlung",
                                                  "Vermittlung einer Begleitung"))
        model.four_eyes = True
        modeler.request_publish(draft, owner, "Schritt „Vermittlung“ klarer benannt")
        added += 1
    db.session.flush()
    return added
