"""Main-menu entry of the user administration (see app/web/menu.py)."""

from flask_babel import lazy_gettext as _l

from app.auth.models import ROLE_ADMIN
from app.web.menu import MenuEntry

ENTRIES = (MenuEntry(_l("Benutzerkonten"), "useradmin.accounts", order=131, roles=(ROLE_ADMIN,)),)
