"""Small real files of each accepted type, and programs dressed up as documents."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\n"
       b"endobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8 bit, RGB
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


JPEG = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        b"\xff\xdb\x00C\x00" + bytes(range(1, 65)) + b"\xff\xd9")


def _zip(members: dict[str, bytes], first: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        if first:
            archive.writestr(zipfile.ZipInfo(first), members.pop(first), compress_type=zipfile.ZIP_STORED)
        for name, data in members.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _ooxml(main: str, content_type: str, extra: dict[str, bytes] | None = None) -> bytes:
    types = (f'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             f'<Default Extension="xml" ContentType="application/xml"/>'
             f'<Override PartName="/{main}" ContentType="{content_type}"/></Types>').encode()
    return _zip({"[Content_Types].xml": types, "_rels/.rels": b"<Relationships/>", main: b"<document/>",
                 **(extra or {})})


def docx() -> bytes:
    return _ooxml("word/document.xml",
                  "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")


def xlsx() -> bytes:
    return _ooxml("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")


def docm() -> bytes:
    return _ooxml("word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml",
                  {"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"})


def _odf(kind: str) -> bytes:
    return _zip({"mimetype": kind.encode(), "META-INF/manifest.xml": b"<manifest/>", "content.xml": b"<content/>"},
                first="mimetype")


def odt() -> bytes:
    return _odf("application/vnd.oasis.opendocument.text")


def ods() -> bytes:
    return _odf("application/vnd.oasis.opendocument.spreadsheet")


def jar() -> bytes:
    return _zip({"META-INF/MANIFEST.MF": b"Main-Class: X\n", "X.class": b"\xca\xfe\xba\xbe"})


ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(56)
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(48) + b"PE\x00\x00"
SCRIPT = b"#!/bin/sh\necho hallo\n"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"

#: (file name, bytes, the type found in the content)
ALLOWED = [
    ("Einwilligung.pdf", PDF, "application/pdf"),
    ("Foto.png", png(), "image/png"),
    ("Scan.jpg", JPEG, "image/jpeg"),
    ("Vereinbarung.docx", docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("Liste.xlsx", xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("Brief.odt", odt(), "application/vnd.oasis.opendocument.text"),
    ("Tabelle.ods", ods(), "application/vnd.oasis.opendocument.spreadsheet"),
]
#: programs renamed as documents (name, bytes)
PROGRAMS = [("Bescheid.pdf", ELF), ("Foto.jpg", PE), ("Brief.docx", SCRIPT)]
