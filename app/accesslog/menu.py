"""Main-menu entry of the access log (next to the record of processing, app/privacy/menu.py)."""

from flask_babel import lazy_gettext as _l

from app.auth.models import ROLE_DATENSCHUTZ
from app.web.menu import MenuEntry

ENTRIES = (MenuEntry(_l("Zugriffsprotokoll"), "accesslog.search_page", order=131, roles=(ROLE_DATENSCHUTZ,),
                     active_prefix="accesslog."),)
