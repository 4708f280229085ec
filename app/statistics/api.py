"""GET /api/v1/statistics: the statistics page's figures as JSON (supervisors of those units)."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from flask_babel import gettext as _

from app.api import ApiError, api_blueprint, describe
from app.api.auth import require_token
from app.api.openapi import errors, json_response, query
from app.statistics.services import StatisticsError, compute, may_see_statistics, resolve_scope


def _answer_schema() -> dict[str, Any]:
    """The figures of compute() (app/statistics/services.py)."""
    def rows(**props: Any) -> dict[str, Any]:
        return {"type": "array", "items": {"type": "object", "required": list(props), "properties": props}}

    def obj(**props: Any) -> dict[str, Any]:
        return {"type": "object", "required": list(props), "properties": props}

    num, text, count = {"type": "number"}, {"type": "string"}, {"type": "integer"}
    maybe = {"type": ["number", "null"]}
    return obj(
        period=obj(**{"from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"}}),
        teams=rows(key=text, name=text),
        cases_started=rows(process=text, name=text, count=count),
        cases_closed=rows(process=text, name=text, outcome=text, count=count),
        open_tasks=obj(total=count, overdue=count,
                       by_step=rows(process=text, step=text, title=text, open=count, overdue=count)),
        crises=obj(reported=count, acknowledged=count, escalated=count, open_crisis_tasks=count,
                   ack_minutes_mean=maybe, ack_minutes_median=maybe),
        step_durations=rows(process=text, step=text, title=text, completed=count, mean_hours=num, median_hours=num),
        consultations=obj(total=count, by_topic=rows(topic=text, label=text, count=count),
                          by_kind=rows(kind=text, label=text, count=count)),
        home_visits=obj(total=count, per_week=num, by_week=rows(week=text, count=count)),
        events=obj(count=count, participants=count,
                   by_type=rows(type=text, label=text, count=count, participants=count)),
        working_time=obj(total_minutes=count,
                         by_activity=rows(activity=text, label=text, minutes=count, share_percent=num)),
        journal=obj(sessions=count, minutes=count, by_kind=rows(kind=text, label=text, count=count),
                    by_topic=rows(topic=text, label=text, count=count)),
    )


bp = api_blueprint("statistics_api", __name__)


@bp.get("/statistics")
@describe("getStatistics", "Statistik der Teams, die Sie leiten (wie die Seite Statistik)", tag="monitoring",
          responses={"200": json_response(_answer_schema(), "Kennzahlen des Zeitraums"),
                     **errors("400", "401", "403")},
          parameters=[
              query("from", "Beginn des Zeitraums (JJJJ-MM-TT; Standard: 1. Januar)",
                    {"type": "string", "format": "date"}),
              query("to", "Ende des Zeitraums (JJJJ-MM-TT, einschließlich; Standard: heute)",
                    {"type": "string", "format": "date"}),
              query("team", "Teamschlüssel (nur Teams, die Sie leiten; Standard: alle)", {"type": "string"}),
          ])
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
