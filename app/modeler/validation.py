"""Checks a BPMN draft before it may be published; every problem at once, in German.

One run collects every problem of a file; nothing stops early. Each problem names its element
(id, and the German kind and name as ``label()`` writes them), says in a plain German sentence
what is wrong and gives a hint how to fix it. Raw XSD or engine text is never shown: known
messages are translated, anything else becomes a general German sentence with the element and
line.

Rules:

1. Safe XML that is BPMN 2.0 (``xmlsafe.read_bpmn``; refused uploads raise instead).
2. XSD schema validation incl. SpiffWorkflow's extensions: *every* schema error, with line,
   translated by its lxml error type (``schema_problems``).
3. The file contains the process with the model's key as id, with a start event; when it does
   not, the file's processes are checked all the same. Structure: flows between existing
   elements, an executable process, one outgoing flow per activity, subprocesses with one start
   and an end event, call activities to processes of the file, supported element kinds, plain
   tasks and service tasks (which Fallwerk would skip or cannot run), pools whose process never
   runs.
4. Every user task names a form (``formKey``) of ``form_registry()``; a ``lane`` property names a
   known lane rule; ``dueIn`` is an ISO 8601 duration; ``dueDate`` compiles. A form or
   responsibility from another tool (Camunda, Zeebe) is named in the hint.
5. Every lane's name is a known lane rule (``app.engine.lanes.LANE_RULES``).
6. Exclusive gateways with more than one outgoing flow: each flow has a condition or is the
   default flow. Without a default flow the conditions must cover every value of the deciding
   field. Best effort: this is proved only for conditions of the forms ``feld == "wert"``,
   ``feld in ("a", "b")``, ``feld`` / ``not feld`` on one field whose values are known from a
   form of the process (choices of a select/radio field, or a checkbox); anything else needs a
   default flow.
7. Conditions, loop conditions, scripts, pre/post scripts and ``dueDate`` compile in the sandbox
   (``app.engine.sandbox``); JUEL (``${...}``) and FEEL (``=...``) expressions of other tools
   get their own problem with a suggestion.
8. Timer expressions: a quoted literal must be a valid ISO 8601 duration/date/cycle; an unquoted
   ISO literal (``P14D``) is refused (it would fail at run time); anything else must compile.
9. No unreachable elements: every flow node is reachable from a start event (event
   subprocesses and boundary events of reachable activities count as reachable).
10. The SpiffWorkflow parser accepts the process. On a file that breaks the schema it runs
    without the schema check; if it still cannot read the file, one problem says so.
"""

from __future__ import annotations

import ast
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime

from flask import has_app_context
from flask_babel import gettext as _
from lxml import etree

from app.engine import lanes
from app.engine.sandbox import check_expression, check_script
from app.engine.specs import SpecError, bpmn_schema, is_iso_duration, is_iso_recurrence, parse_bpmn
from app.formbuilder import services as formbuilder
from app.modeler.xmlsafe import BPMN_NS, DEFAULT_MAX_BYTES, read_bpmn
from forms import FORMS

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
B = f"{{{BPMN_NS}}}"
S = f"{{{SPIFF_NS}}}"
C = f"{{{CAMUNDA_NS}}}"
Z = f"{{{ZEEBE_NS}}}"
FLOW_NODES = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
}
CONTAINERS = {"subProcess", "transaction", "adHocSubProcess"}
ACTIVITIES = {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
              "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess"}
UNSUPPORTED = {"complexGateway"}
ISO_LITERAL = re.compile(r"^R?\d*/?P[0-9YMWDTHS.,]+$|^\d{4}-\d{2}-\d{2}(T[0-9:.+\-Z]+)?$")
NCNAME = re.compile(r"^[A-Za-z_][\w.\-]*$")
TYPE_LABELS = {
    "userTask": "Benutzeraufgabe", "scriptTask": "Skriptaufgabe", "exclusiveGateway": "Exklusives Gateway",
    "sequenceFlow": "Fluss", "lane": "Bahn", "startEvent": "Startereignis", "endEvent": "Endereignis",
    "boundaryEvent": "Randereignis", "subProcess": "Teilprozess", "process": "Prozess",
    "task": "Aufgabe", "manualTask": "Manuelle Aufgabe", "serviceTask": "Serviceaufgabe",
    "sendTask": "Sendeaufgabe", "receiveTask": "Empfangsaufgabe", "businessRuleTask": "Entscheidungsaufgabe",
    "callActivity": "Aufrufaktivität", "transaction": "Transaktion", "adHocSubProcess": "Ad-hoc-Teilprozess",
    "parallelGateway": "Paralleles Gateway", "inclusiveGateway": "Inklusives Gateway",
    "eventBasedGateway": "Ereignisbasiertes Gateway", "complexGateway": "Komplexes Gateway",
    "intermediateCatchEvent": "Zwischenereignis (empfangend)",
    "intermediateThrowEvent": "Zwischenereignis (sendend)", "messageFlow": "Nachrichtenfluss",
    "participant": "Pool", "collaboration": "Zusammenarbeit", "laneSet": "Bahnen", "childLaneSet": "Unterbahnen",
    "dataObject": "Datenobjekt", "dataObjectReference": "Datenobjekt", "dataStoreReference": "Datenspeicher",
    "association": "Verbindung", "textAnnotation": "Textanmerkung", "definitions": "BPMN-Datei",
    "extensionElements": "Erweiterungen", "documentation": "Dokumentation", "conditionExpression": "Bedingung",
    "timerEventDefinition": "Zeitgeber", "messageEventDefinition": "Nachrichtenauslöser",
    "signalEventDefinition": "Signalauslöser", "errorEventDefinition": "Fehlerauslöser",
    "incoming": "Eingang", "outgoing": "Ausgang", "flowNodeRef": "Bahneintrag", "message": "Nachricht",
    "signal": "Signal", "error": "Fehlerdefinition", "script": "Skript", "text": "Text",
    "ioSpecification": "Ein-/Ausgabebeschreibung", "dataInput": "Dateneingang", "dataOutput": "Datenausgang",
    "inputSet": "Eingabemenge", "outputSet": "Ausgabemenge", "property": "Eigenschaft",
    "standardLoopCharacteristics": "Schleife", "multiInstanceLoopCharacteristics": "Mehrfachausführung",
    "loopCondition": "Schleifenbedingung", "completionCondition": "Abschlussbedingung",
    "BPMNDiagram": "Diagramm", "BPMNPlane": "Diagrammebene", "BPMNShape": "Diagrammform",
    "BPMNEdge": "Diagrammlinie", "group": "Gruppe", "category": "Kategorie",
}


@dataclass
class Problem:
    """One problem: the element (id or None for the whole file), a German sentence naming it,
    and a German hint how to fix it. ``code`` sorts problems internally (not in the API)."""

    element_id: str | None
    message: str
    hint: str = ""
    code: str = field(default="", compare=False, repr=False)

    def as_dict(self) -> dict:
        return {"element_id": self.element_id, "message": self.message, "hint": self.hint}


def local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def kind_label(kind: str) -> str:
    return TYPE_LABELS.get(kind) or _("Element „%(tag)s“", tag=kind)


