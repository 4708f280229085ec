"""Edits of a draft's BPMN from the text outline, without the diagram: rename a step; change a
user task's form, lane and deadline; insert a user task after a step; delete a step.

Pure functions: BPMN text in, BPMN text out (lxml), or ``EditRefused`` with a German reason and
nothing changed. The caller saves the result through ``services.update_draft``, which validates
it exactly like a diagram saved in the modeler, so an edit can never smuggle in what the canvas
would refuse, and the problems it causes are listed the same way.

The diagram (BPMNDI) stays drawable: a new task gets a shape to the right of the step before it
(everything further right in that diagram moves over, pools, lanes and expanded subprocesses
grow), a task moved to another lane moves into that lane's band, and the edges of rewired flows
are redrawn as simple right-angled lines. Steps without a shape (e.g. inside a collapsed
subprocess drawn without its own diagram) stay without one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from lxml import etree

from app.engine.lanes import LANE_RULES
from app.modeler.validation import SPIFF_NS, B, S, local
from app.modeler.xmlsafe import safe_parser

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
BPMNDI = f"{{{BPMNDI_NS}}}"
DC = f"{{{DC_NS}}}"
DI = f"{{{DI_NS}}}"

TASK_WIDTH, TASK_HEIGHT = 100, 80
#: How far the shapes right of the step before a new task move over, and the new task's gap.
SHIFT, GAP = 150, 30
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
#: Flow nodes the outline lists and edits (what a process owner calls a step).
STEP_KINDS = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess", *GATEWAYS,
}
_EXPANDABLE = {"subProcess", "transaction", "adHocSubProcess"}


class EditRefused(Exception):
    """The edit cannot be made; ``str()`` is a German reason. Nothing was changed."""


@dataclass
class StepState:
    """What the edit forms show of one step."""

    id: str
    kind: str
    name: str
    form_key: str
    lane: str  # effective lane: the task's ``lane`` property, else its lane in the diagram
    due_in: str
    due_date: str
    delete_refusal: str | None
    insert_refusal: str | None


# --- reading ---------------------------------------------------------------------------------

class Doc:
    """One parsed BPMN document and the process being edited."""

    def __init__(self, xml: str | bytes, process_id: str) -> None:
        data = xml.encode("utf-8") if isinstance(xml, str) else xml
        self.root = etree.fromstring(data, parser=safe_parser())
        process = next((p for p in self.root.iter(f"{B}process") if p.get("id") == process_id), None)
        if process is None:
            raise EditRefused(_("Die Datei enthält keinen Prozess mit der ID „%(key)s“; bitte im Diagramm "
                                "oder per Datei korrigieren.", key=process_id))
        self.process = process

    def text(self) -> str:
        body = etree.tostring(self.root.getroottree(), encoding="unicode")
        return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'

    def step(self, element_id: str):
        for el in self.process.iter(f"{B}*"):
            if el.get("id") == element_id and local(el) in STEP_KINDS:
                return el
        raise EditRefused(_("Den Schritt „%(id)s“ gibt es in diesem Entwurf nicht (mehr).", id=element_id))

    def ids(self) -> set[str]:
        return {str(el.get("id")) for el in self.root.iter() if isinstance(el.tag, str) and el.get("id")}

    def outgoing(self, el) -> list:
        return [f for f in el.getparent().findall(f"{B}sequenceFlow") if f.get("sourceRef") == el.get("id")]

    def incoming(self, el) -> list:
        return [f for f in el.getparent().findall(f"{B}sequenceFlow") if f.get("targetRef") == el.get("id")]

    def boundary_events(self, el) -> list:
        return [b for b in el.getparent().findall(f"{B}boundaryEvent") if b.get("attachedToRef") == el.get("id")]

    # lanes

    def leaf_lanes(self) -> list:
        return [lane for lane in self.process.iter(f"{B}lane") if lane.find(f"{B}childLaneSet") is None]

    def lane_named(self, name: str):
        return next((lane for lane in self.leaf_lanes() if (lane.get("name") or "").strip() == name), None)

    def top_level(self, el):
        """``el`` or its ancestor that is a direct child of the process (lanes list those)."""
        while el.getparent() is not None and el.getparent() is not self.process:
            el = el.getparent()
        return el

    def diagram_lane(self, el):
        ident = self.top_level(el).get("id")
        return next((lane for lane in self.leaf_lanes()
                     if any((ref.text or "").strip() == ident for ref in lane.findall(f"{B}flowNodeRef"))), None)

    def effective_lane(self, el) -> str:
        prop = properties(el).get("lane", "").strip()
        if prop:
            return prop
        lane = self.diagram_lane(el)
        return (lane.get("name") or "").strip() if lane is not None else ""

    # diagram

    def shape(self, ident: str | None):
        return next((s for s in self.root.iter(f"{BPMNDI}BPMNShape") if s.get("bpmnElement") == ident), None)

    def edge(self, ident: str | None):
        return next((e for e in self.root.iter(f"{BPMNDI}BPMNEdge") if e.get("bpmnElement") == ident), None)


def lane_choices(xml: str | bytes, process_id: str) -> list[str]:
    """Lane names a task may go to: the draft's own lanes first, then every declared lane."""
    doc = Doc(xml, process_id)
    names = [(lane.get("name") or "").strip() for lane in doc.leaf_lanes()]
    names = [n for n in names if n]
    return list(dict.fromkeys(names + list(LANE_RULES)))


