"""API v1: ``GET /api/v1/search?q=`` — cases the caller may see, by reference, name or date of birth."""

from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import gettext as _

from app.accesslog import services as accesslog
from app.accesslog.models import CASE
from app.api import api_blueprint, describe, int_arg, validation_error
from app.api.auth import require_token
from app.api.openapi import errors, json_response, query, ref
from app.search import services

MAX_PER_PAGE = 100
SCHEMAS = {
    "SearchHit": {
        "type": "object", "required": ["id", "reference", "title", "process", "status"],
        "properties": {
            "id": {"type": "integer"},
            "reference": {"type": "string"},
            "title": {"type": "string",
                      "description": "Name (Familienname, MBE-Klient/in mit Einwilligung), leer oder "
                                     "„anonym“, wenn Sie die Person nicht sehen dürfen"},
            "process": {"type": "string"},
            "status": {"type": "string"},
        },
    },
    "SearchResult": {
        "type": "object", "required": ["items", "total"],
        "properties": {"items": {"type": "array", "items": ref("SearchHit")}, "total": {"type": "integer"},
                       "page": {"type": "integer"}, "per_page": {"type": "integer"}},
    },
}

bp = api_blueprint("search_api", __name__, SCHEMAS)


@bp.get("/search")
@describe("searchCases", "Fälle suchen (Aktenzeichen, Name, Geburtsdatum) – nur Fälle, die Sie sehen dürfen",
          tag="processes",
          responses={"200": json_response(ref("SearchResult"), "OK"), **errors("400", "401", "422")},
          parameters=[
              {**query("q", f"Suchbegriff (höchstens {services.MAX_QUERY} Zeichen); Datum als "
                            "12.03.1985 oder 1985-03-12", {"type": "string", "minLength": 1,
                                                          "maxLength": services.MAX_QUERY}),
               "required": True},
              query("page", "Seite (ab 1)", {"type": "integer", "minimum": 1, "default": 1}),
              query("per_page", "Einträge je Seite",
                    {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 25}),
          ])
@require_token
def search():
    text = (request.args.get("q") or "").strip()
    if not text:
        raise validation_error({"q": [_("Bitte einen Suchbegriff eingeben.")]})
    if len(text) > services.MAX_QUERY:
        raise validation_error({"q": [_("Der Suchbegriff darf höchstens %(max)d Zeichen lang sein.",
                                        max=services.MAX_QUERY)]})
    page = int_arg("page", 1)
    per_page = int_arg("per_page", 25, maximum=MAX_PER_PAGE)
    result = services.search(g.api_user, text, page, per_page)
    accesslog.list_read(g.api_user, CASE)
    return jsonify({
        "items": [{"id": hit.instance.id, "reference": hit.instance.reference, "title": hit.name,
                   "process": hit.instance.version.model.key, "status": hit.instance.status}
                  for hit in result.items],
        "total": result.total, "page": result.page, "per_page": per_page,
    })
