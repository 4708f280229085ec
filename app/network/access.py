"""Who may use the partner directory and the network map (checked on the server).

Each organisation has its own directory (the municipality's and the welfare association's are
separate): a user only ever sees partners of their own organisation.

- read (directory, map, referring a case): staff of FB 36/31 (``fachkraft``), 201
  (``koordination``), MBE counsellors (``mbe``) and supervisors (``leitung``);
- edit partners and ratings: 201, MBE counsellors and supervisors — the people doing network work.
- volunteers, process owners and administrators: no access (403).
"""

from __future__ import annotations

from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.models import ROLE_FACHKRAFT, ROLE_KOORDINATION, ROLE_LEITUNG, ROLE_MBE, User
from app.web.access import roles_required

READ_ROLES = (ROLE_FACHKRAFT, ROLE_KOORDINATION, ROLE_MBE, ROLE_LEITUNG)
EDIT_ROLES = (ROLE_KOORDINATION, ROLE_MBE, ROLE_LEITUNG)


def may_read(user: User) -> bool:
    return user.organisation_id is not None and user.has_role(*READ_ROLES)


def may_edit(user: User) -> bool:
    return user.organisation_id is not None and user.has_role(*EDIT_ROLES)


#: Route decorators (app/web/access.py); ``require_read``/``require_edit`` add the organisation.
reader_required = roles_required(
    *READ_ROLES, message=_l("Das Partnerverzeichnis ist nur für Fach- und Beratungskräfte."))
editor_required = roles_required(
    *EDIT_ROLES, message=_l("Partner pflegen nur die Koordinierungsstelle, die Beratung und die Leitung."))


def require_read(user: User) -> int:
    """The organisation whose directory ``user`` reads; 403 for everyone else."""
    organisation_id = user.organisation_id
    if organisation_id is None or not may_read(user):
        abort(403, _("Das Partnerverzeichnis ist nur für Fach- und Beratungskräfte."))
    return organisation_id


def require_edit(user: User) -> int:
    organisation_id = user.organisation_id
    if organisation_id is None or not may_edit(user):
        abort(403, _("Partner pflegen nur die Koordinierungsstelle, die Beratung und die Leitung."))
    return organisation_id
