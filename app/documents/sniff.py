"""What an uploaded file is, decided by its content (magic bytes), never by its name or the
browser's Content-Type.

Why our own few lines and not python-magic: libmagic knows thousands of types and answers with a
best guess; we accept six and want a yes or no for each. The accepted types have unambiguous
signatures (PDF, PNG, JPEG), and the office formats are ZIP files whose members say what they are
(OOXML: ``[Content_Types].xml`` with ``word/`` or ``xl/``; ODF: the ``mimetype`` member).

Refused on purpose:
- programs and scripts (PE "MZ", ELF, Mach-O, Java classes and archives, ``#!``), with their own
  message, so a renamed ``.exe`` is named as what it is;
- office files with macros (``vbaProject.bin``, macro-enabled content types, ODF ``Basic/``);
- the legacy binary office formats (``.doc``/``.xls``, OLE compound files): they cannot be told
  apart from each other without parsing the compound file, often carry macros, and every office
  program saves the current formats or PDF.
Everything else (HTML, SVG, text, archives, ...) is not on the list and refused.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"

#: Accepted media types and the file name extensions that belong to each (first: the one added
#: to a name that has none of them).
EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",), PNG: (".png",), JPEG: (".jpg", ".jpeg"),
    DOCX: (".docx",), XLSX: (".xlsx",), ODT: (".odt",), ODS: (".ods",),
}
ALLOWED_TEXT = _l("Erlaubt sind PDF, Bilder (PNG, JPEG), Word (.docx), Excel (.xlsx) und "
                  "OpenDocument (.odt, .ods).")

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_SIGNATURE = b"PK\x03\x04"
_EXECUTABLE_SIGNATURES = (
    b"MZ",  # Windows / DOS programs and libraries (PE)
    b"\x7fELF",  # Linux programs
    b"#!",  # scripts
    b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",  # Mach-O
    b"\xca\xfe\xba\xbe",  # Mach-O universal binaries and Java classes
)
_MEMBER_READ_LIMIT = 256 * 1024  # of [Content_Types].xml / mimetype: never inflate more


class RefusedFile(ValueError):
    """The file is not accepted; ``str(exc)`` is the German reason for the person uploading."""


@dataclass(frozen=True)
class Sniffed:
    content_type: str

    @property
    def extensions(self) -> tuple[str, ...]:
        return EXTENSIONS[self.content_type]


def _refuse_type() -> RefusedFile:
    return RefusedFile(str(_l("Dieser Dateityp wird nicht angenommen.")) + f" {ALLOWED_TEXT}")


def _refuse_program() -> RefusedFile:
    return RefusedFile(str(_l("Die Datei ist ein Programm oder Skript und wird nicht angenommen, "
                              "gleich wie sie heißt.")) + f" {ALLOWED_TEXT}")


def _refuse_macros() -> RefusedFile:
    return RefusedFile(str(_l("Dokumente mit Makros werden nicht angenommen. Bitte ohne Makros "
                              "oder als PDF speichern.")))


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as member:
        return member.read(_MEMBER_READ_LIMIT)


def _sniff_zip(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        if "mimetype" in names:  # OpenDocument
            kind = _read_member(archive, "mimetype").strip().decode("ascii", "replace")
            if any(n.startswith(("Basic/", "Scripts/")) for n in names):
                raise _refuse_macros()
            if kind in (ODT, ODS):
                return kind
            raise _refuse_type()
        if "[Content_Types].xml" in names:  # Office Open XML
            types = _read_member(archive, "[Content_Types].xml").lower()
            if b"macroenabled" in types or any(n.lower().endswith("vbaproject.bin") for n in names):
                raise _refuse_macros()
            if "word/document.xml" in names:
                return DOCX
            if "xl/workbook.xml" in names:
                return XLSX
            raise _refuse_type()
        if "META-INF/MANIFEST.MF" in names or any(n.endswith((".class", ".dex")) for n in names):
            raise _refuse_program()  # Java archives, Android packages
    except RefusedFile:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, EOFError, NotImplementedError,
            RuntimeError, ValueError):  # broken, encrypted or unsupported archives
        raise _refuse_type() from None
    raise _refuse_type()


def sniff(data: bytes) -> Sniffed:
    """The accepted type of ``data`` (the whole file), or :class:`RefusedFile` with the reason."""
    if not data:
        raise RefusedFile(str(_l("Die Datei ist leer.")))
    if data.startswith(b"%PDF-"):
        return Sniffed(PDF)
    if data.startswith(_PNG_SIGNATURE):
        return Sniffed(PNG)
    if data.startswith(b"\xff\xd8\xff"):
        return Sniffed(JPEG)
    if data.startswith(_ZIP_SIGNATURE):
        return Sniffed(_sniff_zip(data))
    if data.startswith(_EXECUTABLE_SIGNATURES):
        raise _refuse_program()
    if data.startswith(_OLE_SIGNATURE):
        raise RefusedFile(str(_l("Ältere Office-Dateien (.doc, .xls) werden nicht angenommen. Bitte im "
                                 "aktuellen Format (.docx, .xlsx, .odt, .ods) oder als PDF speichern.")))
    raise _refuse_type()