def label(el) -> str:
    """„Benutzeraufgabe „Vermittlung“ (vermittlung)“ – how a problem names its element."""
    kind = kind_label(local(el))
    name = (el.get("name") or "").strip()
    ident = el.get("id")
    if not ident:
        owner = next((a for a in el.iterancestors() if isinstance(a.tag, str) and a.get("id")), None)
        if owner is not None and local(owner) != "definitions":
            return _("%(kind)s in %(owner)s", kind=kind, owner=label(owner))
        return kind
    return f"{kind} „{name}“ ({ident})" if name else f"{kind} {ident}"


def spiff_properties(el) -> dict[str, str]:
    props = {}
    for prop in el.findall(f"{B}extensionElements/{S}properties/{S}property"):
        if prop.get("name"):
            props[prop.get("name")] = prop.get("value") or ""
    return props


def form_registry() -> dict:
    """Every form key a user task may name: the code forms and the builder forms (newest version)."""
    if not has_app_context():  # no database: the code forms
        return FORMS
    return formbuilder.registry()


def _p(el, code: str, message: str, hint: str) -> Problem:
    return Problem(el.get("id") if el is not None else None, message, hint, code)


# --- entry point -------------------------------------------------------------------------------

def validate_bpmn(data: bytes | str, process_id: str, limit: int = DEFAULT_MAX_BYTES,
                  dmn: list[bytes] | None = None) -> list[Problem]:
    """All problems of ``data`` as the model ``process_id``; raises ``xmlsafe.UnsafeXml``."""
    raw, root = read_bpmn(data, limit)
    problems = schema_problems(root)
    processes = list(root.iter(f"{B}process"))
    target = next((p for p in processes if p.get("id") == process_id), None)
    if target is None:
        found = ", ".join(p.get("id") or "?" for p in processes)
        problems.append(Problem(None, _("Die Datei enthält keinen Prozess mit der ID „%(key)s“ (gefunden: %(found)s).",
                                        key=process_id, found=found or "–"),
                                _("Die ID des Prozesses (bzw. des Pools, den Fallwerk ausführen soll) in den "
                                  "Eigenschaften auf „%(key)s“ ändern.", key=process_id), "structure.process_id"))
        # check what the file has all the same: the owner sees every problem in one go
        checked = [p for p in processes if _has_flow_nodes(p)] or processes
    else:
        checked = [target]
        problems += other_process_problems(root, target)
    problems += reference_problems(root)
    for process in checked:
        problems += process_problems(process)
    schema_ok = not any(p.code.startswith("schema.") for p in problems)
    for process in checked[:3]:
        problems += engine_problems(raw, process.get("id") or "", dmn, root, schema_ok, problems)
    seen, unique = set(), []
    for problem in problems:
        key = (problem.element_id, problem.message)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique


def _has_flow_nodes(process) -> bool:
    return any(isinstance(el.tag, str) and local(el) in FLOW_NODES for el in process)


def _SCHEMA_PREFIX() -> str:  # noqa: N802 - a translated constant
    return _("Schemafehler")


# --- 2. XSD ---------------------------------------------------------------------------------

_SCHEMA_LOCK = threading.Lock()
MAX_SCHEMA_PROBLEMS = 100


def schema_problems(root) -> list[Problem]:
    validator = bpmn_schema()
    tree = root  # preprocess renames two message tags in place; the later checks do not read them
    with _SCHEMA_LOCK:
        validator.preprocess(tree)
        schema = validator.validator
        ok = schema.validate(tree)
        errors = [] if ok else [(e.type_name, e.message, e.line, e.path) for e in schema.error_log]
    problems = [schema_problem(root, *error) for error in errors[:MAX_SCHEMA_PROBLEMS]]
    if len(errors) > MAX_SCHEMA_PROBLEMS:
        problems.append(Problem(None, _("%(prefix)s: %(n)s weitere Stellen entsprechen nicht dem BPMN-Schema.",
                                        prefix=_SCHEMA_PREFIX(), n=len(errors) - MAX_SCHEMA_PROBLEMS),
                                _("Zuerst die oben genannten Stellen beheben und die Datei erneut prüfen."),
                                "schema.more"))
    return problems


def _element_at(root, path: str | None, line: int):
    """The element an XSD error is about: by its XPath, else the first element on its line."""
    if path:
        namespaces = {k: v for k, v in root.nsmap.items() if k}
        namespaces.setdefault("bpmn", BPMN_NS)
        try:
            found = root.getroottree().xpath(path, namespaces=namespaces)
        except (etree.XPathError, TypeError, ValueError):
            found = []
        if found and isinstance(found[0], etree._Element):
            return found[0]
    return next((el for el in root.iter() if isinstance(el.tag, str) and el.sourceline == line), None)


def _tag_names(text: str) -> str:
    names = [m.group(1) for m in re.finditer(r"(?:\{[^}]*\})?([A-Za-z_][\w.\-]*)(?=\s*[,)])", text)]
    names = list(dict.fromkeys(names))
    shown = ", ".join(kind_label(n) if n in TYPE_LABELS else f"„{n}“" for n in names[:6])
    return shown + (", …" if len(names) > 6 else "")


