"""MBE endpoints of the JSON API v1 (same conventions and error answers as app/api)."""

from __future__ import annotations

from datetime import date

from flask import g, jsonify, request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice  # type: ignore[attr-defined]  # stubs lag WTForms 3.3

from app.api import ApiError, api_blueprint, describe, json_object, validation_error
from app.api.auth import require_token
from app.api.openapi import errors, json_body, json_response, ref
from app.auth.access import access_level, get_visible_instance_or_404
from app.cases.serialize import instance_summary
from app.mbe import handover, statistics
from app.mbe.access import is_mbe_case, lead_teams, responsible_of
from app.mbe.forms import HandoverForm, StatisticsForm
from forms import form_errors

COUNT = {"type": "string", "description": "Anzahl als Text; 1 und 2 als \"< 3\", zum Schutz vor dem "
                                          "Herausrechnen geheim gehaltene Werte als \"x\""}
SCHEMAS = {
    "MbeHandover": {
        "type": "object", "required": ["an", "grund"],
        "properties": {"an": {"type": "string", "description": "Benutzername der neuen Beratung"},
                       "grund": {"type": "string", "description": "Grund der Übergabe (Pflicht)"}},
    },
    "MbeStatistics": {
        "type": "object", "required": ["from", "to", "cases", "tables", "goals"],
        "properties": {
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date"},
            "cases": COUNT,
            "tables": {"type": "object", "description": "Tabellen; bei weniger als 3 Fällen ohne Aufschlüsselung "
                                                        "(leere Liste)", "additionalProperties": {
                "type": "array", "items": {"type": "object", "required": ["label", "count"],
                                           "properties": {"label": {"type": "string"}, "count": COUNT}}}},
            "goals": {"type": "array", "items": {"type": "object", "required": ["area"],
                                                 "properties": {"area": {"type": "string"}},
                                                 "additionalProperties": COUNT}},
        },
    },
}

bp = api_blueprint("mbe_api", __name__, SCHEMAS)


@bp.post("/process-instances/<int:instance_id>/handover")
@describe("handOverMbeCase", "MBE-Fall an eine andere Beratung übergeben (zuständige Beratung oder Leitung)",
          tag="MBE", parameters=[{"name": "instance_id", "in": "path", "required": True,
                                  "schema": {"type": "integer", "minimum": 1}}],
          request_body=json_body(ref("MbeHandover")),
          responses={"200": json_response({"type": "object"}, "Fall übergeben; offene Aufgaben verschoben"),
                     **errors("400", "401", "403", "404", "409", "422")})
@require_token
def hand_over(instance_id: int):
    """``{"an": "<username>", "grund": "..."}``: hand an MBE case to another counsellor."""
    user = g.api_user
    instance, _level = get_visible_instance_or_404(user, instance_id)
    if not is_mbe_case(instance):
        raise ApiError(404, "not_found", _("Nicht gefunden."))
    if not handover.may_hand_over(user, instance):
        raise ApiError(403, "forbidden",
                           _("Nur die zuständige Beratung oder die Leitung kann den Fall übergeben."))
    body = json_object()
    form = HandoverForm(formdata=MultiDict({k: str(v) for k, v in body.items() if v is not None}),
                        meta={"csrf": False})
    candidates = handover.candidates(instance)
    form.an.choices = [SelectChoice(u.username, u.display_name) for u in candidates]
    if not form.validate():
        raise validation_error(form_errors(form))
    new = next(u for u in candidates if u.username == form.an.data)
    try:
        moved = handover.hand_over(instance, user, new, (form.grund.data or "").strip())
    except ValueError as exc:
        raise validation_error({"an": [str(exc)]}) from exc
    result = {**instance_summary(instance), "responsible": responsible_of(instance).username,
              "moved_tasks": [t.id for t in moved]}
    level = access_level(user, instance)
    return jsonify({**result, "visible_to_you": level is not None})


@bp.get("/mbe/statistics")
@describe("mbeStatistics", "Anonyme MBE-Statistik ganzer Kalendermonate (nur Leitung der MBE)", tag="MBE",
          parameters=[{"name": "von", "in": "query", "schema": {"type": "string", "format": "date"}},
                      {"name": "bis", "in": "query", "schema": {"type": "string", "format": "date"}}],
          responses={"200": json_response(ref("MbeStatistics"), "Kennzahlen"), **errors("401", "403", "422")})
@require_token
def mbe_statistics():
    """The MBE statistics of the caller's teams (team leads only), masked like the page."""
    teams = lead_teams(g.api_user)
    if not teams:
        raise ApiError(403, "forbidden", _("Nur die Leitung der Migrationsberatung sieht diese Statistik."))
    form = StatisticsForm(formdata=MultiDict(request.args), meta={"csrf": False})
    if not request.args.get("von") and not request.args.get("bis"):
        form.von.data, form.bis.data = statistics.default_period(date.today())
    if not form.validate():
        raise validation_error(form_errors(form))
    assert form.von.data is not None and form.bis.data is not None  # DataRequired
    rep = statistics.report([t.id for t in teams], form.von.data, form.bis.data)
    return jsonify({
        "from": rep.start.isoformat(), "to": rep.end.isoformat(), "cases": rep.shown_cases(),
        "tables": {t.key: [{"label": name, "count": value} for name, value in rep.shown_rows(t)]
                   for t in rep.tables},
        "goals": [{"area": area, **dict(zip(statistics.GOAL_STATUSES, values, strict=True))}
                  for area, values in rep.shown_goals()],
    })
