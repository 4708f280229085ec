"""Main-menu entry of the time recording (see app/web/menu.py)."""

from flask_babel import lazy_gettext as _l

from app.auth.models import ROLE_FACHKRAFT, ROLE_KOORDINATION, ROLE_LEITUNG, ROLE_MBE
from app.web.menu import MenuEntry

#: Staff who do work outside cases; the view also asks for a team.
STAFF_ROLES = (ROLE_FACHKRAFT, ROLE_KOORDINATION, ROLE_MBE, ROLE_LEITUNG)

ENTRIES = (MenuEntry(_l("Zeiterfassung"), "worktime.index", order=80, roles=STAFF_ROLES,
                     active_prefix="worktime."),)