def schema_problem(root, type_name: str, message: str, line: int, path: str | None) -> Problem:
    el = _element_at(root, path, line)
    what = label(el) if el is not None else _("die Datei")
    head = _("%(prefix)s (Zeile %(line)s) bei %(el)s", prefix=_SCHEMA_PREFIX(), line=line, el=what)
    ident = el.get("id") if el is not None else None
    attr = re.search(r"attribute '([^']+)'", message)
    attribute = re.sub(r"\{[^}]*\}", "", attr.group(1)) if attr else ""
    expected = re.search(r"Expected is (?:one of )?\((.*)\)", message)
    general_hint = _("Die Stelle in der Datei berichtigen oder das Element im Fallwerk-Modeler neu zeichnen.")

    def problem(code: str, detail: str, hint: str) -> Problem:
        return Problem(ident, f"{head}: {detail}", hint, f"schema.{code}")

    if type_name == "SCHEMAV_ELEMENT_CONTENT" and "Missing child" in message:
        allowed = _tag_names(expected.group(1)) if expected else ""
        return problem("missing_child", _("ein vorgeschriebenes Unterelement fehlt (erwartet: %(allowed)s).",
                                          allowed=allowed or "–"),
                       _("Das fehlende Unterelement ergänzen oder das Element entfernen."))
    if type_name == "SCHEMAV_ELEMENT_CONTENT":
        allowed = _tag_names(expected.group(1)) if expected else ""
        detail = _("das Element ist an dieser Stelle nicht erlaubt.")
        if allowed:
            detail = _("das Element ist an dieser Stelle nicht erlaubt; erwartet wird hier: %(allowed)s.",
                       allowed=allowed)
        return problem("unexpected", detail,
                       _("Das Element entfernen oder an die richtige Stelle verschieben (der BPMN-Standard legt "
                         "fest, was wo und in welcher Reihenfolge stehen darf)."))
    if type_name == "SCHEMAV_CVC_COMPLEX_TYPE_3_2_2":
        return problem("attribute", _("das Attribut „%(attr)s“ ist hier nicht erlaubt.", attr=attribute),
                       _("Das Attribut entfernen. Angaben anderer Werkzeuge brauchen einen eigenen Namensraum "
                         "(z. B. „camunda:…“)."))
    if type_name == "SCHEMAV_CVC_COMPLEX_TYPE_4":
        missing = re.search(r"attribute '([^']+)' is required", message)
        name = re.sub(r"\{[^}]*\}", "", missing.group(1)) if missing else "?"
        hint = (_("Den Fluss löschen und neu zwischen zwei Elementen ziehen, sodass beide Enden verbunden sind.")
                if name in ("sourceRef", "targetRef") else _("Das Attribut „%(attr)s“ ergänzen.", attr=name))
        return problem("required", _("das vorgeschriebene Attribut „%(attr)s“ fehlt.", attr=name), hint)
    if type_name in ("SCHEMAV_CVC_DATATYPE_VALID_1_2_1", "SCHEMAV_CVC_ATTRIBUTE_3", "SCHEMAV_CVC_ELT_5_2_1"):
        found = re.search(r"'([^']*)' is not a valid value of the (?:atomic|union|list) type '([^']+)'", message)
        value, kind = (found.group(1), found.group(2)) if found else ("", "")
        where = _("im Attribut „%(attr)s“", attr=attribute) if attribute else _("im Inhalt")
        if kind == "xs:ID":
            if NCNAME.match(value):
                return problem("duplicate_id", _("die ID „%(value)s“ kommt in der Datei mehrfach vor.", value=value),
                               _("Jedem Element eine eigene ID geben (Eigenschaften → ID)."))
            return problem("bad_id", _("„%(value)s“ ist keine gültige ID.", value=value),
                           _("Eine ID muss mit einem Buchstaben oder „_“ beginnen und darf nur Buchstaben, Ziffern, "
                             "„_“, „-“ und „.“ enthalten, keine Leerzeichen."))
        if kind in ("xs:IDREF", "xs:IDREFS"):
            return problem("idref", _("„%(value)s“ %(where)s verweist auf keine vorhandene ID.", value=value,
                                      where=where),
                           _("Den Verweis auf ein vorhandenes Element richten oder entfernen."))
        if kind == "xs:QName":
            return problem("qname", _("„%(value)s“ %(where)s ist kein gültiger Verweis.", value=value, where=where),
                           _("Einen Verweis der Form „Name“ oder „präfix:Name“ eintragen, dessen Präfix in der "
                             "Datei erklärt ist."))
        if kind == "xs:boolean":
            return problem("boolean", _("„%(value)s“ %(where)s muss „true“ oder „false“ sein.", value=value,
                                        where=where),
                           _("„true“ (ja) oder „false“ (nein) eintragen."))
        if kind in ("xs:integer", "xs:int", "xs:nonNegativeInteger", "xs:positiveInteger", "xs:long"):
            return problem("integer", _("„%(value)s“ %(where)s muss eine ganze Zahl sein.", value=value, where=where),
                           _("Eine ganze Zahl in Ziffern eintragen (z. B. 3)."))
        return problem("value", _("„%(value)s“ %(where)s hat nicht die vorgeschriebene Form (%(kind)s).",
                                  value=value, where=where, kind=kind or "?"), general_hint)
    if type_name == "SCHEMAV_CVC_ENUMERATION_VALID":
        found = re.search(r"value '([^']*)' is not an element of the set \{(.*)\}", message)
        value, allowed = (found.group(1), found.group(2).replace("'", "")) if found else ("", "")
        return problem("enumeration", _("„%(value)s“ im Attribut „%(attr)s“ ist nicht erlaubt (erlaubt: %(allowed)s).",
                                        value=value, attr=attribute, allowed=allowed or "–"),
                       _("Einen der erlaubten Werte eintragen."))
    if type_name in ("SCHEMAV_CVC_COMPLEX_TYPE_2_3", "SCHEMAV_CVC_COMPLEX_TYPE_2_1"):
        return problem("text", _("das Element enthält Text, wo nur Unterelemente stehen dürfen."),
                       _("Den Text entfernen oder in eine Dokumentation verschieben."))
    if type_name.startswith("SCHEMAV_CVC_IDC"):
        return problem("reference", _("ein Verweis oder Schlüssel passt zu keinem Element der Datei."),
                       _("Den Verweis auf ein vorhandenes Element richten oder entfernen."))
    return problem("other", _("die Stelle entspricht nicht dem BPMN-Schema."), general_hint)


# --- 3. structure ------------------------------------------------------------------------------

def reference_problems(root) -> list[Problem]:
    """Flows whose ends point to no element (the engine would stop at the first)."""
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    problems = []
    for flow in [*root.iter(f"{B}sequenceFlow"), *root.iter(f"{B}messageFlow")]:
        for attr in ("sourceRef", "targetRef"):
            ref = (flow.get(attr) or "").strip()
            if ref and ref not in ids:
                problems.append(_p(flow, "structure.missing_ref",
                                   _("%(el)s: %(end)s „%(ref)s“ gibt es in der Datei nicht.", el=label(flow),
                                     end=_("den Anfang") if attr == "sourceRef" else _("das Ziel"), ref=ref),
                                   _("Den Fluss löschen und neu zwischen zwei vorhandenen Elementen ziehen.")))
    for definition in root.iter(*(f"{B}{k}EventDefinition" for k in ("message", "signal", "error", "escalation"))):
        kind = local(definition).removesuffix("EventDefinition")
        ref = (definition.get(f"{kind}Ref") or "").strip()
        event = definition.getparent()
        if ref and ref not in ids and event is not None:
            problems.append(_p(event, "event.reference",
                               _("%(el)s verweist auf „%(ref)s“, das es in der Datei nicht gibt.", el=label(event),
                                 ref=ref),
                               _("Im Ereignis eine vorhandene Nachricht (bzw. ein Signal oder einen Fehler) wählen "
                                 "oder den Verweis entfernen.")))
    return problems


def other_process_problems(root, target) -> list[Problem]:
    """Pools whose process has steps but never runs: Fallwerk runs only the model's process
    (and processes it calls)."""
    called = {el.get("calledElement") for el in target.iter(f"{B}callActivity")}
    pools = {p.get("processRef"): p for p in root.iter(f"{B}participant") if p.get("processRef")}
    problems = []
    for process in root.iter(f"{B}process"):
        ident = process.get("id")
        if process is target or ident in called or ident == target.get("id") or not _has_flow_nodes(process):
            continue
        pool = pools.get(ident)
        el = pool if pool is not None else process
        problems.append(_p(el, "structure.other_process",
                           _("%(el)s: dieser Ablauf wird nie ausgeführt; Fallwerk führt nur den Prozess „%(key)s“ aus.",
                             el=label(el), key=target.get("id")),
                           _("Die Schritte in den Prozess „%(key)s“ übernehmen oder den Pool leeren (als "
                             "zugeklappten Pool ohne Inhalt darstellen).", key=target.get("id"))))
    return problems


