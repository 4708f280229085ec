"""The admin page of the directory group mapping (/admin/verzeichnis): the configured login methods
and directory settings (never the bind password), the mapping table, its audit trail."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import transaction
from app.auth.models import ROLE_ADMIN
from app.auth.throttle import login_methods
from app.directory import services
from app.directory.forms import MappingForm
from app.directory.models import GroupMapping
from app.extensions import db
from app.web.access import roles_required
from forms.base import AppForm

bp = Blueprint("directory", __name__)

SHOWN_SETTINGS = ("LDAP_URL", "LDAP_START_TLS", "LDAP_CA_FILE", "LDAP_BIND_DN", "LDAP_USER_BASE", "LDAP_USER_FILTER",
                  "LDAP_USERNAME_ATTRIBUTE", "LDAP_DISPLAY_NAME_ATTRIBUTE", "LDAP_MAIL_ATTRIBUTE", "LDAP_ID_ATTRIBUTE",
                  "LDAP_GROUP_MEMBER_ATTRIBUTE", "LDAP_GROUP_BASE", "LDAP_GROUP_FILTER", "LDAP_TIMEOUT",
                  "LOCAL_ADMIN_BREAK_GLASS")


class DeleteForm(AppForm):
    """CSRF token of the delete buttons."""


def _settings() -> list[tuple[str, str]]:
    config = current_app.config
    rows = [(key, str(config.get(key, ""))) for key in SHOWN_SETTINGS]
    rows.append(("LDAP_BIND_PASSWORD", _("gesetzt") if config.get("LDAP_BIND_PASSWORD") else _("nicht gesetzt")))
    return rows


def _page(form: MappingForm, status: int = 200):
    return render_template("directory/mappings.html", form=form, mappings=services.mappings(),
                           events=services.events(), methods=sorted(login_methods()), settings=_settings()), status


@bp.route("/admin/verzeichnis", methods=["GET", "POST"])
@roles_required(ROLE_ADMIN)
def mappings():
    form = MappingForm()
    if form.validate_on_submit():
        source, name = form.source.data or "", (form.group_name.data or "").strip().lower()
        team = form.selected_team()
        kind = form.kind.data if team is not None else None
        role = form.role.data or None
        if services.find_duplicate(source, name, team.id if team else None, kind, role) is not None:
            form.group_name.errors = [*form.group_name.errors, _("Diese Zuordnung gibt es schon.")]
        else:
            services.add(source, name, team, kind, role, current_user._get_current_object())
            flash(_("Die Zuordnung für „%(group)s“ ist gespeichert.", group=name), "info")
            return redirect(url_for("directory.mappings"))
    if form.errors:
        transaction.discard()
        return _page(form, 422)
    return _page(form)


@bp.route("/admin/verzeichnis/<int:mapping_id>/loeschen", methods=["POST"])
@roles_required(ROLE_ADMIN)
def delete_mapping(mapping_id: int):
    mapping = db.session.get(GroupMapping, mapping_id)
    if mapping is None:
        abort(404)
    if not DeleteForm().validate_on_submit():
        abort(400)
    name = mapping.group_name
    services.delete(mapping, current_user._get_current_object())
    flash(_("Die Zuordnung für „%(group)s“ ist gelöscht. Wer nur durch sie Rechte hatte, verliert sie bei "
            "der nächsten Anmeldung.", group=name), "info")
    return redirect(url_for("directory.mappings"))
