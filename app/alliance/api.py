"""The alliance figures in the JSON API v1 (``GET /api/v1/alliance/figures``), masked like the page."""

from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app.alliance import figures
from app.alliance.access import figure_teams
from app.alliance.routes import period_form
from app.api import ApiError, api_blueprint, describe, validation_error
from app.api.auth import require_token
from app.api.openapi import errors, json_response, query, ref
from forms import form_errors

COUNT = {"type": "string", "description": "Anzahl als Text; 1 und 2 als \"< 3\", zum Schutz vor dem "
                                          "Herausrechnen geheim gehaltene Werte als \"x\""}
DAYS = {"type": ["number", "null"], "description": "Tage; null bei weniger als 3 Personen mit Angebot"}
SCHEMAS = {
    "AllianceFigures": {
        "type": "object",
        "required": ["from", "to", "people", "offer_share_percent", "closed", "tables", "days_to_first_offer"],
        "properties": {
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date"},
            "people": COUNT,
            "offer_share_percent": {"type": ["number", "null"], "description": (
                "Anteil der Personen mit Angebot zur Ausbildung oder Beschäftigung; null, wenn eine der "
                "beiden Zahlen nicht ausgewiesen wird")},
            "closed": COUNT,
            "tables": {"type": "object", "description": "aufenthaltsstatus, leistungssystem, angebot, uebergang, "
                                                        "ergebnis; ohne Aufschlüsselung eine leere Liste",
                       "additionalProperties": {"type": "array", "items": {
                           "type": "object", "required": ["label", "count"],
                           "properties": {"label": {"type": "string"}, "count": COUNT}}}},
            "days_to_first_offer": {"type": "object", "required": ["median", "q1", "q3"],
                                    "properties": {"median": DAYS, "q1": DAYS, "q3": DAYS}},
        },
    },
}

bp = api_blueprint("alliance_api", __name__, SCHEMAS)


@bp.get("/alliance/figures")
@describe("allianceFigures", "Zahlen für das Bündnis (junge Erwachsene), ganze Kalendermonate, maskiert "
          "(Integrationsmanagement und seine Leitung)", tag="Junge Erwachsene",
          parameters=[query("von", "Erster Tag eines Monats (Standard: 1. Januar)",
                            {"type": "string", "format": "date"}),
                      query("bis", "Letzter Tag eines Monats (Standard: Ende des laufenden Monats)",
                            {"type": "string", "format": "date"})],
          responses={"200": json_response(ref("AllianceFigures"), "Kennzahlen"), **errors("401", "403", "422")})
@require_token
def alliance_figures():
    """The figures of the caller's teams, the same as the page and its CSV."""
    teams = figure_teams(g.api_user)
    if not teams:
        raise ApiError(403, "forbidden", _("Nur das Integrationsmanagement und seine Leitung sehen diese Zahlen."))
    form = period_form(MultiDict(request.args))
    if not form.validate():
        raise validation_error(form_errors(form))
    assert form.von.data is not None and form.bis.data is not None  # DataRequired
    rep = figures.report([t.id for t in teams], form.von.data, form.bis.data)
    return jsonify({
        "from": rep.start.isoformat(), "to": rep.end.isoformat(), "people": rep.shown_people(),
        "offer_share_percent": rep.offer_share(), "closed": rep.shown_closed(),
        "tables": {t.key: [{"label": name, "count": value} for name, value in rep.shown_rows(t)] for t in rep.tables},
        "days_to_first_offer": {"median": rep.duration.median, "q1": rep.duration.q1, "q3": rep.duration.q3},
    })
