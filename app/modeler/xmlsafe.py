"""Reading uploaded BPMN safely, before any library sees it.

* size limit (``MODELER_MAX_BPMN_BYTES``) → ``TooLarge`` (HTTP 413);
* no DTD at all: a BPMN file never needs one, and DTDs carry entity expansion ("billion laughs")
  and external entities (XXE, e.g. ``file:///etc/passwd``). defusedxml refuses them, and the
  lxml parser runs with ``resolve_entities=False, no_network=True, load_dtd=False`` anyway;
* the root element must be BPMN 2.0 ``definitions`` → otherwise ``NotBpmn`` (HTTP 400).
"""

from __future__ import annotations

import re

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as DefusedET
from flask_babel import gettext as _
from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DEFAULT_MAX_BYTES = 2 * 1024 * 1024


class UnsafeXml(Exception):
    """The upload is refused; ``str()`` is a German message for the user (HTTP 400)."""

    status = 400


class NotBpmn(UnsafeXml):
    pass


class TooLarge(UnsafeXml):
    status = 413


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=False)


def check_size(length: int | None, limit: int) -> None:
    if length is not None and length > limit:
        raise TooLarge(_("Die Datei ist zu groß (höchstens %(kb)s KB).", kb=limit // 1024))


def read_bpmn(data: bytes | str, limit: int = DEFAULT_MAX_BYTES) -> tuple[bytes, etree._Element]:
    """Return the bytes and the lxml root of a safe BPMN document, or raise ``UnsafeXml``."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data or b"")
    check_size(len(raw), limit)
    if not raw.strip():
        raise NotBpmn(_("Die Datei ist leer."))
    head = raw[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in raw.lower():
        raise UnsafeXml(_("Die Datei enthält eine DTD oder Entitäten (<!DOCTYPE …>). BPMN-Dateien brauchen "
                          "das nicht; aus Sicherheitsgründen wird die Datei abgelehnt."))
    try:
        DefusedET.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise UnsafeXml(_("Die Datei enthält eine DTD oder Entitäten (<!DOCTYPE …>). BPMN-Dateien brauchen "
                          "das nicht; aus Sicherheitsgründen wird die Datei abgelehnt.")) from exc
    except Exception as exc:  # noqa: BLE001 - expat's ParseError and friends
        raise NotBpmn(_("Die Datei ist kein gültiges XML: %(detail)s", detail=_xml_detail(exc))) from exc
    try:
        root = etree.fromstring(raw, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        raise NotBpmn(_("Die Datei ist kein gültiges XML: %(detail)s", detail=_xml_detail(exc))) from exc
    if root.tag != f"{{{BPMN_NS}}}definitions":
        found = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        raise NotBpmn(_("Das ist keine BPMN-2.0-Datei: erwartet wird das Element „definitions“ im "
                        "BPMN-Namensraum (%(ns)s), gefunden wurde „%(found)s“.", ns=BPMN_NS, found=found))
    if root.find(f"{{{BPMN_NS}}}process") is None:
        raise NotBpmn(_("Die BPMN-Datei enthält keinen Prozess (bpmn:process)."))
    return raw, root


def _xml_reasons() -> list[tuple[str, str]]:
    """The XML parsers' (expat, libxml2) English reasons, in German."""
    return [
        (r"mismatched tag|Opening and ending tag mismatch",
         _("ein schließendes Tag passt nicht zum geöffneten Element")),
        (r"duplicate attribute|Attribute .* redefined", _("ein Attribut kommt in einem Element doppelt vor")),
        (r"no element found|Premature end|EndTag", _("die Datei endet, bevor alle Elemente geschlossen sind")),
        (r"junk after document element|Extra content", _("nach dem Ende des Dokuments folgt weiterer Text")),
        (r"unbound prefix|Namespace prefix .* not defined", _("ein Namensraum-Präfix ist nicht erklärt")),
        (r"undefined entity|Entity .* not defined", _("ein unbekanntes Zeichen-Kürzel (&…;) kommt vor")),
        (r"not well-formed|invalid token|Char 0x|PCDATA invalid", _("ein ungültiges Zeichen")),
        (r"encoding|Input is not proper UTF-8", _("die Zeichenkodierung stimmt nicht")),
        (r"syntax error|Start tag expected|Document is empty", _("das ist kein XML-Text")),
    ]


def _xml_detail(exc: Exception) -> str:
    """A German reason and position for a parser error (never the parser's English text)."""
    text = str(exc)
    reason = next((german for pattern, german in _xml_reasons() if re.search(pattern, text)),
                  _("die Datei ist nicht wohlgeformt"))
    position = getattr(exc, "position", None)
    line, column = position if isinstance(position, tuple) and len(position) == 2 else (
        getattr(exc, "lineno", None), None)
    if line and column is not None:
        return _("%(reason)s (Zeile %(line)s, Spalte %(column)s)", reason=reason, line=line, column=column + 1)
    if line:
        return _("%(reason)s (Zeile %(line)s)", reason=reason, line=line)
    return reason
