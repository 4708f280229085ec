"""Main-menu entries of the case list (see app/web/menu.py)."""

from flask_babel import lazy_gettext as _l

from app.web.menu import MenuEntry

ENTRIES = (MenuEntry(_l("Fälle"), "cases.index", order=20),)