def structure_problems(el, kind: str) -> list[Problem]:
    problems = []
    scope = el.getparent()
    if kind in UNSUPPORTED:
        problems.append(_p(el, "structure.unsupported", _("%(el)s: diese Elementart führt Fallwerk nicht aus.",
                                                          el=label(el)),
                           _("Durch ein exklusives, inklusives oder paralleles Gateway ersetzen.")))
    if kind in ACTIVITIES:
        outgoing = [f for f in scope.findall(f"{B}sequenceFlow") if f.get("sourceRef") == el.get("id")]
        if len(outgoing) > 1:
            problems.append(_p(el, "structure.multiple_outgoing",
                               _("%(el)s hat %(n)s ausgehende Flüsse; nur ein Gateway darf den Ablauf verzweigen.",
                                 el=label(el), n=len(outgoing)),
                               _("Nach dem Schritt ein Gateway einfügen und die Flüsse von dort ausgehen lassen "
                                 "(gleichzeitig: paralleles Gateway; entweder–oder: exklusives Gateway).")))
    if kind == "task":
        problems.append(_p(el, "task.untyped",
                           _("%(el)s hat keinen Aufgabentyp; Fallwerk würde sie ohne Zutun überspringen.",
                             el=label(el)),
                           _("Über den Schraubenschlüssel in eine Benutzeraufgabe ändern und ein Formular wählen "
                             "(oder in eine Skriptaufgabe), oder die Aufgabe entfernen.")))
    elif kind == "serviceTask" and el.find(f"{B}extensionElements/{S}serviceTaskOperator") is None:
        problems.append(_p(el, "task.service",
                           _("%(el)s: Fallwerk ruft keine externen Dienste auf; diese Aufgabe kann nicht laufen.",
                             el=label(el)),
                           _("In eine Benutzeraufgabe (eine Person erledigt den Schritt) oder eine Skriptaufgabe "
                             "ändern.")))
    elif kind in CONTAINERS and kind != "adHocSubProcess" and el.get("triggeredByEvent") != "true":
        starts = el.findall(f"{B}startEvent")
        if len(starts) > 1:
            problems.append(_p(el, "structure.subprocess_start",
                               _("%(el)s hat %(n)s Startereignisse; ein Teilprozess braucht genau eines.",
                                 el=label(el), n=len(starts)),
                               _("Alle Startereignisse bis auf eines entfernen.")))
        if starts and el.find(f"{B}endEvent") is None:
            problems.append(_p(el, "structure.subprocess_end", _("%(el)s hat kein Endereignis.", el=label(el)),
                               _("Im Teilprozess ein Endereignis einfügen und den letzten Schritt damit verbinden.")))
    elif kind == "callActivity":
        called = (el.get("calledElement") or "").strip()
        root = el.getroottree().getroot()
        known = [p.get("id") for p in root.iter(f"{B}process")]
        if not called:
            problems.append(_p(el, "structure.call_target", _("%(el)s nennt keinen aufzurufenden Prozess.",
                                                              el=label(el)),
                               _("Den aufgerufenen Prozess eintragen (ein Prozess derselben Datei) oder die "
                                 "Aufrufaktivität durch einen Teilprozess ersetzen.")))
        elif called not in known:
            problems.append(_p(el, "structure.call_unknown",
                               _("%(el)s ruft den Prozess „%(called)s“ auf, den es in der Datei nicht gibt.",
                                 el=label(el), called=called),
                               _("Einen Prozess derselben Datei eintragen (vorhanden: %(known)s) oder die "
                                 "Aufrufaktivität durch einen Teilprozess ersetzen.", known=", ".join(known))))
    return problems


# --- 3.–9. the process ---------------------------------------------------------------------------

def process_problems(process) -> list[Problem]:
    problems: list[Problem] = []
    forms = form_registry()
    if process.get("isExecutable", "true") != "true":
        problems.append(_p(process, "structure.not_executable",
                           _("%(el)s ist als „nicht ausführbar“ gekennzeichnet.", el=label(process)),
                           _("In den Eigenschaften des Prozesses „ausführbar“ ankreuzen (isExecutable=\"true\").")))
    problems += lane_problems(process)
    problems += reachability_problems(process)
    used_forms = [forms[k] for k in (spiff_properties(t).get("formKey") for t in process.iter(f"{B}userTask"))
                  if k in forms]
    values = field_values(used_forms)
    lane_names = lanes.known_lanes(process.get("id"))  # shipped lanes and the model's own lane rules
    for el in process.iter():
        if not isinstance(el.tag, str) or not el.tag.startswith(B):
            continue
        kind = local(el)
        if kind in FLOW_NODES:
            problems += structure_problems(el, kind)
        if kind == "userTask":
            problems += user_task_problems(el, forms, lane_names)
        elif kind == "scriptTask":
            problems += script_task_problems(el)
        elif kind == "exclusiveGateway":
            problems += gateway_problems(el, process, values)
        elif kind == "sequenceFlow":
            condition = el.find(f"{B}conditionExpression")
            if condition is not None and (condition.text or "").strip():
                problems += expression_problems(el, condition.text, condition.get("language"))
        elif kind in ("loopCondition", "completionCondition"):
            if (el.text or "").strip():
                owner = el.getparent()
                owner = owner if local(owner) in FLOW_NODES else owner.getparent()
                problems += expression_problems(owner, el.text, el.get("language"))
        elif kind == "conditionalEventDefinition":
            event = el.getparent()
            text = el.findtext(f"{B}condition") or ""
            if not text.strip():
                problems.append(_p(event, "event.no_condition",
                                   _("%(el)s: das bedingte Ereignis hat keine Bedingung.", el=label(event)),
                                   _("Eine Bedingung eintragen oder das Ereignis durch ein anderes ersetzen.")))
            else:
                problems += expression_problems(event, text, None)
        elif kind == "timerEventDefinition":
            problems += timer_problems(el)
        if kind in FLOW_NODES:
            for tag in ("preScript", "postScript"):
                for script in el.findall(f"{B}extensionElements/{S}{tag}"):
                    if (script.text or "").strip() and (error := check_script(script.text)) is not None:
                        problems.append(_p(el, "script.sandbox", f"{label(el)}: {german_sandbox(error)}",
                                           _script_hint()))
    if process.find(f"{B}startEvent") is None:
        problems.insert(0, _p(process, "structure.no_start", _("%(el)s hat kein Startereignis.", el=label(process)),
                              _("Ein Startereignis einfügen und mit dem ersten Schritt verbinden.")))
    return problems


def _script_hint() -> str:
    return _("Skripte sind Python im Sandkasten: keine Importe, keine Namen mit „_“ am Anfang.")


def _expression_hint() -> str:
    return _("Bedingungen sind in Fallwerk Python-Ausdrücke über die Falldaten, z. B. ergebnis == \"fortfuehren\". "
             "Am einfachsten mit dem geführten Bedingungseditor festlegen (Eigenschaft „Bedingung“).")