def state(xml: str | bytes, process_id: str, element_id: str) -> StepState:
    doc = Doc(xml, process_id)
    return _state(doc, doc.step(element_id))


def states(xml: str | bytes, process_id: str) -> dict[str, StepState]:
    """Every step's state by id (one parse, for the outline page)."""
    doc = Doc(xml, process_id)
    return {str(el.get("id")): _state(doc, el) for el in doc.process.iter(f"{B}*") if local(el) in STEP_KINDS}


def _state(doc: Doc, el) -> StepState:
    props = properties(el)
    return StepState(id=el.get("id"), kind=local(el), name=(el.get("name") or "").strip(),
                     form_key=props.get("formKey", ""), lane=doc.effective_lane(el),
                     due_in=props.get("dueIn", ""), due_date=props.get("dueDate", ""),
                     delete_refusal=_delete_refusal(doc, el), insert_refusal=_insert_refusal(doc, el))


def properties(el) -> dict[str, str]:
    return {p.get("name"): p.get("value") or ""
            for p in el.findall(f"{B}extensionElements/{S}properties/{S}property") if p.get("name")}


def title(el) -> str:
    return (el.get("name") or "").strip() or el.get("id") or "?"


# --- the edits -------------------------------------------------------------------------------

def rename(xml: str | bytes, process_id: str, element_id: str, name: str) -> str:
    doc = Doc(xml, process_id)
    _set_name(doc.step(element_id), name)
    return doc.text()


def update_task(xml: str | bytes, process_id: str, element_id: str, *, name: str, form_key: str,
                lane: str, due_in: str | None) -> str:
    """Name, form, lane and deadline (``dueIn``, None: none) of a user task."""
    doc = Doc(xml, process_id)
    el = doc.step(element_id)
    if local(el) != "userTask":
        raise EditRefused(_("Formular, Bahn und Frist gibt es nur bei Benutzeraufgaben."))
    _set_name(el, name)
    set_property(el, "formKey", form_key)
    set_property(el, "dueIn", due_in)
    _set_lane(doc, el, lane)
    return doc.text()


