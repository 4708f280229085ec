"""Main-menu entries of the monitor (see app/web/menu.py): supervisors who lead a team."""

from flask_babel import lazy_gettext as _l

from app.auth.models import ROLE_LEITUNG
from app.web.menu import MenuEntry

ENTRIES = (MenuEntry(_l("Monitor"), "monitor.index", order=90, roles=(ROLE_LEITUNG,),
                     condition=lambda user: bool(user.lead_team_ids), active_prefix="monitor."),)