def script_task_problems(el) -> list[Problem]:
    script = el.findtext(f"{B}script") or ""
    language = (el.get("scriptFormat") or "").strip()
    if language and language.lower() not in ("python", "python3", "text/x-python", "py"):
        return [_p(el, "script.language",
                   _("%(el)s: das Skript ist in der Sprache „%(language)s“ geschrieben; Fallwerk führt nur Python aus.",
                     el=label(el), language=language),
                   _("Das Skript in Python neu schreiben (Sandkasten: keine Importe, keine Namen mit „_“ am Anfang) "
                     "oder den Schritt als Benutzeraufgabe gestalten."))]
    if not script.strip():
        return [_p(el, "script.empty", _("%(el)s: das Skript ist leer.", el=label(el)),
                   _("Das Skript eintragen (Python) oder die Skriptaufgabe entfernen."))]
    if (error := check_script(script)) is not None:
        return [_p(el, "script.sandbox", f"{label(el)}: {german_sandbox(error)}", _script_hint())]
    return []


# --- foreign expression languages and sandbox messages -----------------------------------------

def foreign_expression(text: str, language: str | None = None) -> tuple[str, str] | None:
    """(name of the language, Python suggestion or "") for a JUEL/FEEL/other expression."""
    body = text.strip()
    lang = (language or "").strip().lower()
    juel = re.fullmatch(r"[$#]\{(.*)\}", body, re.S)
    if juel or lang == "juel":
        inner = juel.group(1).strip() if juel else body
        python = re.sub(r"&&", " and ", inner)
        python = re.sub(r"\|\|", " or ", python)
        python = re.sub(r"!(?!=)", " not ", python)
        python = re.sub(r"\beq\b", "==", re.sub(r"\bne\b", "!=", python))
        return "JUEL (Camunda 7)", _suggest(python)
    if (body.startswith("=") and not body.startswith("==")) or lang == "feel":
        inner = body[1:].strip() if body.startswith("=") else body
        python = re.sub(r"(?<![<>!=])=(?!=)", "==", inner)
        python = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", python))
        return "FEEL (Camunda 8)", _suggest(python)
    if lang and lang not in ("python", "python3", "text/x-python"):
        return language or lang, ""
    return None


def _suggest(python: str) -> str:
    python = re.sub(r"\s+", " ", python).strip()
    python = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", python))
    return python if python and check_expression(python) is None else ""


def expression_problems(el, text: str, language: str | None) -> list[Problem]:
    foreign = foreign_expression(text, language)
    if foreign is not None:
        name, suggestion = foreign
        hint = _expression_hint()
        if suggestion:
            hint += " " + _("Vorschlag: %(python)s", python=suggestion)
        return [_p(el, "expression.foreign",
                   _("%(el)s: „%(text)s“ ist ein Ausdruck in %(language)s; Fallwerk versteht nur Python-Ausdrücke.",
                     el=label(el), text=_short(text), language=name), hint)]
    if (error := check_expression(text)) is not None:
        return [_p(el, "expression.sandbox", f"{label(el)}: {german_sandbox(error)}", _expression_hint())]
    return []


def _short(text: str, limit: int = 80) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit] + "…"


SYNTAX_DETAILS = [
    (r"Maybe you meant '==' or ':=' instead of '='", "Zum Vergleichen „==“ schreiben, nicht „=“"),
    (r"^invalid syntax", "die Schreibweise ist ungültig"),
    (r"^'(.)' was never closed", "die Klammer „{0}“ wird nicht geschlossen"),
    (r"^unmatched '(.)'", "die Klammer „{0}“ wird nie geöffnet"),
    (r"^closing parenthesis '(.)' does not match", "die Klammer „{0}“ passt nicht zur geöffneten"),
    (r"unterminated (?:triple-quoted )?string literal", "eine Zeichenkette endet nicht mit einem Anführungszeichen"),
    (r"^expected ':'", "ein Doppelpunkt fehlt"),
    (r"^invalid (?:decimal|hexadecimal|octal|binary) literal", "eine Zahl ist falsch geschrieben"),
    (r"indent", "die Einrückung stimmt nicht"),
    (r"^cannot assign to|^invalid syntax\. Maybe", "hier kann nichts zugewiesen werden"),
    (r"^invalid character|^invalid non-printable character", "die Zeile enthält ein ungültiges Zeichen"),
    (r"^unexpected EOF|^unexpected end", "der Ausdruck endet zu früh"),
    (r"source code string cannot contain null bytes", "der Text enthält ein Nullzeichen"),
]


def german_sandbox(error: str) -> str:
    """The sandbox's message with Python's English syntax detail put in German."""
    match = re.match(r"^(Syntaxfehler im [^:]+): (.*)$", error, re.S)
    if not match:
        return error
    head, detail = match.groups()
    for pattern, german in SYNTAX_DETAILS:
        found = re.search(pattern, detail)
        if found:
            return f"{head}: {german.format(*found.groups())}"
    return f"{head}: {_('die Schreibweise ist ungültig')}"


# --- 4. user tasks, 5. lanes ----------------------------------------------------------------------

def foreign_form(task) -> str:
    """The form another tool's export names for ``task`` (Camunda 7 / Zeebe), or ""."""
    key = task.get(f"{C}formKey") or task.get(f"{C}formRef") or ""
    zeebe = task.find(f"{B}extensionElements/{Z}formDefinition")
    if zeebe is not None:
        key = zeebe.get("formKey") or zeebe.get("formId") or zeebe.get("externalReference") or key
    return key


def foreign_assignment(task) -> str:
    values = [task.get(f"{C}{a}") for a in ("candidateGroups", "candidateUsers", "assignee")]
    zeebe = task.find(f"{B}extensionElements/{Z}assignmentDefinition")
    if zeebe is not None:
        values += [zeebe.get(a) for a in ("candidateGroups", "candidateUsers", "assignee")]
    for performer in task.findall(f"{B}potentialOwner") + task.findall(f"{B}humanPerformer"):
        values.append(performer.get("name") or (performer.findtext(f".//{B}formalExpression") or "").strip())
    return ", ".join(v for v in values if v)


def _in_lane(task) -> bool:
    ident = task.get("id")
    return any((ref.text or "").strip() == ident for ref in task.getroottree().getroot().iter(f"{B}flowNodeRef"))


