"""Partner directory, network map per year, referrals of cases to partners."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import transaction
from app.auth.access import get_visible_instance_or_404
from app.auth.routes import PostForm
from app.engine.models import FULL
from app.network import netmap, services
from app.network.access import editor_required, may_edit, may_read, reader_required, require_edit, require_read
from app.network.forms import IMPORTANCE_LABELS, INTENSITY_LABELS, TYPE_LABELS, PartnerForm, ReferralForm, choices
from app.network.models import PARTNER_TYPES
from app.web.access import login_required
from app.web.responses import attachment, csv_response

bp = Blueprint("network", __name__, template_folder="../templates")


def _labels() -> dict:
    return {"type_label": lambda t: str(TYPE_LABELS.get(t, t)),
            "intensity_label": lambda v: str(INTENSITY_LABELS.get(v, v)),
            "importance_label": lambda v: str(IMPORTANCE_LABELS.get(v, v))}


@bp.app_template_global()
def network_case_box(instance_id: int, level: str) -> dict | None:
    """For the case view: referrals and the referral form, for FULL participants who may use
    the directory; None (nothing shown) for everyone else."""
    if not current_user.is_authenticated or level != FULL or not may_read(current_user):
        return None
    form = g.get("network_referral_form") or ReferralForm(formdata=None)
    form.partner.choices = choices([(str(p.id), f"{p.name} ({TYPE_LABELS.get(p.typ, p.typ)})")
                                    for p in services.partners(current_user.organisation_id, active_only=True)])
    return {"referrals": services.referrals(instance_id), "form": form}


@bp.app_template_global()
def network_partner_names() -> list[str]:
    """Names of the reader's organisation's active partners, e.g. for a <datalist> next to the
    free-text partner field of MBE goals (include "network/_partner_datalist.html" and give the
    input ``list="netzwerkpartner"``)."""
    if not current_user.is_authenticated or not may_read(current_user):
        return []
    return [p.name for p in services.partners(current_user.organisation_id, active_only=True)]


@bp.route("/netzwerk/partner")
@reader_required
def index():
    org = require_read(current_user)
    typ = request.args.get("typ") or None
    if typ not in (None, *PARTNER_TYPES):
        typ = None
    return render_template("network/index.html", partners=services.partners(org, typ=typ), typ=typ,
                           types=TYPE_LABELS, counts=services.referral_counts(org), may_edit=may_edit(current_user),
                           **_labels())


def _fill_contacts(form: PartnerForm, contacts) -> None:
    while len(form.kontakte.entries):
        form.kontakte.pop_entry()
    for c in contacts:
        form.kontakte.append_entry({"name": c.name, "funktion": c.funktion, "telefon": c.telefon, "email": c.email})
    form.kontakte.append_entry()  # one empty row for a new contact


@bp.route("/netzwerk/partner/neu", methods=["GET", "POST"], defaults={"partner_id": None})
@bp.route("/netzwerk/partner/<int:partner_id>", methods=["GET", "POST"])
@reader_required
def edit(partner_id: int | None):
    org = require_read(current_user)
    partner = services.get_partner_or_404(org, partner_id) if partner_id is not None else None
    if request.method == "POST" or partner is None:
        require_edit(current_user)
    if request.method == "GET" and partner is not None and not may_edit(current_user):
        return render_template("network/partner.html", partner=partner, **_labels())
    form = PartnerForm(obj=partner if request.method == "GET" else None)
    if request.method == "GET":
        _fill_contacts(form, partner.contacts if partner else [])
    if form.validate_on_submit():
        partner = services.save_partner(
            partner, org, name=form.name.data or "", typ=form.typ.data, anschrift=form.anschrift.data,
            notiz=form.notiz.data, intensitaet=form.intensitaet.data, wichtigkeit=form.wichtigkeit.data,
            kontakte=[e.form.data for e in form.kontakte.entries])
        flash(_("Partner „%(name)s“ gespeichert; die Bewertung gilt für %(jahr)s.", name=partner.name,
                jahr=date.today().year), "success")
        return redirect(url_for("network.index"))
    return render_template("network/edit.html", form=form, partner=partner), \
        422 if form.errors else 200


@bp.route("/netzwerk/partner/<int:partner_id>/status", methods=["POST"])
@editor_required
def set_status(partner_id: int):
    org = require_edit(current_user)
    partner = services.get_partner_or_404(org, partner_id)
    if not PostForm().validate_on_submit() or request.form.get("aktiv") not in ("0", "1"):
        abort(400)
    active = request.form["aktiv"] == "1"
    services.set_active(partner, active)
    if active:
        flash(_("Partner „%(name)s“ ist wieder aktiv und kann bei Verweisen gewählt werden.", name=partner.name),
              "success")
    else:
        flash(_("Partner „%(name)s“ ist deaktiviert: Er wird für neue Verweise nicht mehr angeboten; "
                "bisherige Verweise und Netzwerkkarten bleiben erhalten.", name=partner.name), "success")
    return redirect(url_for("network.index"))


@bp.route("/faelle/<int:instance_id>/verweis", methods=["POST"])
@login_required
def refer(instance_id: int):
    instance, level = get_visible_instance_or_404(current_user, instance_id)
    org = require_read(current_user)
    if level != FULL:
        abort(403, _("Partner binden nur die fallführenden Fachkräfte ein."))
    form = ReferralForm()
    form.partner.choices = choices([(str(p.id), p.name) for p in services.partners(org, active_only=True)])
    if not form.validate_on_submit():
        flash(_("Bitte einen Partner aus dem Verzeichnis wählen."), "error")
        return redirect(url_for("cases.view", instance_id=instance.id) + "#verweis-h"), 303
    partner = services.get_partner_or_404(org, int(form.partner.data))
    try:
        services.refer(instance, partner, current_user, form.anlass.data)
    except services.ReferralRefused as refused:
        transaction.discard()
        form.partner.errors = [str(refused)]
        g.network_referral_form = form  # shown with its message in the case view's referral box
        return current_app.view_functions["cases.view"](instance_id=instance.id), 422
    flash(_("Partner „%(name)s“ eingebunden.", name=partner.name), "success")
    return redirect(url_for("cases.view", instance_id=instance.id) + "#verweis-h")


# --- network map --------------------------------------------------------------------------------


def _year() -> int:
    year = request.args.get("jahr", type=int) or date.today().year
    if not 2000 <= year <= 2100:
        abort(404)
    return year


def map_context(org: int, year: int) -> dict:
    """What ``network/map.svg`` draws for an organisation's year (also embedded in the annual report)."""
    rows = services.year_rows(org, year)
    sectors, nodes, font = netmap.layout(rows)
    return {"year": year, "rows": rows, "sectors": sectors, "nodes": nodes, "font": font, "size": netmap.SIZE,
            "rings": netmap.RING, "centre": netmap.CENTRE, "viewbox": netmap.VIEWBOX,
            "organisation": current_user.organisation.name,
            **_labels()}


