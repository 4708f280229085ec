"""Main-menu entries of absences (see app/web/menu.py)."""

from flask_babel import lazy_gettext as _l

from app.web.menu import MenuEntry

ENTRIES = (MenuEntry(_l("Abwesenheit"), "absence.index", order=30),)
