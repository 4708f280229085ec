"""The record of processing page (role ``datenschutz`` only)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

from app.auth.models import ROLE_DATENSCHUTZ
from app.privacy.accounts import FILE_NAME, build_account_record
from app.privacy.services import build_record, partner_types, privacy_dir
from app.timeutil import utcnow
from app.web.access import roles_required

bp = Blueprint("privacy", __name__, template_folder="../templates")

DPO_ONLY = _l("Das Verzeichnis der Verarbeitungstätigkeiten sehen nur Datenschutzbeauftragte.")


@bp.route("/datenschutz/verarbeitungsverzeichnis")
@roles_required(ROLE_DATENSCHUTZ, message=DPO_ONLY)
def record():
    return render_template("privacy/record.html", records=build_record(), partner_types=partner_types(),
                           accounts=build_account_record(privacy_dir()), accounts_file=FILE_NAME,
                           generated_at=utcnow())
