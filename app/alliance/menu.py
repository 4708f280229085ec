"""Main-menu entry of the alliance figures (app/web/menu.py), for the teams that see them."""

from flask_babel import lazy_gettext as _l

from app.alliance.access import may_see
from app.web.menu import MenuEntry

ENTRIES = (
    MenuEntry(_l("Zahlen für das Bündnis"), "alliance.figures_page", order=101, condition=may_see),
)
