"""Pages of the Art. 15 export: the ZIP download for a client and for a case, and its button.

Thin: the service checks, builds and logs (app/disclosure/services.py). A GET download (like a
document's): nothing changes but the access log row, which is the point of the request.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import IO

from flask import Blueprint, Response
from flask_login import current_user

from app.cases.services import HEADER, CasePanel, case_panels
from app.disclosure import services
from app.web.access import login_required

bp = Blueprint("disclosure", __name__, template_folder="../templates")
ZIP = "application/zip"
CHUNK = 256 * 1024


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    """The ZIP in pieces; the spooled file is closed when sent (or when the answer is dropped)."""
    try:
        while chunk := file.read(CHUNK):
            yield chunk
    finally:
        file.close()


def zip_response(export: services.Export) -> Response:
    """The ZIP as an attachment: never cached, never sniffed."""
    size = export.file.seek(0, os.SEEK_END)
    export.file.seek(0)
    response = Response(_chunks(export.file), mimetype=ZIP)
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/mbe/klienten/<int:client_id>/auskunft")
@login_required
def client_export(client_id: int):
    client = services.client_or_404(current_user, client_id)
    return zip_response(services.client_export(current_user, client))


@bp.get("/faelle/<int:instance_id>/auskunft")
@login_required
def case_export(instance_id: int):
    instance = services.case_or_404(current_user, instance_id)
    return zip_response(services.case_export(current_user, instance))


@bp.app_context_processor
def inject_disclosure():
    """For the MBE client search: may the reader export this client (the button)?"""
    def art15_may_export(client) -> bool:
        return current_user.is_authenticated and services.may_export_client(current_user, client)

    return {"art15_may_export": art15_may_export}


@case_panels.connect
def _export_panel(instance, user=None, level=None, **_kw) -> CasePanel | None:
    """The case view's button, for those who may export the case (or its client)."""
    if user is None or level is None or not services.may_export_case(user, instance):
        return None
    client = services.case_client(instance)
    return CasePanel("disclosure/_case_panel.html", HEADER, 90, {"client_id": client.id if client else None})
