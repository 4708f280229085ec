"""The type of a file is decided by its content: accepted types, programs, macros, the rest."""

from __future__ import annotations

import pytest

from app.documents.services import clean_filename
from app.documents.sniff import PDF, PNG, RefusedFile, Sniffed, sniff
from tests.documents import samples


@pytest.mark.parametrize(("name", "data", "content_type"), samples.ALLOWED, ids=[a[0] for a in samples.ALLOWED])
def test_accepted_types_are_recognised_by_content(ctx, name, data, content_type):
    assert sniff(data).content_type == content_type


@pytest.mark.parametrize(("name", "data"), [*samples.PROGRAMS, ("app.jar", samples.jar())],
                         ids=["elf", "pe", "script", "jar"])
def test_programs_are_refused_whatever_their_name(ctx, name, data):
    with pytest.raises(RefusedFile, match="Programm oder Skript"):
        sniff(data)


@pytest.mark.parametrize(("data", "message"), [
    (samples.docm(), "Makros"),
    (samples.OLE, "Ältere Office-Dateien"),
    (samples.HTML, "Dateityp wird nicht angenommen"),
    (b"PK\x03\x04 not really a zip", "Dateityp wird nicht angenommen"),
    (b"", "leer"),
], ids=["macro-docx", "legacy-ole", "html", "broken-zip", "empty"])
def test_other_content_is_refused_with_a_reason(ctx, data, message):
    with pytest.raises(RefusedFile, match=message):
        sniff(data)


@pytest.mark.parametrize(("raw", "sniffed", "expected"), [
    ("Einwilligung Müller.pdf", PDF, "Einwilligung Müller.pdf"),
    ("C:\\Users\\x\\Scan.PDF", PDF, "Scan.PDF"),
    ("../../etc/passwd", PDF, "passwd.pdf"),
    ("rechnung.exe", PDF, "rechnung.exe.pdf"),
    ("..hidden", PNG, "hidden.png"),
    ("a\u202egnp.exe", PNG, "agnp.exe.png"),
    ('bad<>:"|?*\x00name.png', PNG, "bad_name.png"),
    ("", PDF, "Dokument.pdf"),
    ("x" * 300 + ".pdf", PDF, "x" * 196 + ".pdf"),
])
def test_display_names_are_cleaned(ctx, raw, sniffed, expected):
    assert clean_filename(raw, Sniffed(sniffed)) == expected


@pytest.mark.parametrize(("name", "fallback", "encoded"), [
    ("Einwilligung Müller.pdf", "Einwilligung Muller.pdf", "Einwilligung%20M%C3%BCller.pdf"),
    ("عقد.pdf", "dokument.pdf", "%D8%B9%D9%82%D8%AF.pdf"),
    ('a"b;c.pdf', "abc.pdf", "a%22b%3Bc.pdf"),
])
def test_downloads_name_the_file_for_old_and_new_clients(name, fallback, encoded):
    from app.documents.download import content_disposition

    assert content_disposition(name, PDF) == f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
