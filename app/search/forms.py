"""The search field (a GET form: nothing is changed, so no CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SearchField
from wtforms.validators import DataRequired, Length

from app.search.services import MAX_QUERY
from forms.base import AppForm


class SearchForm(AppForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Suchbegriff"), [
        DataRequired(_l("Bitte einen Suchbegriff eingeben.")),
        Length(max=MAX_QUERY, message=_l("Der Suchbegriff darf höchstens %(max)d Zeichen lang sein.")),
    ], description=_l("Aktenzeichen, Name oder Geburtsdatum (z. B. 12.03.1985)"))
