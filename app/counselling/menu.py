"""Main-menu entries of counselling contacts (see app/web/menu.py)."""

from flask_babel import lazy_gettext as _l

from app.auth.models import ROLE_KOORDINATION
from app.web.menu import MenuEntry

ENTRIES = (MenuEntry(_l("Beratung erfassen"), "counselling.new", order=80, roles=(ROLE_KOORDINATION,)),)
