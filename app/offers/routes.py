"""Pages of the offers catalogue, the gap report, proposing an offer into a case, and the case
view's panel of matching offers."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import transaction
from app.accesslog.models import CASE, LIST
from app.accesslog.services import record
from app.auth.access import access_level, get_visible_instance_or_404
from app.auth.routes import PostForm
from app.cases.services import MAIN, CasePanel, case_panels, visible_data
from app.offers import gaps, matching, services
from app.offers.access import catalogue_required, may_match, require_catalogue
from app.offers.forms import KINDS, STATUSES, SYSTEMS, OfferForm
from app.web.redirects import safe_target
from app.web.responses import csv_response
from forms.junge_erwachsene import ZIELBEREICHE

bp = Blueprint("offers", __name__, template_folder="../templates")
PROCESS_KEY = "junge_erwachsene"


def labels() -> dict:
    return {"kinds": {k: str(v) for k, v in KINDS.items()}, "statuses": {k: str(v) for k, v in STATUSES.items()},
            "systems": {k: str(v) for k, v in SYSTEMS.items()},
            "needs": {k: str(v) for k, v in ZIELBEREICHE}}


@bp.route("/angebote")
@catalogue_required
def index():
    org = require_catalogue(current_user)
    art = request.args.get("art") or None
    status = request.args.get("status") or None
    aktiv = request.args.get("aktiv", "1")
    provider = request.args.get("traeger", type=int)
    art = art if art in KINDS else None
    status = status if status in STATUSES else None
    active = {"1": True, "0": False}.get(aktiv)
    found = services.offers(org, art=art, status=status, provider_id=provider, active=active)
    return render_template("offers/index.html", offers=found, art=art, status=status, aktiv=aktiv,
                           traeger=provider, providers=services.providers(org), today=matching.office_today(),
                           **labels())


@bp.route("/angebote/neu", methods=["GET", "POST"], defaults={"offer_id": None})
@bp.route("/angebote/<int:offer_id>", methods=["GET", "POST"])
@catalogue_required
def edit(offer_id: int | None):
    org = require_catalogue(current_user)
    offer = services.get_offer_or_404(org, offer_id) if offer_id is not None else None
    form = OfferForm(obj=offer if request.method == "GET" else None)
    partners = services.providers(org, keep=offer.provider_id if offer else None)
    form.provider.choices = [("", _("– bitte wählen –"))] + [(str(p.id), p.name) for p in partners]
    if request.method == "GET" and offer is not None:
        form.provider.data = str(offer.provider_id)
        form.sprachniveau_min.data = offer.sprachniveau_min or ""
    if form.validate_on_submit():
        provider = next(p for p in partners if str(p.id) == form.provider.data)
        values = {name: form[name].data for name in services.FIELDS}
        offer = services.save_offer(offer, org, provider, values)
        flash(_("Angebot „%(titel)s“ gespeichert.", titel=offer.titel), "success")
        return redirect(url_for("offers.index"))
    if form.errors:
        transaction.discard()
    return render_template("offers/edit.html", form=form, offer=offer), 422 if form.errors else 200


@bp.route("/angebote/<int:offer_id>/status", methods=["POST"])
@catalogue_required
def set_status(offer_id: int):
    org = require_catalogue(current_user)
    offer = services.get_offer_or_404(org, offer_id)
    if not PostForm().validate_on_submit() or request.form.get("aktiv") not in ("0", "1"):
        abort(400)
    active = request.form["aktiv"] == "1"
    services.set_active(offer, active)
    if active:
        flash(_("Angebot „%(titel)s“ ist wieder aktiv und wird für passende Fälle vorgeschlagen.",
                titel=offer.titel), "success")
    else:
        flash(_("Angebot „%(titel)s“ ist deaktiviert und wird nicht mehr vorgeschlagen.", titel=offer.titel),
              "success")
    return redirect(url_for("offers.edit", offer_id=offer.id))


def _gap_rows(result: gaps.GapReport) -> list[list[str]]:
    names = labels()
    return [[names["statuses"].get(s, _("noch nicht erfasst")), names["needs"].get(n, n), gaps.masked(c)]
            for s, n, c in result.rows()]


@bp.route("/angebote/luecken")
@catalogue_required
def gap_report():
    org = require_catalogue(current_user)
    result = gaps.report(org, current_user)
    if request.args.get("format") == "csv":
        rows = [[_("Aufenthaltsstatus"), _("Bedarf"), _("Personen ohne passendes Angebot")], *_gap_rows(result)]
        return csv_response(rows, f"foerderluecken-{result.today.isoformat()}.csv")
    for instance_id in sorted({gap.instance.id for gap in result.own}):
        record(current_user, LIST, CASE, instance_id, case_id=instance_id)
    return render_template("offers/gaps.html", result=result, rows=_gap_rows(result), **labels())


@bp.route("/faelle/<int:instance_id>/angebote/<int:offer_id>/vorschlagen", methods=["POST"])
@catalogue_required
def propose(instance_id: int, offer_id: int):
    instance, level = get_visible_instance_or_404(current_user, instance_id)
    if instance.version.model.key != PROCESS_KEY or not may_match(current_user, instance, level):
        abort(403, _("Angebote schlägt das fallverantwortliche Team vor."))
    offer = services.get_offer_or_404(require_catalogue(current_user), offer_id)
    if not PostForm().validate_on_submit():
        abort(400)
    back = safe_target(request.form.get("next"), url_for("cases.view", instance_id=instance.id) + "#angebote-katalog")
    try:
        task = services.propose(instance, offer, current_user)
    except services.ProposalRefused as refused:
        flash(str(refused), "error")
        return redirect(back)
    if task is not None:
        flash(_("„%(titel)s“ vorgeschlagen; es steht vorausgefüllt in der Aufgabe „%(aufgabe)s“ und wird mit ihr "
                "in den Fall übernommen.", titel=offer.titel, aufgabe=task.title), "success")
    else:
        flash(_("„%(titel)s“ vorgeschlagen und im Verlauf vermerkt; tragen Sie es bei der nächsten Überprüfung "
                "unter „Angebote“ ein.", titel=offer.titel), "success")
    return redirect(back)


def panel_context(instance, data: dict, user, back: str | None = None) -> dict:
    """What the case view's panel and the task pages show: the matching for ``user``'s catalogue;
    ``back``: where proposing returns to (default: the case view)."""
    result = matching.match(data, user.organisation_id)
    return {"matching": result, "proposed": services.proposals(instance.id), "instance_id": instance.id,
            "running": instance.status == "running", "back": back, **labels()}


def task_matches(instance, data: dict, user) -> dict | None:
    """For the task pages of the offers step and the review (app/casecontext/sections.py): the
    matching offers, for the owning team only; None for everyone else."""
    if instance.version.model.key != PROCESS_KEY or not may_match(user, instance, access_level(user, instance)):
        return None
    return panel_context(instance, data, user, back=request.path)  # the task page


@case_panels.connect
def _matching_panel(instance, user=None, level=None, **_kwargs) -> CasePanel | None:
    if user is None or instance.version.model.key != PROCESS_KEY or not may_match(user, instance, level):
        return None
    data = visible_data(instance.data, level, PROCESS_KEY)
    if not data.get("aufenthaltsstatus"):
        return None  # nothing to match before the situation is known
    return CasePanel("offers/_panel.html", MAIN, 85, panel_context(instance, data, user))
