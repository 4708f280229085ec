"""Main-menu entries of the process modeler (see app/web/menu.py)."""

from flask_babel import lazy_gettext as _l

from app.auth.models import ROLE_PROZESS
from app.web.menu import MenuEntry

ENTRIES = (MenuEntry(_l("Prozessmodelle"), "modeler.index", order=120, roles=(ROLE_PROZESS,),
                     active_prefix="modeler."),)