def user_task_problems(task, forms, lane_names: list[str] | None = None) -> list[Problem]:
    problems = []
    props = spiff_properties(task)
    key = props.get("formKey", "").strip()
    choose = _("Im Eigenschaftenfeld „Formular“ ein Fallwerk-Formular wählen (oder im Formular-Baukasten eines "
               "anlegen).")
    if not key:
        other = foreign_form(task)
        hint = choose
        if other:
            hint = _("Die Datei nennt das Formular „%(other)s“ eines anderen Werkzeugs; Fallwerk kennt es nicht. "
                     "%(choose)s", other=other, choose=choose)
        problems.append(_p(task, "form.missing", _("%(el)s: kein Formular gewählt.", el=label(task)), hint))
    elif key not in forms:
        problems.append(_p(task, "form.unknown", _("%(el)s: das Formular „%(key)s“ gibt es nicht.",
                                                   el=label(task), key=key), choose))
    lane = props.get("lane", "").strip()
    lane_names = list(lanes.LANE_RULES) if lane_names is None else lane_names
    known = ", ".join(lane_names)
    if lane and lane not in lane_names:
        problems.append(_p(task, "lane.property", _("%(el)s: die Zuständigkeit „%(lane)s“ ist keine bekannte Bahn "
                                                    "(bekannt: %(known)s).", el=label(task), lane=lane, known=known),
                           _("Im Eigenschaftenfeld „Zuständig (Bahn/Rolle)“ eine bekannte Rolle wählen oder das Feld "
                             "leeren.")))
    elif not lane and not _in_lane(task) and (assigned := foreign_assignment(task)):
        problems.append(_p(task, "lane.foreign",
                           _("%(el)s: die Zuständigkeit „%(who)s“ aus einem anderen Werkzeug wertet Fallwerk nicht "
                             "aus; die Aufgabe liegt in keiner Bahn.", el=label(task), who=assigned),
                           _("Die Aufgabe in eine Bahn legen oder im Eigenschaftenfeld „Zuständig (Bahn/Rolle)“ eine "
                             "Rolle wählen (bekannt: %(known)s).", known=known)))
    due_in = props.get("dueIn", "").strip()
    if due_in and not _iso_duration_ok(due_in):
        problems.append(_p(task, "timer.due_in", _("%(el)s: die Frist „%(value)s“ ist keine ISO-8601-Dauer "
                                                   "(z. B. P14D oder PT4H).", el=label(task), value=due_in),
                           _("Die Frist mit der Dauerauswahl festlegen (Zahl und Einheit, z. B. 14 Tage).")))
    due_date = props.get("dueDate", "").strip()
    if due_date:
        problems += expression_problems(task, due_date, None)
    return problems


def lane_problems(process) -> list[Problem]:
    problems = []
    lane_names = lanes.known_lanes(process.get("id"))  # shipped lane names and the model's own lane rules
    known = ", ".join(lane_names)
    for lane in process.iter(f"{B}lane"):
        name = (lane.get("name") or "").strip()
        if lane.find(f"{B}childLaneSet") is not None:
            continue  # a lane divided into sub-lanes: the inner lanes decide
        if not name:
            problems.append(_p(lane, "lane.unnamed", _("%(el)s hat keinen Namen; der Name bestimmt die "
                                                       "Zuständigkeit.", el=label(lane)),
                               _("Im Eigenschaftenfeld „Rolle der Bahn“ eine Rolle wählen (bekannt: %(known)s).",
                                 known=known)))
        elif name not in lane_names:
            problems.append(_p(lane, "lane.unknown", _("%(el)s: der Name ist keiner bekannten Rolle zugeordnet "
                                                       "(bekannt: %(known)s).", el=label(lane), known=known),
                               _("Im Eigenschaftenfeld „Rolle der Bahn“ eine der bekannten Rollen wählen; der Name "
                                 "der Bahn bestimmt, wer ihre Aufgaben bekommt. Eigene Bahnen bekommen ihre "
                                 "Regel in den Einstellungen des Prozessmodells.")))
    return problems


def _iso_duration_ok(value: str) -> bool:
    return is_iso_duration(value)


def _timer_hint() -> str:
    return _("Die Frist mit der Dauerauswahl festlegen (Zahl und Einheit) oder einen Ausdruck in Python schreiben, "
             "z. B. \"P14D\" in Anführungszeichen.")


def timer_problems(definition) -> list[Problem]:
    event = definition.getparent()
    parts = [(local(c), (c.text or "").strip(), c.get("language")) for c in definition
             if isinstance(c.tag, str) and local(c) in ("timeDuration", "timeDate", "timeCycle")]
    if not parts or not parts[0][1]:
        return [_p(event, "timer.empty", _("%(el)s: der Zeitgeber hat keinen Zeitausdruck.", el=label(event)),
                   _timer_hint())]
    kind, text, language = parts[0]
    if ISO_LITERAL.match(text):
        return [_p(event, "timer.unquoted", _("%(el)s: der Zeitausdruck %(value)s muss in Anführungszeichen stehen: "
                                              "\"%(value)s\".", el=label(event), value=text), _timer_hint())]
    foreign = foreign_expression(text, language)
    if foreign is not None:
        return [_p(event, "timer.foreign",
                   _("%(el)s: der Zeitausdruck „%(text)s“ ist ein Ausdruck in %(language)s; Fallwerk versteht nur "
                     "Python-Ausdrücke.", el=label(event), text=_short(text), language=foreign[0]), _timer_hint())]
    error = check_expression(text)
    if error is not None:
        return [_p(event, "timer.sandbox", f"{label(event)}: {german_sandbox(error)}", _timer_hint())]
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return []
    if isinstance(node, ast.Constant):
        value = node.value
        ok = isinstance(value, str)
        try:
            if isinstance(value, str) and kind == "timeDuration":
                ok = _iso_duration_ok(value)
            elif isinstance(value, str) and kind == "timeDate":
                datetime.fromisoformat(value)
            elif isinstance(value, str):
                ok = is_iso_recurrence(value)
        except Exception:  # noqa: BLE001
            ok = False
        if not ok:
            what = {"timeDuration": _("eine ISO-8601-Dauer (z. B. \"P14D\")"),
                    "timeDate": _("ein ISO-8601-Zeitpunkt (z. B. \"2027-01-31T08:00:00+01:00\")"),
                    "timeCycle": _("eine ISO-8601-Wiederholung (z. B. \"R3/PT1H\")")}[kind]
            return [_p(event, "timer.invalid", _("%(el)s: %(value)s ist nicht %(what)s.",
                                                 el=label(event), value=text, what=what), _timer_hint())]
    return []


# --- 6. gateways ---------------------------------------------------------------------------

def field_values(form_classes) -> dict[str, set]:
    """Deciding fields and their possible values, from the forms' choices and checkboxes."""
    from wtforms.fields import BooleanField, RadioField, SelectField

    from forms.base import _unbound_fields

    values: dict[str, set] = {}
    for form_cls in form_classes:
        for name, unbound in _unbound_fields(form_cls):
            cls = unbound.field_class
            if issubclass(cls, BooleanField):
                values.setdefault(name, set()).update({True, False})
            elif issubclass(cls, (SelectField, RadioField)):
                choices = unbound.kwargs.get("choices")
                if isinstance(choices, (list, tuple)) and choices:
                    for choice in choices:
                        value = choice[0] if isinstance(choice, (list, tuple)) else getattr(choice, "value", choice)
                        values.setdefault(name, set()).add(value)
    return values


def _covered(expression: str) -> tuple[str, set] | None:
    """(field, values) for which a simple condition is true, or None if not that simple."""
    try:
        node = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.Name):
        return node.id, {True}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) and isinstance(node.operand, ast.Name):
        return node.operand.id, {False}
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, op, right = node.left, node.ops[0], node.comparators[0]
        if isinstance(right, ast.Name) and isinstance(left, ast.Constant):
            left, right = right, left
        if not isinstance(left, ast.Name):
            return None
        if isinstance(op, (ast.Eq, ast.Is)) and isinstance(right, ast.Constant):
            return left.id, {right.value}
        if isinstance(op, ast.In) and isinstance(right, (ast.Tuple, ast.List, ast.Set)) \
                and all(isinstance(e, ast.Constant) for e in right.elts):
            return left.id, {e.value for e in right.elts if isinstance(e, ast.Constant)}
    return None