def insert_after(xml: str | bytes, process_id: str, after_id: str, *, name: str, form_key: str,
                 lane: str, due_in: str | None) -> tuple[str, str]:
    """A new user task between ``after_id`` and its one successor; (BPMN text, the task's id)."""
    doc = Doc(xml, process_id)
    before = doc.step(after_id)
    if (reason := _insert_refusal(doc, before)) is not None:
        raise EditRefused(reason)
    flow = doc.outgoing(before)[0]
    after = _sibling(before, flow.get("targetRef"))
    taken = doc.ids()
    task_id = unique_id(slug(name) or "schritt", taken)
    taken.add(task_id)
    flow_id = unique_id(f"flow_{task_id}", taken)

    task = _new_sibling(flow, f"{B}userTask", {"id": task_id})
    _set_name(task, name)
    set_property(task, "formKey", form_key)
    set_property(task, "dueIn", due_in)
    _new_sibling(task, f"{B}sequenceFlow",
                            {"id": flow_id, "sourceRef": task_id, "targetRef": flow.get("targetRef")})
    flow.set("targetRef", task_id)
    if before.find(f"{B}outgoing") is not None or before.find(f"{B}incoming") is not None:
        etree.SubElement(task, f"{B}incoming").text = flow.get("id")
        etree.SubElement(task, f"{B}outgoing").text = flow_id
    if after is not None:
        for ref in after.findall(f"{B}incoming"):
            if (ref.text or "").strip() == flow.get("id"):
                ref.text = flow_id
    _indent(task)
    if before.getparent() is doc.process and (own := doc.diagram_lane(before)) is not None:
        _add_ref(own, task_id)
    _set_lane(doc, task, lane, move_shape=False)
    _draw_inserted(doc, before, task, flow, flow_id, after)
    return doc.text(), task_id


def delete(xml: str | bytes, process_id: str, element_id: str) -> str:
    """Remove a step and connect its one incoming flow to where its one outgoing flow went."""
    doc = Doc(xml, process_id)
    el = doc.step(element_id)
    if (reason := _delete_refusal(doc, el)) is not None:
        raise EditRefused(reason)
    incoming, outgoing = doc.incoming(el)[0], doc.outgoing(el)[0]
    target_id = outgoing.get("targetRef")
    target = _sibling(el, target_id)
    if target is not None:
        for ref in target.findall(f"{B}incoming"):
            if (ref.text or "").strip() == outgoing.get("id"):
                ref.text = incoming.get("id")
    incoming.set("targetRef", target_id)

    gone = {d.get("id") for d in el.iter() if isinstance(d.tag, str) and d.get("id")} | {outgoing.get("id")}
    in_edge, out_edge = doc.edge(incoming.get("id")), doc.edge(outgoing.get("id"))
    if in_edge is not None and out_edge is not None and out_edge.getparent() is in_edge.getparent():
        start, end = _waypoints(in_edge)[0], _waypoints(out_edge)[-1]
        _set_waypoints(in_edge, _orthogonal(start, end))
    for node in (el, outgoing):
        _remove(node)
    for lane in doc.process.iter(f"{B}lane"):
        for ref in lane.findall(f"{B}flowNodeRef"):
            if (ref.text or "").strip() in gone:
                _remove(ref)
    for di in list(doc.root.iter(f"{BPMNDI}BPMNShape", f"{BPMNDI}BPMNEdge")):
        if di.get("bpmnElement") in gone:
            _remove(di)
    for diagram in list(doc.root.iter(f"{BPMNDI}BPMNDiagram")):  # a collapsed subprocess's own plane
        plane = diagram.find(f"{BPMNDI}BPMNPlane")
        if plane is not None and plane.get("bpmnElement") in gone:
            _remove(diagram)
    return doc.text()


# --- refusals --------------------------------------------------------------------------------

def _delete_refusal(doc: Doc, el) -> str | None:
    kind, name = local(el), title(el)
    if kind in GATEWAYS:
        return _("„%(name)s“ ist ein Gateway (eine Verzweigung oder Zusammenführung). Gateways lassen sich nur "
                 "im Diagramm löschen, weil dabei zu entscheiden ist, wie die Wege weiterlaufen.", name=name)
    if kind == "startEvent":
        return _("„%(name)s“ ist ein Startereignis; ohne Start kann der Ablauf nicht beginnen.", name=name)
    if kind == "endEvent":
        return _("„%(name)s“ ist ein Endereignis; ohne Ende kann der Ablauf nicht abschließen.", name=name)
    n_in, n_out = len(doc.incoming(el)), len(doc.outgoing(el))
    if n_in != 1 or n_out != 1:
        return _("„%(name)s“ hat %(n_in)s eingehende und %(n_out)s ausgehende Flüsse. Hier lässt sich nur ein "
                 "Schritt mit genau einem eingehenden und einem ausgehenden Fluss löschen, damit klar ist, wie "
                 "der Ablauf weitergeht; bitte im Diagramm ändern.", name=name, n_in=n_in, n_out=n_out)
    if doc.boundary_events(el):
        return _("An „%(name)s“ hängen Randereignisse (z. B. eine Frist mit Eskalation); bitte diese zuerst im "
                 "Diagramm entfernen.", name=name)
    if _referenced_elsewhere(doc, el):
        return _("„%(name)s“ ist mit anderen Elementen verbunden (z. B. einem Nachrichtenfluss oder einer "
                 "Anmerkung); bitte im Diagramm löschen.", name=name)
    return None


