"""The search page (GET /suche?q=) and the case header's note for anonymous cases."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from app.accesslog import services as accesslog
from app.accesslog.models import CASE
from app.cases.services import HEADER, CasePanel, case_panels
from app.search import services
from app.search.forms import SearchForm
from app.web.access import login_required
from app.web.paging import page_arg

bp = Blueprint("search", __name__, template_folder="../templates")
PER_PAGE = 25


@bp.route("/suche")
@login_required
def index():
    form = SearchForm(request.args)
    if "q" not in request.args:  # the empty page: the field, no message yet
        return render_template("search/results.html", form=form, result=None)
    if not form.validate():
        return render_template("search/results.html", form=form, result=None), 422
    result = services.search(current_user, form.q.data or "", page_arg(), PER_PAGE)
    accesslog.list_read(current_user, CASE)
    return render_template("search/results.html", form=form, result=result, q=form.q.data)


@case_panels.connect
def _anonymous_case(instance, user=None, level=None, **_kwargs):
    """A confidential case without a named client says so in its header (nothing else does)."""
    if instance.title or not instance.version.model.confidential:
        return None
    return CasePanel("search/_anonymous.html", position=HEADER, order=10)
