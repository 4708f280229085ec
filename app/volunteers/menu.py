"""Main-menu entries of the volunteer service (see app/web/menu.py): the volunteers' own pages,
then the coordination office's."""

from flask_babel import lazy_gettext as _l

from app.auth.models import ROLE_EHRENAMT, ROLE_KOORDINATION
from app.web.menu import MenuEntry

ENTRIES = (
    MenuEntry(_l("Mein Profil"), "volunteers.profile", order=50, roles=(ROLE_EHRENAMT,)),
    MenuEntry(_l("Meine Einsätze"), "volunteers.my_assignments", order=51, roles=(ROLE_EHRENAMT,)),
    MenuEntry(_l("Schulungen"), "volunteers.my_trainings", order=52, roles=(ROLE_EHRENAMT,)),
    MenuEntry(_l("Ehrenamtliche"), "volunteers.coord_list", order=60, roles=(ROLE_KOORDINATION,)),
    MenuEntry(_l("Aufwand prüfen"), "volunteers.expense_review", order=61, roles=(ROLE_KOORDINATION,)),
    MenuEntry(_l("Schulungen"), "volunteers.trainings", order=62, roles=(ROLE_KOORDINATION,)),
)