@bp.route("/netzwerk/karte")
@reader_required
def netmap_page():
    org = require_read(current_user)
    year = _year()
    return render_template("network/map.html", years=services.years(org), may_edit=may_edit(current_user),
                           **map_context(org, year))


@bp.route("/netzwerk/karte/<int:year>.svg")
@reader_required
def netmap_svg(year: int):
    org = require_read(current_user)
    if not 2000 <= year <= 2100:
        abort(404)
    svg = render_template("network/map.svg", standalone=True, **map_context(org, year))
    return attachment('<?xml version="1.0" encoding="UTF-8"?>\n' + svg, "image/svg+xml", f"netzwerkkarte-{year}.svg")


@bp.route("/netzwerk/karte/<int:year>.csv")
@reader_required
def netmap_csv(year: int):
    org = require_read(current_user)
    labels = _labels()
    rows = [[_("Jahr"), _("Partner"), _("Art"), _("Intensität"), _("Intensität (Text)"),
             _("Wichtigkeit"), _("Wichtigkeit (Text)")]]
    for row in services.year_rows(org, year):
        rows.append([year, row.name, labels["type_label"](row.typ), row.intensitaet,
                     labels["intensity_label"](row.intensitaet), row.wichtigkeit,
                     labels["importance_label"](row.wichtigkeit)])
    return csv_response(rows, f"netzwerkkarte-{year}.csv")  # user text stays text (app/exports.py)


@bp.route("/netzwerk/karte/<int:year>/uebernehmen", methods=["POST"])
@editor_required
def netmap_carry_over(year: int):
    org = require_edit(current_user)
    if not PostForm().validate_on_submit() or not 2000 <= year <= 2100:
        abort(400)
    count = services.carry_over(org, year)
    flash(_("%(num)s Partner mit ihrer aktuellen Bewertung in %(jahr)s übernommen.", num=count, jahr=year), "success")
    return redirect(url_for("network.netmap_page", jahr=year))
