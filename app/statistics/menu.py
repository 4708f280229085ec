"""Main-menu entries of the statistics (see app/web/menu.py)."""

from flask_babel import lazy_gettext as _l

from app.auth.models import ROLE_LEITUNG
from app.web.menu import MenuEntry

ENTRIES = (MenuEntry(_l("Statistik"), "statistics.index", order=100, roles=(ROLE_LEITUNG,),
                     active_prefix="statistics."),)