def _insert_refusal(doc: Doc, el) -> str | None:
    n_out = len(doc.outgoing(el))
    if n_out == 0:
        return _("Nach „%(name)s“ geht der Ablauf nicht weiter; ein Schritt lässt sich nur zwischen zwei "
                 "verbundenen Schritten einfügen.", name=title(el))
    if n_out > 1:
        return _("„%(name)s“ hat %(n)s ausgehende Flüsse; bitte den neuen Schritt nach einem der folgenden "
                 "Schritte einfügen oder das Diagramm nutzen.", name=title(el), n=n_out)
    return None


def _referenced_elsewhere(doc: Doc, el) -> bool:
    """Does anything besides its own flows, lane entries and diagram point at ``el``?"""
    ident = el.get("id")
    own = set(doc.incoming(el)) | set(doc.outgoing(el))
    inside = set(el.iter())
    for node in doc.root.iter():
        if not isinstance(node.tag, str) or node in own or node in inside or node.tag.startswith(BPMNDI):
            continue
        if ident in node.attrib.values():
            return True
    return False


# --- small XML helpers -----------------------------------------------------------------------

_IDENT = re.compile(r"[^a-z0-9_]+")


def slug(name: str) -> str:
    text = name.strip().lower()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, plain)
    text = _IDENT.sub("_", text).strip("_")[:40].strip("_")
    if text and not text[0].isalpha():
        text = f"schritt_{text}"
    return text


