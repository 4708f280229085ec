"""A plain reading of a BPMN model's elements, for the version diff and the outline page."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from lxml import etree

from app.engine import lanes
from app.modeler.validation import CONTAINERS, FLOW_NODES, B, S, local, spiff_properties
from app.modeler.xmlsafe import safe_parser

KIND_LABELS = {
    "startEvent": _l("Startereignis"), "endEvent": _l("Endereignis"), "userTask": _l("Benutzeraufgabe"),
    "scriptTask": _l("Skriptaufgabe"), "serviceTask": _l("Serviceaufgabe"), "task": _l("Aufgabe"),
    "manualTask": _l("Manuelle Aufgabe"), "businessRuleTask": _l("Entscheidungsaufgabe"),
    "sendTask": _l("Sendeaufgabe"), "receiveTask": _l("Empfangsaufgabe"), "callActivity": _l("Aufrufaktivität"),
    "subProcess": _l("Teilprozess"), "exclusiveGateway": _l("Exklusives Gateway"),
    "parallelGateway": _l("Paralleles Gateway"), "inclusiveGateway": _l("Inklusives Gateway"),
    "eventBasedGateway": _l("Ereignisbasiertes Gateway"), "boundaryEvent": _l("Randereignis"),
    "intermediateCatchEvent": _l("Zwischenereignis (empfangend)"),
    "intermediateThrowEvent": _l("Zwischenereignis (sendend)"), "sequenceFlow": _l("Fluss"), "lane": _l("Bahn"),
    "transaction": _l("Transaktion"), "adHocSubProcess": _l("Ad-hoc-Teilprozess"),
}
TIMER_LABELS = {"timeDuration": _l("Dauer"), "timeDate": _l("Zeitpunkt"), "timeCycle": _l("Wiederholung")}


@dataclass
class Element:
    id: str
    kind: str
    name: str = ""
    lane: str = ""
    scope: str = ""
    props: dict = field(default_factory=dict)
    condition: str = ""
    script: str = ""
    timer: tuple[str, str] | None = None
    attached_to: str = ""
    source: str = ""
    target: str = ""
    default_flow: str = ""
    event_subprocess: bool = False
    documentation: str = ""

    @property
    def kind_label(self) -> str:
        label = KIND_LABELS.get(self.kind)
        return str(label) if label else self.kind

    @property
    def title(self) -> str:
        return self.name or self.id


def read(xml: str | bytes, process_id: str | None = None) -> dict[str, Element]:
    """Elements of the process ``process_id`` (or the first process) by id, in document order."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    root = etree.fromstring(data, parser=safe_parser())
    processes = list(root.iter(f"{B}process"))
    process = next((p for p in processes if p.get("id") == process_id), processes[0] if processes else None)
    result: dict[str, Element] = {}
    if process is None:
        return result
    lane_of: dict[str, str] = {}
    for lane in process.iter(f"{B}lane"):
        for ref in lane.findall(f"{B}flowNodeRef"):
            lane_of[(ref.text or "").strip()] = lane.get("name") or lane.get("id") or ""
        result[lane.get("id", "")] = Element(lane.get("id", ""), "lane", name=lane.get("name") or "")
    _read_scope(process, process.get("id", ""), lane_of, "", result)
    return result


def _read_scope(scope, scope_id: str, lane_of: dict, inherited_lane: str, result: dict) -> None:
    for el in scope:
        if not isinstance(el.tag, str) or not el.tag.startswith(B):
            continue
        kind = local(el)
        ident = el.get("id")
        if kind == "sequenceFlow":
            result[ident] = Element(ident, kind, name=el.get("name") or "", scope=scope_id,
                                    condition=(el.findtext(f"{B}conditionExpression") or "").strip(),
                                    source=el.get("sourceRef") or "", target=el.get("targetRef") or "")
            continue
        if kind not in FLOW_NODES:
            continue
        item = Element(ident, kind, name=(el.get("name") or "").strip(), scope=scope_id,
                       lane=lane_of.get(ident, inherited_lane), props=spiff_properties(el),
                       script=(el.findtext(f"{B}script") or "").strip(),
                       attached_to=el.get("attachedToRef") or "", default_flow=el.get("default") or "",
                       event_subprocess=el.get("triggeredByEvent") == "true",
                       documentation=(el.findtext(f"{B}documentation") or "").strip())
        timer = el.find(f"{B}timerEventDefinition")
        if timer is not None:
            for part in timer:
                if isinstance(part.tag, str) and local(part) in TIMER_LABELS:
                    item.timer = (local(part), (part.text or "").strip())
        for tag in ("preScript", "postScript"):
            text = (el.findtext(f"{B}extensionElements/{S}{tag}") or "").strip()
            if text:
                item.props[tag] = text
        loop = el.find(f"{B}standardLoopCharacteristics/{B}loopCondition")
        if loop is not None and (loop.text or "").strip():
            item.props["loopCondition"] = loop.text.strip()
        result[ident] = item
        if kind in CONTAINERS:
            _read_scope(el, ident, lane_of, item.lane, result)


def lane_rule_text(name: str, model_id: int | None = None) -> str:
    """What a lane means, in German: the model's own rule (set on its settings page), else the
    shipped rule of that lane name."""
    kind, arg = lanes.resolver(model_id)(name) if (model_id is not None or name in lanes.LANE_RULES) else (None, None)
    texts = {
        lanes.OWNER_TEAM: _l("das Team, das den Fall angelegt hat (Fallverantwortung)"),
        lanes.TEAM: _l("das Team „%(arg)s“ als Gruppenaufgabe", arg=arg),
        lanes.USER_FROM_DATA: _l("die Person aus dem Feld „%(arg)s“ der Falldaten", arg=arg),
        lanes.STARTER: _l("die Person, die den Fall angelegt hat"),
        lanes.OWNER_TEAM_LEADS: _l("die Leitung des fallverantwortlichen Teams"),
    }
    text = texts.get(kind) if kind is not None else None
    return str(text) if text is not None else str(_l("unbekannte Rolle"))
