"""Main-menu entry of appointments (see app/web/menu.py): for the roles that take part in cases."""

from flask_babel import lazy_gettext as _l

from app.auth.models import ROLE_EHRENAMT, ROLE_FACHKRAFT, ROLE_KOORDINATION, ROLE_LEITUNG, ROLE_MBE
from app.web.menu import MenuEntry

ENTRIES = (MenuEntry(_l("Meine Termine"), "appointments.week", order=25,
                     roles=(ROLE_FACHKRAFT, ROLE_KOORDINATION, ROLE_EHRENAMT, ROLE_MBE, ROLE_LEITUNG)),)
