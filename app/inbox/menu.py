"""Main-menu entries of the inbox (see app/web/menu.py)."""

from flask_babel import lazy_gettext as _l

from app.web.menu import MenuEntry

ENTRIES = (MenuEntry(_l("Aufgaben"), "inbox.index", order=10),)
