"""Main-menu entries of the partner network (see app/web/menu.py)."""

from flask_babel import lazy_gettext as _l

from app.network.access import READ_ROLES
from app.web.menu import MenuEntry

ENTRIES = (MenuEntry(_l("Netzwerk"), "network.index", order=70, roles=READ_ROLES, active_prefix="network."),)
