"""Main-menu entry of the form builder (see app/web/menu.py)."""

from flask_babel import lazy_gettext as _l

from app.auth.models import ROLE_PROZESS
from app.web.menu import MenuEntry

ENTRIES = (MenuEntry(_l("Formulare"), "formbuilder.index", order=121, roles=(ROLE_PROZESS,),
                     active_prefix="formbuilder."),)
