"""The data protection officer's search of the access log (role ``datenschutz`` only)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from app.accesslog import search
from app.accesslog.forms import AccessLogFilterForm
from app.auth.models import ROLE_DATENSCHUTZ
from app.timeutil import day_bounds
from app.web.access import roles_required
from app.web.paging import Page, bounds, page_arg

bp = Blueprint("accesslog", __name__, template_folder="../templates")

PER_PAGE = 50
DPO_ONLY = _l("Das Zugriffsprotokoll sehen nur Datenschutzbeauftragte.")


def filters_of(form: AccessLogFilterForm) -> search.Filters:
    """The validated form as query filters (username and case reference resolved to ids)."""
    since = day_bounds(form.von.data, form.von.data)[0] if form.von.data else None
    until = day_bounds(form.bis.data, form.bis.data)[1] if form.bis.data else None
    return search.Filters(
        user_id=search.resolve_user(form.benutzer.data) if form.benutzer.data else None,
        case_id=search.resolve_case(form.fall.data) if form.fall.data else None,
        client_id=form.klient.data or None, since=since, until=until)


@bp.route("/datenschutz/zugriffsprotokoll")
@roles_required(ROLE_DATENSCHUTZ, message=DPO_ONLY)
def search_page():
    form = AccessLogFilterForm(request.args)
    if request.args and not form.validate():
        return render_template("accesslog/search.html", form=form, listing=None, keep={}), 422
    filters = filters_of(form)
    total = search.count(filters)
    page, pages, offset = bounds(total, page_arg(), PER_PAGE)
    rows = search.rows(filters, limit=PER_PAGE, offset=offset)
    listing = Page(items=rows, total=total, page=page, pages=pages)
    keep = {k: v for k, v in request.args.items() if k != "seite" and v}
    return render_template("accesslog/search.html", form=form, listing=listing, keep=keep,
                           references=search.references(rows), action_label=search.action_label,
                           object_label=search.object_label, via_label=search.via_label)
