"""Main-menu entry of the offers catalogue (see app/web/menu.py)."""

from flask_babel import lazy_gettext as _l

from app.offers.access import ROLES, may_use_catalogue
from app.web.menu import MenuEntry

ENTRIES = (MenuEntry(_l("Angebote"), "offers.index", order=72, roles=ROLES, condition=may_use_catalogue,
                     active_prefix="offers."),)
