"""``GET /api/v1/access-log`` (role ``datenschutz`` only): the access log, searched by case,
user or client, newest first, paged with ``limit``/``offset``. There is no route that changes the
log (PUT, PATCH, DELETE answer 405) and the database refuses UPDATE and DELETE anyway."""

from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import gettext as _

from app.accesslog import search
from app.accesslog.models import AccessLogEntry
from app.api import ApiError, api_blueprint, describe, validation_error
from app.api.auth import require_token
from app.api.openapi import errors, json_response, query, ref
from app.auth.models import ROLE_DATENSCHUTZ
from app.timeutil import iso

MAX_LIMIT = 500
MAX_ID = 2_147_483_647
SCHEMAS = {
    "AccessLogEntry": {
        "type": "object", "required": ["at", "user", "role", "action", "object_type", "object_id", "via"],
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "user": {"type": "string", "description": "Anmeldename zum Zeitpunkt des Zugriffs"},
            "role": {"type": "string", "description": "Rollen der Person, durch Komma getrennt"},
            "action": {"type": "string", "enum": sorted(search.ACTION_LABELS)},
            "object_type": {"type": "string", "enum": sorted(search.OBJECT_LABELS)},
            "object_id": {"type": ["integer", "null"]},
            "via": {"type": "string", "description": "Seite (Endpunkt) oder API-Aufruf"},
        },
    },
    "AccessLog": {
        "type": "object", "required": ["items", "total"],
        "properties": {"items": {"type": "array", "items": ref("AccessLogEntry")},
                       "total": {"type": "integer", "description": "Anzahl aller Treffer (alle Seiten)"}},
    },
}

bp = api_blueprint("accesslog_api", __name__, SCHEMAS)


def entry_json(row: AccessLogEntry) -> dict:
    return {"at": iso(row.at), "user": row.username, "role": row.role, "action": row.action,
            "object_type": row.object_type, "object_id": row.object_id, "via": row.via}


def _int(name: str, default: int | None, *, minimum: int, maximum: int) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    if not (raw.isascii() and raw.isdigit()) or not minimum <= int(raw) <= maximum:
        raise validation_error({name: [_("Bitte eine ganze Zahl von %(min)d bis %(max)d angeben.",
                                         min=minimum, max=maximum)]})
    return int(raw)


def _filters() -> search.Filters:
    """The query parameters as filters; a malformed one is a 422 naming it."""
    case, user = (request.args.get("case") or "").strip(), (request.args.get("user") or "").strip()
    if len(case) > 40:
        raise validation_error({"case": [_("Bitte eine Fall-ID oder ein Aktenzeichen angeben.")]})
    if len(user) > 80:
        raise validation_error({"user": [_("Bitte einen Anmeldenamen angeben.")]})
    return search.Filters(user_id=search.resolve_user(user) if user else None,
                          case_id=search.resolve_case(case) if case else None,
                          client_id=_int("client", None, minimum=1, maximum=MAX_ID))


@bp.get("/access-log")
@describe("getAccessLog", "Zugriffsprotokoll durchsuchen (nur Datenschutzbeauftragte), neueste zuerst",
          tag="data protection",
          responses={"200": json_response(ref("AccessLog"), "OK"), **errors("401", "403", "422")},
          parameters=[
              query("case", "Fall: ID oder Aktenzeichen", {"type": "string", "maxLength": 40}),
              query("user", "Anmeldename der lesenden Person", {"type": "string", "maxLength": 80}),
              query("client", "ID der Klientin / des Klienten (MBE)", {"type": "integer", "minimum": 1}),
              query("limit", "Einträge je Seite", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                                   "default": 100}),
              query("offset", "Übersprungene Einträge (Seiten: offset = limit × (Seite − 1))",
                    {"type": "integer", "minimum": 0, "default": 0}),
          ])
@require_token
def access_log():
    if not g.api_user.has_role(ROLE_DATENSCHUTZ):
        raise ApiError(403, "forbidden", _("Das Zugriffsprotokoll sehen nur Datenschutzbeauftragte."))
    filters = _filters()
    limit = _int("limit", 100, minimum=1, maximum=MAX_LIMIT) or 100
    offset = _int("offset", 0, minimum=0, maximum=MAX_ID) or 0
    rows = search.rows(filters, limit=limit, offset=offset)
    return jsonify({"items": [entry_json(r) for r in rows], "total": search.count(filters)})
