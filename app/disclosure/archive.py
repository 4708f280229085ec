"""The ZIP of an export: ``auskunft.html``, ``auskunft.json`` and ``dokumente/<id>_<name>``.

Built with the standard library's ``zipfile`` into a ``SpooledTemporaryFile``: in memory up to
``SPOOL_BYTES``, on disk beyond (many documents of up to ``DOCUMENT_MAX_BYTES`` each). Every file
is read through ``app.documents.services.content_of``, which checks the SHA-256 taken at upload
like a download does; a missing or changed file is left out and the report says so.
"""

from __future__ import annotations

import json
import zipfile
from tempfile import SpooledTemporaryFile
from typing import IO

from flask import render_template

from app.disclosure import content
from app.documents import services as documents
from app.documents.models import Document
from app.engine.models import ProcessInstance

SPOOL_BYTES = 32 * 1024 * 1024
HTML_NAME, JSON_NAME, DOCUMENT_DIR = "auskunft.html", "auskunft.json", "dokumente"


def document_path(document: Document) -> str:
    """The document's place in the ZIP: its id keeps two files of the same name apart; the name
    is the cleaned display name (app/documents/services.clean_filename: no path, no control
    characters)."""
    return f"{DOCUMENT_DIR}/{document.id}_{document.filename}"


def build(report: dict, files: list[tuple[Document, ProcessInstance]]) -> IO[bytes]:
    """The ZIP as a file object positioned at its start (the caller sends and closes it).
    ``report["documents"]`` is filled here, with each file's place or the reason it is missing."""
    spool: IO[bytes] = SpooledTemporaryFile(max_size=SPOOL_BYTES)  # handed to the response, closed by it
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for document, instance in files:
            path, problem = None, None
            if document.deleted:
                problem = "deleted"
            else:
                try:
                    data = documents.content_of(document)
                except documents.FileChanged:
                    problem = "file_changed"
                else:
                    path = document_path(document)
                    archive.writestr(path, data)
            report["documents"].append(content.document_item(document, instance, path, problem))
        archive.writestr(JSON_NAME, json.dumps(report, ensure_ascii=False, indent=2, default=str))
        archive.writestr(HTML_NAME, render_template("disclosure/auskunft.html", report=report))
    spool.seek(0)
    return spool
