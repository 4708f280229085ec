"""Main-menu entry of the data protection pages (see app/web/menu.py)."""

from flask_babel import lazy_gettext as _l

from app.auth.models import ROLE_DATENSCHUTZ
from app.web.menu import MenuEntry

ENTRIES = (MenuEntry(_l("Verarbeitungsverzeichnis"), "privacy.record", order=130, roles=(ROLE_DATENSCHUTZ,),
                     active_prefix="privacy."),)
