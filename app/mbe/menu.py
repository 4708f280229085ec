"""Main-menu entries of the MBE service (see app/web/menu.py): client search for counsellors
and leads of MBE teams, the MBE statistics for the leads."""

from flask_babel import lazy_gettext as _l

from app.mbe.access import counsellor_teams, lead_teams
from app.web.menu import MenuEntry


def _staff(user) -> bool:
    return bool(counsellor_teams(user) or lead_teams(user))


def _lead(user) -> bool:
    return bool(lead_teams(user))


ENTRIES = (
    MenuEntry(_l("Klient/innen"), "mbe.client_search", order=110, condition=_staff),
    MenuEntry(_l("MBE-Statistik"), "mbe.stats", order=111, condition=_lead),
)
