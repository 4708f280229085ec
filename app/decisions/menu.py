"""Main-menu entry of the decision table editor (see app/web/menu.py)."""

from flask_babel import lazy_gettext as _l

from app.auth.models import ROLE_PROZESS
from app.web.menu import MenuEntry

ENTRIES = (MenuEntry(_l("Entscheidungstabellen"), "decisions.index", order=125, roles=(ROLE_PROZESS,),
                     active_prefix="decisions."),)
