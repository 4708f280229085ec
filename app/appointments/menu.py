"""Main-menu entry of appointments (see app/web/menu.py)."""

from flask_babel import lazy_gettext as _l

from app.web.menu import MenuEntry

ENTRIES = (MenuEntry(_l("Meine Termine"), "appointments.week", order=15),)
