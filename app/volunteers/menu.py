"""Main-menu entries of the volunteer service (see app/web/menu.py): the volunteers' own pages,
then the coordination office's."""

from flask_babel import lazy_gettext as _l

from app.auth.models import ROLE_EHRENAMT, ROLE_KOORDINATION, ROLE_LEITUNG
from app.volunteers.access import supervises_201
from app.web.menu import MenuEntry


def _reads_201(user) -> bool:
    """201 staff (by role, as before), or a supervisor of 201 (reads these pages, changes nothing)."""
    return user.has_role(ROLE_KOORDINATION) or supervises_201(user)


ENTRIES = (
    MenuEntry(_l("Mein Profil"), "volunteers.profile", order=50, roles=(ROLE_EHRENAMT,)),
    MenuEntry(_l("Meine Einsätze"), "volunteers.my_assignments", order=51, roles=(ROLE_EHRENAMT,)),
    MenuEntry(_l("Schulungen"), "volunteers.my_trainings", order=52, roles=(ROLE_EHRENAMT,)),
    MenuEntry(_l("Ehrenamtliche"), "volunteers.coord_list", order=60, roles=(ROLE_KOORDINATION, ROLE_LEITUNG),
              condition=_reads_201),
    MenuEntry(_l("Aufwand prüfen"), "volunteers.expense_review", order=61, roles=(ROLE_KOORDINATION, ROLE_LEITUNG),
              condition=_reads_201),
    MenuEntry(_l("Schulungen"), "volunteers.trainings", order=62, roles=(ROLE_KOORDINATION, ROLE_LEITUNG),
              condition=_reads_201),
)
