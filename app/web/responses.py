"""File responses: CSV and XLSX downloads written through ``app/exports.py``.

Every export view used to build its own ``Response`` (BOM or not, charset or not, quoting of the
file name). Here: CSV as UTF-8 with a BOM (German spreadsheet programs detect the encoding by
it), semicolons and CRLF; XLSX bytes with their media type; both as attachments.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from flask import Response

from app.exports import csv_writer

CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(content: str | bytes, mimetype: str, filename: str) -> Response:
    """``content`` as a download named ``filename``."""
    safe_name = filename.replace('"', "").replace("\r", "").replace("\n", "")
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{safe_name}"'})


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """The rows as CSV text (cells through the safe writer), with the BOM."""
    out = io.StringIO()
    csv_writer(out).writerows(rows)
    return "\ufeff" + out.getvalue()


def csv_response(rows: Iterable[Iterable[Any]] | str | bytes, filename: str) -> Response:
    """A CSV download: ``rows`` are written safely; ready text or bytes (from a writer of
    ``app/exports.py``) are sent as they are, the BOM added to text when missing."""
    if isinstance(rows, bytes):
        return attachment(rows, CSV_MIMETYPE, filename)
    if isinstance(rows, str):
        text = rows if rows.startswith("\ufeff") else "\ufeff" + rows
    else:
        text = csv_text(rows)
    return attachment(text, CSV_MIMETYPE, filename)


def xlsx_response(content: bytes, filename: str) -> Response:
    """An XLSX download (``content`` from a workbook written with ``app/exports.py``)."""
    return attachment(content, XLSX_MIMETYPE, filename)
