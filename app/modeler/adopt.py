"""The first file of a new process model: its process becomes the model's process.

A model created without versions (``POST /api/v1/process-models``, "Neuer Prozess") takes the
process of its first uploaded file whatever its id: the one executable process of the file is
renamed to the model key, with every reference to it (pool ``processRef``, diagram
``bpmnElement``). A file with several executable processes is left as it is; the validation then
names what it found.
"""

from __future__ import annotations

from lxml import etree

from app.modeler.xmlsafe import BPMN_NS, safe_parser

_REFERENCES = ("processRef", "bpmnElement")


def adopt_process_id(xml: str, key: str) -> str:
    """``xml`` with its single executable process renamed to ``key`` (unchanged when nothing to do)."""
    root = etree.fromstring(xml.encode("utf-8"), parser=safe_parser())
    processes = root.findall(f"{{{BPMN_NS}}}process")
    executable = [p for p in processes if (p.get("isExecutable") or "").lower() == "true"] or processes
    if len(executable) != 1:
        return xml
    old = executable[0].get("id")
    if not old or old == key or any(el.get("id") == key for el in root.iter() if isinstance(el.tag, str)):
        return xml  # already the model's, or the key names another element (the validation will say)
    executable[0].set("id", key)
    for el in root.iter():
        if isinstance(el.tag, str):
            for attr in _REFERENCES:
                if el.get(attr) == old:
                    el.set(attr, key)
    return etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True).decode("utf-8")
