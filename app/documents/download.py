"""The download answer of a document, the same for the pages and the API.

Always an attachment (never shown inside the application's origin, where an uploaded file could
act as a page of ours), with the type found at upload and ``nosniff`` so no browser guesses
another, not cached (``private, no-store``), and a sandboxing CSP should a browser render it
anyway. The name goes as an ASCII fallback and as RFC 6266 / RFC 5987 ``filename*`` (umlauts).
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import Response

from app.accesslog import services as accesslog
from app.accesslog.models import DOCUMENT, DOWNLOAD
from app.documents.models import Document
from app.documents.sniff import EXTENSIONS

_ATTR_CHARS = "!#$&+-.^_`|~"  # RFC 5987 attr-char besides letters and digits


def content_disposition(filename: str, content_type: str) -> str:
    """``attachment`` with an ASCII ``filename`` for old clients and the exact name as
    ``filename*`` (RFC 6266 / RFC 5987)."""
    extensions = EXTENSIONS.get(content_type, ("",))
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    fallback = "".join(c for c in fallback if c.isprintable() and c not in '"\\;').strip()
    suffix = next((e for e in extensions if e and fallback.lower().endswith(e)), "")
    stem = (fallback[: -len(suffix)] if suffix else fallback).strip(" .") or "dokument"  # no ASCII left
    fallback = stem + (fallback[-len(suffix):] if suffix else extensions[0])
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe=_ATTR_CHARS)}"


def log_download(user, document: Document) -> None:
    """The access log row of one download: the document, and the case (and its client) it
    belongs to; a volunteer's own document belongs to no case."""
    if document.instance is not None:
        accesslog.case_read(user, document.instance, action=DOWNLOAD, object_type=DOCUMENT, object_id=document.id)
    else:
        accesslog.record(user, DOWNLOAD, DOCUMENT, document.id)


def document_response(document: Document, content: bytes) -> Response:
    response = Response(content, mimetype=document.content_type)
    response.headers["Content-Disposition"] = content_disposition(document.filename, document.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
