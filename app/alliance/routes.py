"""The alliance figures page (and its CSV export) for the teams of the young adults' case management."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from app import timeutil, transaction
from app.alliance import facts as _facts  # noqa: F401  # the completion hook that keeps the rows
from app.alliance import figures
from app.alliance.access import figure_teams
from app.alliance.forms import FiguresForm
from app.statistics.charts import bar_chart
from app.suppression import LEGEND, WITHHELD_NOTE, month_end
from app.web.access import login_required
from app.web.responses import csv_response

bp = Blueprint("alliance", __name__, template_folder="../templates")


def default_period(today: date) -> tuple[date, date]:
    """This year's January up to the end of the current month."""
    return date(today.year, 1, 1), month_end(today)


def period_form(args) -> FiguresForm:
    form = FiguresForm(args)
    if not args.get("von") and not args.get("bis"):
        form.von.data, form.bis.data = default_period(timeutil.utcnow().astimezone(timeutil.office_zone()).date())
    return form


@bp.route("/buendnis/zahlen")
@login_required
def figures_page():
    teams = figure_teams(current_user)
    if not teams:
        abort(403)
    form = period_form(request.args)
    rep = None
    charts = {}
    if form.validate():
        assert form.von.data is not None and form.bis.data is not None  # DataRequired
        rep = figures.report([t.id for t in teams], form.von.data, form.bis.data)
        if request.args.get("format") == "csv":
            name = f"buendnis-zahlen-{form.von.data.isoformat()}-{form.bis.data.isoformat()}.csv"
            return csv_response(figures.to_csv(rep), name)
        charts = {t.key: bar_chart(f"chart-{t.key}", t.title, rep.visible_items(t))
                  for t in rep.tables if rep.has_chart(t)}
    if form.errors:
        transaction.discard()
    return render_template("alliance/figures.html", form=form, report=rep, teams=teams, charts=charts,
                           legend=LEGEND, withheld_note=WITHHELD_NOTE, median_withheld=figures.MEDIAN_WITHHELD), \
        422 if form.errors else 200