def gateway_problems(gateway, process, values: dict[str, set]) -> list[Problem]:
    gid = gateway.get("id")
    scope = gateway.getparent()
    outgoing = [f for f in scope.findall(f"{B}sequenceFlow") if f.get("sourceRef") == gid]
    if len(outgoing) <= 1:
        return []
    default = gateway.get("default")
    problems = []
    conditions = []
    for flow in outgoing:
        text = (flow.findtext(f"{B}conditionExpression") or "").strip()
        if flow.get("id") == default:
            continue
        if not text:
            problems.append(_p(flow, "gateway.no_condition",
                               _("%(el)s verlässt %(gw)s ohne Bedingung und ist nicht der Standardfluss.",
                                 el=label(flow), gw=label(gateway)),
                               _("Eine Bedingung festlegen (geführter Bedingungseditor) oder den Fluss am Gateway "
                                 "als Standardfluss markieren.")))
        else:
            conditions.append(text)
    if default or problems:
        return problems
    analysed = [_covered(text) for text in conditions]
    fields = {a[0] for a in analysed if a is not None}
    if any(a is None for a in analysed) or len(fields) != 1:
        return [_p(gateway, "gateway.coverage",
                   _("%(gw)s hat keinen Standardfluss, und es lässt sich nicht prüfen, ob die Bedingungen "
                     "jeden Fall abdecken.", gw=label(gateway)), _default_hint())]
    field = fields.pop()
    known = values.get(field)
    if not known:
        return [_p(gateway, "gateway.coverage",
                   _("%(gw)s hat keinen Standardfluss, und die möglichen Werte von „%(field)s“ sind aus "
                     "keinem Formular bekannt.", gw=label(gateway), field=field), _default_hint())]
    covered = set().union(*(a[1] for a in analysed if a is not None))
    missing = sorted((v for v in known if v not in covered), key=str)
    if missing:
        shown = ", ".join(f"„{v}“" if isinstance(v, str) else str(v) for v in missing)
        return [_p(gateway, "gateway.coverage",
                   _("%(gw)s hat keinen Standardfluss, und für %(field)s = %(missing)s trifft keine "
                     "Bedingung zu.", gw=label(gateway), field=field, missing=shown),
                   _("Einen Fluss für diesen Wert anlegen oder einen Fluss als Standardfluss markieren."))]
    return []



def _default_hint() -> str:
    return _("Einen ausgehenden Fluss als Standardfluss markieren (er gilt, wenn keine Bedingung zutrifft).")


# --- 9. reachability -------------------------------------------------------------------------

def reachability_problems(scope) -> list[Problem]:
    nodes = {el.get("id"): el for el in scope if isinstance(el.tag, str) and local(el) in FLOW_NODES}
    flows: dict[str, list[str]] = {}
    for flow in scope.findall(f"{B}sequenceFlow"):
        flows.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
    boundaries: dict[str, list[str]] = {}
    roots = []
    for ident, el in nodes.items():
        kind = local(el)
        if kind == "boundaryEvent":
            boundaries.setdefault(el.get("attachedToRef"), []).append(ident)
        elif kind == "startEvent" or (kind in CONTAINERS and el.get("triggeredByEvent") == "true"):
            roots.append(ident)
        elif kind == "intermediateCatchEvent" and el.find(f"{B}linkEventDefinition") is not None:
            roots.append(ident)
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        ident = stack.pop()
        if ident in seen or ident not in nodes:
            continue
        seen.add(ident)
        stack.extend(flows.get(ident, []))
        stack.extend(boundaries.get(ident, []))
    problems = []
    for ident, el in nodes.items():
        if ident not in seen:
            if roots:  # without any start event the process-level problem says it all
                problems.append(_p(el, "structure.unreachable",
                                   _("%(el)s ist von keinem Startereignis aus erreichbar.", el=label(el)),
                                   _("Einen Fluss von einem vorangehenden Schritt zu diesem Element ziehen oder das "
                                     "Element entfernen.")))
        elif local(el) in CONTAINERS:
            if el.find(f"{B}startEvent") is None:
                problems.append(_p(el, "structure.no_start", _("%(el)s hat kein Startereignis.", el=label(el)),
                                   _("Im Teilprozess ein Startereignis einfügen und mit dem ersten Schritt "
                                     "verbinden.")))
            else:
                problems += reachability_problems(el)
    return problems


# --- 10. the engine's parser -------------------------------------------------------------------

