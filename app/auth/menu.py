"""Main-menu entries of account administration (see app/web/menu.py)."""

from flask_babel import lazy_gettext as _l

from app.auth.models import ROLE_ADMIN
from app.web.menu import MenuEntry

ENTRIES = (MenuEntry(_l("Benutzerkonten"), "auth.accounts", order=131, roles=(ROLE_ADMIN,)),)
