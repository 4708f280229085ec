"""GET /api/v1/statistics: the statistics page's figures as JSON (supervisors of those units)."""

from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import gettext as _

from app.api import bp
from app.api.auth import require_token
from app.api.routes import ApiError
from app.statistics.services import StatisticsError, compute, may_see_statistics, resolve_scope


@bp.get("/statistics")
@require_token
def statistics():
    user = g.api_user
    if not may_see_statistics(user):
        raise ApiError(403, "forbidden", _("Die Statistik sehen nur Leitungen für die Teams, die sie leiten."))
    args = request.args
    try:
        scope = resolve_scope(user, args.get("from"), args.get("to"), args.get("team"))
    except StatisticsError as exc:
        code = "forbidden" if exc.status == 403 else "bad_request"
        raise ApiError(exc.status, code, f"{exc.field}: {exc.message}") from None
    return jsonify(compute(scope))