def _engine_messages() -> list[tuple[str, str, str, str]]:
    """(pattern of the engine's English text, code, German sentence, hint); ``%(el)s`` is the element."""
    return [
        (r"There is no support implemented for this task type", "structure.unsupported",
         _("%(el)s: diese Elementart führt Fallwerk nicht aus."),
         _("Durch eine unterstützte Elementart ersetzen (Benutzeraufgabe, Skriptaufgabe, exklusives oder paralleles "
           "Gateway).")),
        (r"is not executable", "structure.not_executable", _("%(el)s ist als „nicht ausführbar“ gekennzeichnet."),
         _("In den Eigenschaften des Prozesses „ausführbar“ ankreuzen (isExecutable=\"true\").")),
        (r"No start event found", "structure.no_start", _("%(el)s hat kein Startereignis."),
         _("Ein Startereignis einfügen und mit dem ersten Schritt verbinden.")),
        (r"Multiple outgoing flows are not supported", "structure.multiple_outgoing",
         _("%(el)s hat mehrere ausgehende Flüsse; nur ein Gateway darf den Ablauf verzweigen."),
         _("Nach dem Schritt ein Gateway einfügen und die Flüsse von dort ausgehen lassen.")),
        (r"When looking for a task spec", "structure.missing_ref",
         _("%(el)s: ein ausgehender Fluss führt zu einem Element, das es nicht gibt."),
         _("Den Fluss löschen und neu zwischen zwei vorhandenen Elementen ziehen.")),
        (r"Non-default exclusive outgoing sequence flow without condition", "gateway.no_condition",
         _("%(el)s verlässt ein Gateway ohne Bedingung und ist nicht der Standardfluss."),
         _("Eine Bedingung festlegen oder den Fluss als Standardfluss markieren.")),
        (r"Exactly one start event is required", "structure.subprocess_start",
         _("%(el)s braucht genau ein Startereignis."), _("Genau ein Startereignis in den Teilprozess legen.")),
        (r"Must contain an End event", "structure.subprocess_end", _("%(el)s hat kein Endereignis."),
         _("Im Teilprozess ein Endereignis einfügen und den letzten Schritt damit verbinden.")),
        (r'No "calledElement" attribute', "structure.call_target", _("%(el)s nennt keinen aufzurufenden Prozess."),
         _("Den aufgerufenen Prozess eintragen oder die Aufrufaktivität durch einen Teilprozess ersetzen.")),
        (r"The process '.*' was not found", "structure.call_unknown",
         _("%(el)s ruft einen Prozess auf, den es in der Datei nicht gibt."),
         _("Einen Prozess derselben Datei eintragen oder die Aufrufaktivität durch einen Teilprozess ersetzen.")),
        (r"Duplicate process ID", "schema.duplicate_id", _("%(el)s: diese Prozess-ID kommt mehrfach vor."),
         _("Jedem Prozess eine eigene ID geben.")),
        (r"Conditional event definition with missing condition", "event.no_condition",
         _("%(el)s: das bedingte Ereignis hat keine Bedingung."), _("Eine Bedingung eintragen.")),
        (r"Unknown Time Specification", "timer.empty", _("%(el)s: der Zeitgeber hat keinen gültigen Zeitausdruck."),
         _timer_hint()),
        (r"Time Specification Error", "timer.invalid", _("%(el)s: der Zeitausdruck ist ungültig."), _timer_hint()),
        (r"Cannot resolve data(?:Input|Output)Association", "data.association",
         _("%(el)s: eine Datenverbindung verweist auf ein Datenobjekt, das es nicht gibt."),
         _("Die Datenverbindung löschen oder mit einem vorhandenen Datenobjekt verbinden.")),
        (r"Invalid Script Task", "script.empty", _("%(el)s: das Skript fehlt."),
         _("Das Skript eintragen (Python) oder die Skriptaufgabe entfernen.")),
        (r"loopMaximum or loopCondition", "loop.missing",
         _("%(el)s wird wiederholt, aber weder eine Höchstzahl noch eine Schleifenbedingung ist angegeben."),
         _("Eine Schleifenbedingung oder eine Höchstzahl an Durchläufen eintragen, oder die Wiederholung entfernen.")),
        (r"multiinstance task must specify", "loop.multi",
         _("%(el)s wird mehrfach ausgeführt, aber es ist nicht klar festgelegt, wie oft oder für welche Liste."),
         _("Entweder eine Anzahl oder eine Liste der Falldaten angeben (genau eines von beiden).")),
        (r"loop (?:input|output) data reference is missing", "loop.reference",
         _("%(el)s: die Liste für die Mehrfachausführung ist nicht beschrieben."),
         _("Die Liste in der Ein-/Ausgabebeschreibung der Aufgabe ergänzen oder den Verweis entfernen.")),
        (r"Cancel Events may only be used with transactions", "event.cancel",
         _("%(el)s: ein Abbruchereignis ist nur an einer Transaktion erlaubt."),
         _("Das Abbruchereignis entfernen oder den Teilprozess in eine Transaktion ändern.")),
        (r"Service Task must have an operator", "task.service",
         _("%(el)s: Fallwerk ruft keine externen Dienste auf; diese Aufgabe kann nicht laufen."),
         _("In eine Benutzeraufgabe oder eine Skriptaufgabe ändern.")),
        (r"Expected an? (?:Error|error|Escalation|Message|Signal) node|Could not find messageRef|"
         r"raise_validation_exception\(\) got an unexpected keyword argument 'node'", "event.reference",
         _("%(el)s: das Ereignis verweist auf eine Nachricht, ein Signal oder einen Fehler, den es nicht gibt."),
         _("Im Ereignis eine vorhandene Nachricht (bzw. ein Signal oder einen Fehler) wählen oder den Verweis "
           "entfernen.")),
        (r"(?:Message|Signal|Error|Escalation|Correlation|Data Store) (?:identifier|name) is missing",
         "event.identifier",
         _("%(el)s: eine Nachricht, ein Signal, ein Fehler oder ein Datenspeicher hat keine ID oder keinen Namen."),
         _("Jeder Nachricht, jedem Signal und jedem Fehler eine ID und einen Namen geben.")),
        (r"Correlation is missing|Message identifier is missing from correlation", "event.correlation",
         _("%(el)s: eine Nachrichtenzuordnung (Korrelation) ist unvollständig."),
         _("Die Korrelation vervollständigen oder entfernen.")),
        (r"has no implementation", "event.identifier",
         _("%(el)s: diesen Datenspeicher kennt Fallwerk nicht."), _("Den Datenspeicher entfernen.")),
        (r"Ad hoc subprocesses may not contain start or end events|Sequential ordering for ad hoc", "structure.adhoc",
         _("%(el)s: ein Ad-hoc-Teilprozess darf keine Start- oder Endereignisse enthalten und nicht der Reihe nach "
           "ablaufen."), _("Start- und Endereignisse entfernen bzw. in einen gewöhnlichen Teilprozess ändern.")),
        (r"Unsupported Catch Event", "event.unsupported",
         _("%(el)s: diese Art von Ereignis führt Fallwerk nicht aus."),
         _("Ein Zeitgeber-, Nachrichten- oder Signalereignis verwenden oder das Ereignis entfernen.")),
    ]


def engine_problems(raw: bytes, process_id: str, dmn, root, schema_ok: bool,
                    found: list[Problem]) -> list[Problem]:
    """The engine's own parser (``app.engine.specs.parse_bpmn``, which also adds the current
    decision tables for business rule tasks). It stops at its first error; that error is
    translated, and left out when the checks above already reported it."""
    try:
        parse_bpmn(raw, process_id, dmn, schema=schema_ok)
    except SpecError as exc:
        problem = engine_problem(exc, root, process_id, schema_ok)
    except Exception as exc:  # noqa: BLE001 - never a 500 for a bad upload
        problem = engine_problem(SpecError(type(exc).__name__), root, process_id, schema_ok)
    else:
        return []
    family = problem.code.split(".")[0]
    if problem.code != "engine.other" and any(
            p.code == problem.code or (p.code.split(".")[0] == family and p.element_id == problem.element_id)
            for p in found):
        return []  # the engine stops at its first error, which the checks above have named already
    return [problem]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def engine_problem(exc: SpecError, root, process_id: str, schema_ok: bool) -> Problem:
    cause = exc.__cause__
    text = (str(cause.args[0]) if cause is not None and cause.args else str(exc)) or ""
    ident = getattr(cause, "id", None) or None
    by_id = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    called = re.search(r"The process '([^']*)' was not found", text)
    if called and ident is None:
        call = next((c for c in root.iter(f"{B}callActivity") if c.get("calledElement") == called.group(1)), None)
        ident = call.get("id") if call is not None else None
    if ident is None and re.search(r"is not executable|No start event found", text):
        ident = process_id
    el = by_id.get(ident) if ident else None
    what = label(el) if el is not None else (_("Element %(id)s", id=ident) if ident else _("die Datei"))
    for pattern, code, message, hint in _engine_messages():
        if re.search(pattern, text):
            return Problem(ident, _capital(message % {"el": what}), hint, code)
    if not schema_ok:
        return Problem(None, _("Die Prozess-Engine konnte die Datei wegen der Schemafehler nicht vollständig prüfen."),
                       _("Zuerst die Schemafehler beheben; danach prüft die Prozess-Engine die Datei erneut und "
                         "nennt, was ihr noch fehlt."), "engine.schema")
    line = el.sourceline if el is not None else None
    if line:
        message = _("Die Prozess-Engine kann %(el)s (Zeile %(line)s) nicht verarbeiten.", el=what, line=line)
    else:
        message = _("Die Prozess-Engine kann %(el)s nicht verarbeiten.", el=what)
    hint = _("Das Element prüfen und im Fallwerk-Modeler neu zeichnen; hilft das nicht, die Datei aus einer "
             "veröffentlichten Version neu aufbauen.")
    return Problem(ident, _capital(message), hint, "engine.other")