def unique_id(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    n = 2
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"


def _set_name(el, name: str) -> None:
    name = " ".join(name.split())
    if not name:
        raise EditRefused(_("Bitte einen Namen eingeben."))
    el.set("name", name)


def set_property(el, name: str, value: str | None) -> None:
    """Set (or with None remove) a SpiffWorkflow property of ``el``."""
    ext = el.find(f"{B}extensionElements")
    props = ext.find(f"{S}properties") if ext is not None else None
    existing = next((p for p in props.findall(f"{S}property") if p.get("name") == name), None) \
        if props is not None else None
    if value is None:
        if existing is not None:
            _remove(existing)
            if props is not None and not len(props):
                _remove(props)
            if ext is not None and not len(ext):
                _remove(ext)
        return
    if existing is not None:
        existing.set("value", value)
        return
    if ext is None:
        ext = el.makeelement(f"{B}extensionElements", {})
        position = sum(1 for child in el if isinstance(child.tag, str) and local(child) == "documentation")
        el.insert(position, ext)
    if props is None:
        nsmap = None if SPIFF_NS in (ext.nsmap or {}).values() else {"spiffworkflow": SPIFF_NS}
        props = etree.SubElement(ext, f"{S}properties", nsmap=nsmap)
    etree.SubElement(props, f"{S}property", {"name": name, "value": value})


def _set_lane(doc: Doc, el, lane: str, move_shape: bool = True) -> None:
    """The lane the task's work goes to: its lane in the diagram, when that is one of the draft's
    lanes and the task is not inside a subprocess; otherwise the ``lane`` property (which sends
    one task elsewhere than its lane, e.g. to the Leitung); "" = the lane in the diagram."""
    lane = lane.strip()
    target = doc.lane_named(lane) if lane else None
    current = doc.diagram_lane(el)
    if target is not None and el.getparent() is doc.process:
        if current is not target:
            for old in doc.process.iter(f"{B}lane"):
                for ref in old.findall(f"{B}flowNodeRef"):
                    if (ref.text or "").strip() == el.get("id"):
                        _remove(ref)
            _add_ref(target, el.get("id"))
            if move_shape:
                _move_into_lane(doc, el, target)
        set_property(el, "lane", None)
        return
    inherited = (current.get("name") or "").strip() if current is not None else ""
    set_property(el, "lane", None if not lane or lane == inherited else lane)


def _add_ref(lane, ident: str) -> None:
    refs = lane.findall(f"{B}flowNodeRef")
    ref = lane.makeelement(f"{B}flowNodeRef", {})
    ref.text = ident
    if refs:
        refs[-1].addnext(ref)
        ref.tail = refs[-1].tail
    else:
        lane.insert(0, ref)


def _sibling(el, ident: str | None):
    return next((n for n in el.getparent() if isinstance(n.tag, str) and n.get("id") == ident), None)


def _new_sibling(anchor, tag: str, attrib: dict[str, str]):
    el = etree.SubElement(anchor.getparent(), tag, attrib)
    anchor.addnext(el)
    el.tail = anchor.tail
    return el


def _indent(el) -> None:
    """Lay out a new element's children like the file around it (two spaces a level)."""
    etree.indent(el, space="  ", level=sum(1 for _ in el.iterancestors()))


def _remove(el) -> None:
    parent = el.getparent()
    if parent is None:
        return
    previous = el.getprevious()
    if el.tail and not el.tail.strip():
        pass  # whitespace only: dropped with the element
    elif el.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


# --- the diagram -----------------------------------------------------------------------------

Point = tuple[float, float]


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


def _bounds(shape):
    return shape.find(f"{DC}Bounds") if shape is not None else None


def _box(shape) -> Box | None:
    b = _bounds(shape)
    if b is None:
        return None
    try:
        return Box(*(float(b.get(k) or 0) for k in ("x", "y", "width", "height")))
    except ValueError:
        return None


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(round(value, 1))  # XML, not for people


def _set_box(bounds, box: Box) -> None:
    for key, value in (("x", box.x), ("y", box.y), ("width", box.w), ("height", box.h)):
        bounds.set(key, _num(value))


def _waypoints(edge) -> list[Point]:
    return [(float(w.get("x") or 0), float(w.get("y") or 0)) for w in edge.findall(f"{DI}waypoint")]


def _set_waypoints(edge, points: list[Point]) -> None:
    old = edge.findall(f"{DI}waypoint")
    position = edge.index(old[0]) if old else 0
    for w in old:
        _remove(w)
    for offset, (x, y) in enumerate(points):
        w = edge.makeelement(f"{DI}waypoint", {"x": _num(x), "y": _num(y)})
        edge.insert(position + offset, w)


def _orthogonal(start: Point, end: Point) -> list[Point]:
    if abs(start[1] - end[1]) < 1:
        return [start, (end[0], start[1])]
    middle = (start[0] + end[0]) / 2
    return [start, (middle, start[1]), (middle, end[1]), end]


def _is_container_shape(doc: Doc, shape) -> bool:
    ident = shape.get("bpmnElement")
    for el in doc.root.iter(f"{B}participant", f"{B}lane", *(f"{B}{k}" for k in _EXPANDABLE)):
        if el.get("id") == ident:
            return local(el) in ("participant", "lane") or shape.get("isExpanded") == "true"
    return False


def _shift_right_of(doc: Doc, plane, cut: float, dx: float) -> None:
    """Make room: everything in ``plane`` right of ``cut`` moves ``dx`` to the right; pools,
    lanes and expanded subprocesses that reach across ``cut`` grow by ``dx``."""
    for shape in plane.findall(f"{BPMNDI}BPMNShape"):
        box = _box(shape)
        if box is None:
            continue
        if box.x > cut:
            box.x += dx
            _set_box(_bounds(shape), box)
        elif box.right > cut and _is_container_shape(doc, shape):
            box.w += dx
            _set_box(_bounds(shape), box)
        for label_bounds in shape.iterfind(f"{BPMNDI}BPMNLabel/{DC}Bounds"):
            if float(label_bounds.get("x") or 0) > cut:
                label_bounds.set("x", _num(float(label_bounds.get("x") or 0) + dx))
    for edge in plane.findall(f"{BPMNDI}BPMNEdge"):
        for w in edge.findall(f"{DI}waypoint"):
            if float(w.get("x") or 0) > cut:
                w.set("x", _num(float(w.get("x") or 0) + dx))
        for label_bounds in edge.iterfind(f"{BPMNDI}BPMNLabel/{DC}Bounds"):
            if float(label_bounds.get("x") or 0) > cut:
                label_bounds.set("x", _num(float(label_bounds.get("x") or 0) + dx))


def _draw_inserted(doc: Doc, before, task, flow, flow_id: str, after) -> None:
    before_shape = doc.shape(before.get("id"))
    before_box = _box(before_shape)
    if before_shape is None or before_box is None:
        return  # drawn without a diagram here: the new task has none either
    plane = before_shape.getparent()
    cut = before_box.right
    _shift_right_of(doc, plane, cut, SHIFT)
    y = before_box.cy - TASK_HEIGHT / 2
    lane = doc.diagram_lane(task) if task.getparent() is doc.process else None
    lane_box = _box(doc.shape(lane.get("id"))) if lane is not None else None
    if lane_box is not None and not (lane_box.y <= before_box.cy <= lane_box.y + lane_box.h):
        y = lane_box.cy - TASK_HEIGHT / 2
    box = Box(cut + GAP, y, TASK_WIDTH, TASK_HEIGHT)
    shape = _new_di(plane, f"{BPMNDI}BPMNShape", {"id": unique_id(f"{task.get('id')}_di", doc.ids()),
                                                 "bpmnElement": task.get("id")})
    _set_box(etree.SubElement(shape, f"{DC}Bounds"), box)

    old_edge = doc.edge(flow.get("id"))
    old_end = _waypoints(old_edge)[-1] if old_edge is not None and _waypoints(old_edge) else None
    start = (before_box.right, before_box.cy)
    if old_edge is None:
        old_edge = _new_di(plane, f"{BPMNDI}BPMNEdge", {"id": unique_id(f"{flow.get('id')}_di", doc.ids()),
                                                       "bpmnElement": flow.get("id")})
    _set_waypoints(old_edge, _orthogonal(start, (box.x, box.cy)))
    after_box = _box(doc.shape(after.get("id"))) if after is not None else None
    end = (after_box.x, after_box.cy) if after_box is not None and after_box.x >= box.right else old_end
    if end is None and after_box is not None:
        end = (after_box.x, after_box.cy)
    if end is not None:
        edge = _new_di(plane, f"{BPMNDI}BPMNEdge", {"id": unique_id(f"{flow_id}_di", doc.ids()),
                                                   "bpmnElement": flow_id})
        _set_waypoints(edge, _orthogonal((box.right, box.cy), end))


def _new_di(plane, tag: str, attrib: dict[str, str]):
    """A new shape or edge after the last of its kind (bpmn.io writes shapes before edges, and
    a reader draws later elements on top)."""
    same = plane.findall(tag)
    el = etree.SubElement(plane, tag, attrib)
    if same:
        same[-1].addnext(el)
        el.tail = same[-1].tail
    return el


def _move_into_lane(doc: Doc, el, lane) -> None:
    shape, lane_box = doc.shape(el.get("id")), _box(doc.shape(lane.get("id")))
    box = _box(shape)
    if shape is None or box is None or lane_box is None or lane_box.y <= box.cy <= lane_box.y + lane_box.h:
        return
    dy = lane_box.cy - box.cy
    box.y += dy
    _set_box(_bounds(shape), box)
    for boundary in doc.boundary_events(el):
        b_shape = doc.shape(boundary.get("id"))
        b_box = _box(b_shape)
        if b_box is not None:
            b_box.y += dy
            _set_box(_bounds(b_shape), b_box)
    for flow in doc.incoming(el):
        edge = doc.edge(flow.get("id"))
        if edge is not None and _waypoints(edge):
            _set_waypoints(edge, _orthogonal(_waypoints(edge)[0], (box.x, box.cy)))
    for flow in doc.outgoing(el):
        edge = doc.edge(flow.get("id"))
        if edge is not None and _waypoints(edge):
            _set_waypoints(edge, _orthogonal((box.right, box.cy), _waypoints(edge)[-1]))

