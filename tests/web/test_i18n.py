"""English translation: the catalogue is complete, compiles, is used and is up to date.

German is the source language (the msgids); app/translations/en/LC_MESSAGES/messages.po holds
the English texts. When a test here fails because of a new or changed German string, refresh
the catalogue and translate what is new:

    .venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-wrap --sort-by-file \
        --project Fallwerk -o app/translations/messages.pot .
    .venv/bin/pybabel update -i app/translations/messages.pot -d app/translations --no-wrap
    (translate every new msgstr, remove "#, fuzzy" after checking the guess)
    .venv/bin/pybabel compile -d app/translations
"""

from __future__ import annotations

import functools
import io
import os
import re
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "app" / "translations"
POT = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
BABEL_CFG = ROOT / "babel.cfg"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
HOW_TO_FIX = ("run `pybabel extract` and `pybabel update` (see the docstring of "
              "tests/web/test_i18n.py) and translate the new entries")

# Python %-placeholders: %(name)s, %(max)d, %(x).1f ... and the escaped %%.
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[sdifFeEgGxXoucr%]")


def _read(path: Path):
    with path.open("rb") as fileobj:
        return read_po(fileobj, locale="en" if path == PO else None)


def _entries(catalog) -> list:
    """The real messages (without the header entry)."""
    return [message for message in catalog if message.id]


def _ids(message) -> list[str]:
    return list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]


def _strings(message) -> list[str]:
    if isinstance(message.string, (list, tuple)):
        return list(message.string)
    return [message.string or ""]


def _placeholders(text: str) -> Counter:
    return Counter(p for p in PLACEHOLDER.findall(text) if p != "%%")


@functools.cache
def _fresh_msgids() -> frozenset[str]:
    """Extract the msgids from the sources right now, with the same config as the Makefile
    (once per test run: three tests compare the same extraction; about 2 s each)."""
    with BABEL_CFG.open(encoding="utf-8") as fileobj:
        method_map, options_map = parse_mapping_cfg(fileobj, filename=str(BABEL_CFG))
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        for msgid in message if isinstance(message, (list, tuple)) else [message]:
            if msgid:
                found.add(msgid)
    return frozenset(found)


# (a) every message is translated, placeholders survive ------------------------------------


def test_every_msgid_has_an_english_translation():
    entries = _entries(_read(PO))
    assert len(entries) > 50, "the English catalogue looks empty"
    untranslated = [m.id for m in entries if not all(s.strip() for s in _strings(m))]
    assert not untranslated, f"untranslated msgids in {PO.relative_to(ROOT)}: {untranslated}"


def test_no_fuzzy_entries():
    fuzzy = [m.id for m in _entries(_read(PO)) if m.fuzzy]
    assert not fuzzy, f"fuzzy entries (check the translation, then remove '#, fuzzy'): {fuzzy}"


def test_placeholders_of_msgid_and_msgstr_match():
    wrong = []
    for message in _entries(_read(PO)):
        expected = _placeholders(_ids(message)[0])
        for translation in _strings(message):
            if _placeholders(translation) != expected:
                wrong.append((message.id, translation))
    assert not wrong, f"placeholders differ between msgid and msgstr: {wrong}"


def test_placeholder_pattern_sees_named_and_typed_placeholders():
    found = _placeholders("Fall %(ref)s, höchstens %(max)d, 100 %%")
    assert found == Counter({"%(ref)s": 1, "%(max)d": 1})


# (b) the catalogue compiles --------------------------------------------------------------


def test_catalogue_passes_babels_checks_and_compiles():
    catalog = _read(PO)
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check()]
    assert not problems, problems
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    assert len(buffer.getvalue()) > 1000


# (c) the pages really switch language ----------------------------------------------------


@pytest.fixture
def compiled_catalogue():
    """Flask-Babel reads the git-ignored .mo (`make test` compiles it); build it if needed."""
    if not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime:
        buffer = io.BytesIO()
        write_mo(buffer, _read(PO))
        fd, tmp = tempfile.mkstemp(dir=MO.parent, prefix=".messages-", suffix=".mo")
        with os.fdopen(fd, "wb") as fileobj:
            fileobj.write(buffer.getvalue())
        os.chmod(tmp, 0o644)
        os.replace(tmp, MO)  # atomic: parallel test runs never see half a file
    return MO


def _html_lang(html: str) -> str:
    match = re.search(r'<html[^>]*\blang="([^"]+)"', html)
    assert match, "no <html lang=...>"
    return match.group(1)


def test_inbox_switches_to_english_and_back(compiled_catalogue, login_as):
    client = login_as("fb36")
    page = client.get("/aufgaben").get_data(as_text=True)
    assert _html_lang(page) == "de"
    assert "Meine Aufgaben" in page

    response = client.post("/sprache/en", data={"next": "/aufgaben"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/aufgaben")
    page = client.get("/aufgaben").get_data(as_text=True)
    assert _html_lang(page) == "en"
    assert "Tasks" in page
    assert "My tasks" in page
    assert "Meine Aufgaben" not in page
    assert "Aufgaben meiner Gruppe" not in page
    assert ">Deutsch<" in page  # the switch now offers German

    client.post("/sprache/de", data={"next": "/aufgaben"})
    page = client.get("/aufgaben").get_data(as_text=True)
    assert _html_lang(page) == "de"
    assert "Meine Aufgaben" in page
    assert "My tasks" not in page


def test_form_labels_and_query_parameter_are_english(compiled_catalogue, login_as):
    client = login_as("fb36")
    page = client.get("/faelle/neu?lang=en").get_data(as_text=True)
    assert _html_lang(page) == "en"
    assert "Procedure" in page  # lazy_gettext form label
    assert "Requesting team (case responsibility)" in page
    assert "Anfragendes Team" not in page
    # ?lang only affects that request
    assert _html_lang(client.get("/faelle/neu").get_data(as_text=True)) == "de"


def test_unknown_language_is_ignored(compiled_catalogue, login_as):
    client = login_as("fb36")
    client.post("/sprache/fr", data={"next": "/aufgaben"})
    page = client.get("/aufgaben").get_data(as_text=True)
    assert _html_lang(page) == "de"
    assert "Meine Aufgaben" in page


# (d) the catalogue is up to date with the sources ----------------------------------------


def test_extraction_finds_the_strings():
    fresh = _fresh_msgids()
    # a Python _l(), a gettext() in forms/ and a template _() -- so a broken babel.cfg fails here
    assert {"Bitte melden Sie sich an.", "Unbekanntes Feld.", "Meine Aufgaben"} <= fresh


def test_every_source_string_is_translated():
    translated = {msgid for m in _entries(_read(PO))
                  if all(s.strip() for s in _strings(m)) and not m.fuzzy
                  for msgid in _ids(m)}
    missing = sorted(_fresh_msgids() - translated)
    assert not missing, f"strings without English translation: {missing} -- {HOW_TO_FIX}"


def test_pot_is_up_to_date():
    in_pot = {msgid for m in _entries(_read(POT)) for msgid in _ids(m)}
    missing = sorted(_fresh_msgids() - in_pot)
    assert not missing, f"{POT.relative_to(ROOT)} lacks: {missing} -- {HOW_TO_FIX}"
