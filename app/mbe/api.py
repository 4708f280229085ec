"""MBE endpoints of the JSON API v1 (same conventions and error answers as app/api)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, g, jsonify, request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice  # type: ignore[attr-defined]  # stubs lag WTForms 3.3

from app.api import routes as api
from app.api.auth import require_token
from app.auth.access import access_level, get_visible_instance_or_404
from app.engine import service
from app.mbe import handover, statistics
from app.mbe.access import is_mbe_case, lead_teams, responsible_of
from app.mbe.forms import HandoverForm, StatisticsForm
from forms import form_errors

bp = Blueprint("mbe_api", __name__, url_prefix="/api/v1")

for _exc, _handler in ((api.ApiError, api._api_error), (service.ConflictError, api._conflict),
                       (service.ForbiddenError, api._forbidden), (service.EngineError, api._engine_error)):
    bp.register_error_handler(_exc, _handler)


@bp.post("/process-instances/<int:instance_id>/handover")
@require_token
def hand_over(instance_id: int):
    """``{"an": "<username>", "grund": "..."}``: hand an MBE case to another counsellor."""
    user = g.api_user
    instance, _level = get_visible_instance_or_404(user, instance_id)
    if not is_mbe_case(instance):
        raise api.ApiError(404, "not_found", _("Nicht gefunden."))
    if not handover.may_hand_over(user, instance):
        raise api.ApiError(403, "forbidden",
                           _("Nur die zuständige Beratung oder die Leitung kann den Fall übergeben."))
    body = api.json_object()
    form = HandoverForm(formdata=MultiDict({k: str(v) for k, v in body.items() if v is not None}),
                        meta={"csrf": False})
    candidates = handover.candidates(instance)
    form.an.choices = [SelectChoice(u.username, u.display_name) for u in candidates]
    if not form.validate():
        raise api.validation_error(form_errors(form))
    new = next(u for u in candidates if u.username == form.an.data)
    try:
        moved = handover.hand_over(instance, user, new, (form.grund.data or "").strip())
    except ValueError as exc:
        raise api.validation_error({"an": [str(exc)]}) from exc
    api.commit()
    result = {**api.instance_summary(instance), "responsible": responsible_of(instance).username,
              "moved_tasks": [t.id for t in moved]}
    level = access_level(user, instance)
    return jsonify({**result, "visible_to_you": level is not None})


@bp.get("/mbe/statistics")
@require_token
def mbe_statistics():
    """The MBE statistics of the caller's teams (team leads only), masked like the page."""
    teams = lead_teams(g.api_user)
    if not teams:
        raise api.ApiError(403, "forbidden", _("Nur die Leitung der Migrationsberatung sieht diese Statistik."))
    form = StatisticsForm(formdata=MultiDict(request.args), meta={"csrf": False})
    if not request.args.get("von") and not request.args.get("bis"):
        form.von.data, form.bis.data = date(date.today().year, 1, 1), date.today()
    if not form.validate():
        raise api.validation_error(form_errors(form))
    assert form.von.data is not None and form.bis.data is not None  # DataRequired
    rep = statistics.report([t.id for t in teams], form.von.data, form.bis.data)
    return jsonify({
        "from": rep.start.isoformat(), "to": rep.end.isoformat(), "cases": statistics.mask(rep.cases),
        "tables": {t.key: [{"label": name, "count": statistics.mask(n)} for name, n in t.rows]
                   for t in rep.tables},
        "goals": [{"area": area, **{s: statistics.mask(c.get(s, 0)) for s in statistics.GOAL_STATUSES}}
                  for area, c in rep.goals.rows],
    })
