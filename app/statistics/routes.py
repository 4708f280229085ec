"""Statistics page for supervisors (Leitung), its CSV/XLSX export and the annual report."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth.models import ROLE_LEITUNG
from app.network.access import may_read as may_read_network
from app.network.routes import map_context
from app.statistics import export
from app.statistics.services import StatisticsError, compute, lead_teams, may_see_statistics, resolve_scope
from app.statistics.tables import all_tables, annual_tables, work_share_tables
from app.web.access import roles_required
from app.web.responses import csv_response, xlsx_response
from app.worktime.services import work_shares

bp = Blueprint("statistics", __name__, template_folder="../templates")

WEB_FIELDS = {"from": "von", "to": "bis", "team": "team", "year": "jahr"}


LEAD_ONLY = _l("Die Statistik sehen nur Leitungen für die Teams, die sie leiten.")
lead_required = roles_required(ROLE_LEITUNG, message=LEAD_ONLY)


def _require_lead() -> None:
    """Beyond the role: leads at least one team."""
    if not may_see_statistics(current_user):
        abort(403, str(LEAD_ONLY))


def _scope_or_errors():
    args = request.args
    try:
        return resolve_scope(current_user, args.get("von"), args.get("bis"), args.get("team")), {}
    except StatisticsError as exc:
        if exc.status == 403:
            abort(403, exc.message)
        return None, {WEB_FIELDS[exc.field]: exc.message}


@bp.route("/statistik")
@lead_required
def index():
    _require_lead()
    scope, errors = _scope_or_errors()
    stats = compute(scope) if scope else None
    return render_template(
        "statistics/index.html", stats=stats, tables=all_tables(stats) if stats else [], errors=errors,
        teams=lead_teams(current_user), args=request.args, scope=scope, this_year=date.today().year,
    ), 400 if errors else 200


@bp.route("/statistik/export.<fmt>")
@lead_required
def download(fmt: str):
    _require_lead()
    if fmt not in ("csv", "xlsx"):
        abort(404)
    scope, errors = _scope_or_errors()
    if errors:
        abort(400, " ".join(errors.values()))
    tables = all_tables(compute(scope))
    name = f"statistik_{scope.date_from.isoformat()}_{scope.date_to.isoformat()}.{fmt}"
    if fmt == "csv":
        return csv_response(export.to_csv(tables), name)
    return xlsx_response(export.to_xlsx(tables), name)


def _annual():
    _require_lead()
    raw = request.args.get("jahr") or str(date.today().year)
    year = int(raw) if raw.isdigit() and len(raw) <= 4 and 2000 <= int(raw) <= date.today().year else None
    if year is None:
        return None, None, {"jahr": _("Bitte ein Jahr zwischen 2000 und dem laufenden Jahr angeben.")}
    end = min(date(year, 12, 31), max(date.today(), date(year, 1, 1)))
    try:
        scope = resolve_scope(current_user, f"{year}-01-01", end.isoformat(), request.args.get("team"))
    except StatisticsError as exc:
        if exc.status == 403:
            abort(403, exc.message)
        return year, None, {WEB_FIELDS[exc.field]: exc.message}
    return year, scope, {}


@bp.route("/statistik/jahresbericht")
@lead_required
def annual():
    year, scope, errors = _annual()
    stats = compute(scope) if scope else None
    shares = work_shares(scope.date_from, scope.date_to, scope.teams) if scope else None
    # The year's network map (seed 004: "als Bestandteil des Jahresberichts"), of the reader's organisation.
    netmap = map_context(current_user.organisation_id, year) if scope and year and may_read_network(current_user) \
        else None
    return render_template(
        "statistics/annual.html", year=year, stats=stats, errors=errors, args=request.args,
        tables=annual_tables(stats, year) if stats else [], teams=lead_teams(current_user),
        this_year=date.today().year, shares=shares, netmap=netmap,
    ), 400 if errors else 200


@bp.route("/statistik/jahresbericht.xlsx")
@lead_required
def annual_xlsx():
    year, scope, errors = _annual()
    if errors:
        abort(400, " ".join(errors.values()))
    tables = [*annual_tables(compute(scope), year),
              *work_share_tables(work_shares(scope.date_from, scope.date_to, scope.teams))]
    return xlsx_response(export.to_xlsx(tables), f"jahresbericht_{year}.xlsx")


@bp.app_template_filter("stat_value")
def stat_value(value):
    """Numbers in the reader's locale (1.234,5); text as it is."""
    from flask_babel import format_decimal

    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return format_decimal(value)
