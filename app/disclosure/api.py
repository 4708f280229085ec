"""API v1: the Art. 15 export of an MBE client and of a case without a client record.

The same service as the page (app/disclosure/services.py): the same checks (404 for whom the
client or case is not visible, 403 for whom it is not theirs to export), the same ZIP, one access
log row per export.
"""

from __future__ import annotations

from flask import g

from app.api import api_blueprint, describe
from app.api.auth import require_token
from app.api.openapi import errors, path_id
from app.disclosure import services
from app.disclosure.routes import ZIP, zip_response

TAG = "data protection"
ZIP_ANSWER = {"description": "ZIP: auskunft.html (lesbare Zusammenfassung), auskunft.json (derselbe Inhalt "
                             "maschinenlesbar), dokumente/ (die Dateien, SHA-256 geprüft)",
              "headers": {"Content-Disposition": {"schema": {"type": "string"},
                                                  "description": "attachment; filename=auskunft-…zip"}},
              "content": {ZIP: {"schema": {"type": "string", "format": "binary"}}}}

bp = api_blueprint("disclosure_api", __name__)


@bp.get("/clients/<int:client_id>/export")
@describe("exportClient", "Auskunft nach Art. 15 DSGVO: alles über eine MBE-Klientin / einen MBE-Klienten als "
                          "ZIP (nur zuständige Beratung und Leitung)", tag=TAG,
          parameters=[path_id("id", "ID der Klientin / des Klienten")],
          responses={"200": ZIP_ANSWER, **errors("401", "403", "404")})
@require_token
def export_client(client_id: int):
    client = services.client_or_404(g.api_user, client_id)
    return zip_response(services.client_export(g.api_user, client))


@bp.get("/process-instances/<int:instance_id>/export")
@describe("exportCase", "Auskunft nach Art. 15 DSGVO für einen Fall ohne Klientendatensatz (z. B. "
                        "Alltagsbegleitung) als ZIP; für einen MBE-Fall mit Klient/in deren ganze Auskunft "
                        "(nur Fachkräfte und Leitung des fallverantwortlichen Teams)", tag=TAG,
          parameters=[path_id("id", "ID des Falls")],
          responses={"200": ZIP_ANSWER, **errors("401", "403", "404")})
@require_token
def export_case(instance_id: int):
    instance = services.case_or_404(g.api_user, instance_id)
    return zip_response(services.case_export(g.api_user, instance))
