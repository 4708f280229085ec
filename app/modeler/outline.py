"""The accessible outline of a version: lanes, steps in flow order with forms, deadlines,
timers and the flows leaving each step with their conditions."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.modeler.inspect import Element, lane_rule_text, read
from app.modeler.validation import form_registry


@dataclass
class Step:
    element: Element
    form_title: str = ""
    timers: list[Element] = field(default_factory=list)
    flows: list[tuple[Element, Element | None, bool]] = field(default_factory=list)  # flow, target, default
    children: list[Step] = field(default_factory=list)


@dataclass
class Outline:
    lanes: list[tuple[Element, str]]
    steps: list[Step]


def build_outline(xml: str, process_id: str) -> Outline:
    elements = read(xml, process_id)
    lanes = [(el, lane_rule_text(el.name)) for el in elements.values() if el.kind == "lane"]
    nodes = {i: e for i, e in elements.items() if e.kind not in ("lane", "sequenceFlow")}
    flows = [e for e in elements.values() if e.kind == "sequenceFlow"]
    forms = form_registry()  # code and builder forms

    def make(el: Element) -> Step:
        form = forms.get(el.props.get("formKey", ""))
        step = Step(el, form_title=str(getattr(form, "title", "") or "") if form is not None else "")
        step.timers = [n for n in nodes.values() if n.attached_to == el.id]
        step.flows = [(f, nodes.get(f.target), f.id == el.default_flow) for f in flows if f.source == el.id]
        step.children = ordered(el.id)
        return step

    def ordered(scope: str) -> list[Step]:
        members = [n for n in nodes.values() if n.scope == scope and not n.attached_to]
        starts = [n for n in members if n.kind == "startEvent"]
        seen: list[str] = []
        queue = [n.id for n in starts]
        while queue:
            ident = queue.pop(0)
            if ident in seen or ident not in nodes or nodes[ident].scope != scope:
                continue
            seen.append(ident)
            queue += [f.target for f in flows if f.source == ident]
            queue += [b.id for b in nodes.values() if b.attached_to == ident]
            queue += [f.target for b in nodes.values() if b.attached_to == ident for f in flows if f.source == b.id]
        rest = [n.id for n in members if n.id not in seen]  # event subprocesses, unreachable
        return [make(nodes[i]) for i in seen + rest if not nodes[i].attached_to]

    return Outline(lanes=lanes, steps=ordered(process_id))
