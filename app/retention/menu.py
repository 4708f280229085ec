"""Main-menu entry of the upcoming erasures (see app/web/menu.py): supervisors who lead a team,
and the data protection officer."""

from flask_babel import lazy_gettext as _l

from app.auth.models import ROLE_DATENSCHUTZ, ROLE_LEITUNG
from app.web.menu import MenuEntry

ENTRIES = (MenuEntry(_l("Anstehende Löschungen"), "retention.upcoming", order=95,
                     roles=(ROLE_LEITUNG, ROLE_DATENSCHUTZ),
                     condition=lambda user: user.has_role(ROLE_DATENSCHUTZ) or bool(user.lead_team_ids),
                     active_prefix="retention.upcoming"),)
