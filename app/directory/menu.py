"""Main-menu entry of the directory group mapping (see app/web/menu.py)."""

from flask_babel import lazy_gettext as _l

from app.auth.models import ROLE_ADMIN
from app.web.menu import MenuEntry

ENTRIES = (MenuEntry(_l("Verzeichnis"), "directory.mappings", order=132, roles=(ROLE_ADMIN,)),)
