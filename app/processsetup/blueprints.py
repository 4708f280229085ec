"""BPMN templates a new process model starts from (German names, a small diagram each).

Every user task names an existing code form, so a new model is valid as created; the process
owner then changes forms, steps and lanes in the modeler.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

EMPTY, PHASES = "leer", "phasen"

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
                  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
                  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="Definitions_{key}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:collaboration id="Collaboration_{key}">
    <bpmn:participant id="Participant_{key}" name={name} processRef="{key}" />
  </bpmn:collaboration>
  <bpmn:process id="{key}" name={name} isExecutable="true">
"""


def _task(task_id: str, name: str, form: str) -> str:
    return (f'    <bpmn:userTask id="{task_id}" name={quoteattr(name)}>\n'
            "      <bpmn:extensionElements>\n        <spiffworkflow:properties>\n"
            f'          <spiffworkflow:property name="formKey" value="{form}" />\n'
            "        </spiffworkflow:properties>\n      </bpmn:extensionElements>\n"
            "    </bpmn:userTask>\n")


def _lane(lane_id: str, name: str, refs: list[str]) -> str:
    inner = "".join(f"        <bpmn:flowNodeRef>{r}</bpmn:flowNodeRef>\n" for r in refs)
    return f'      <bpmn:lane id="{lane_id}" name={quoteattr(name)}>\n{inner}      </bpmn:lane>\n'


def _flow(flow_id: str, source: str, target: str, name: str = "", condition: str = "") -> str:
    label = f" name={quoteattr(name)}" if name else ""
    if not condition:
        return f'    <bpmn:sequenceFlow id="{flow_id}"{label} sourceRef="{source}" targetRef="{target}" />\n'
    return (f'    <bpmn:sequenceFlow id="{flow_id}"{label} sourceRef="{source}" targetRef="{target}">\n'
            f'      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(condition)}'
            "</bpmn:conditionExpression>\n    </bpmn:sequenceFlow>\n")


def _shape(el: str, x: int, y: int, w: int, h: int, extra: str = "") -> str:
    return (f'      <bpmndi:BPMNShape id="{el}_di" bpmnElement="{el}"{extra}>\n'
            f'        <dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}" />\n      </bpmndi:BPMNShape>\n')


def _edge(el: str, points: list[tuple[int, int]]) -> str:
    wps = "".join(f'        <di:waypoint x="{x}" y="{y}" />\n' for x, y in points)
    return f'      <bpmndi:BPMNEdge id="{el}_di" bpmnElement="{el}">\n{wps}      </bpmndi:BPMNEdge>\n'


def _diagram(key: str, body: str) -> str:
    return (f'  <bpmndi:BPMNDiagram id="Diagram_{key}">\n'
            f'    <bpmndi:BPMNPlane id="Plane_{key}" bpmnElement="Collaboration_{key}">\n'
            f"{body}    </bpmndi:BPMNPlane>\n  </bpmndi:BPMNDiagram>\n</bpmn:definitions>\n")


def empty(key: str, name: str) -> str:
    """"Leerer Ablauf": start -> one user task (lane "Bearbeitung") -> end."""
    head = _HEAD.format(key=key, name=quoteattr(name))
    process = (f'    <bpmn:laneSet id="LaneSet_{key}">\n'
               + _lane("Lane_bearbeitung", "Bearbeitung", ["start", "bearbeiten", "ende"])
               + "    </bpmn:laneSet>\n"
               '    <bpmn:startEvent id="start" name="Fall angelegt" />\n'
               + _flow("f_start", "start", "bearbeiten")
               + _task("bearbeiten", "Bearbeiten", "beratungskontakt.nachverfolgung")
               + _flow("f_ende", "bearbeiten", "ende")
               + '    <bpmn:endEvent id="ende" name="Abgeschlossen" />\n  </bpmn:process>\n')
    di = (_shape(f"Participant_{key}", 120, 80, 600, 200, ' isHorizontal="true"')
          + _shape("Lane_bearbeitung", 150, 80, 570, 200, ' isHorizontal="true"')
          + _shape("start", 212, 162, 36, 36) + _shape("bearbeiten", 330, 140, 100, 80)
          + _shape("ende", 522, 162, 36, 36)
          + _edge("f_start", [(248, 180), (330, 180)]) + _edge("f_ende", [(430, 180), (522, 180)]))
    return head + process + _diagram(key, di)


def phases(key: str, name: str) -> str:
    """"Aufnahme, Bearbeitung, Abschluss": two lanes, a gateway that repeats the work until the
    closing is started (``abschluss_einleiten``)."""
    head = _HEAD.format(key=key, name=quoteattr(name))
    process = (f'    <bpmn:laneSet id="LaneSet_{key}">\n'
               + _lane("Lane_aufnahme", "Aufnahme", ["start", "aufnahme"])
               + _lane("Lane_bearbeitung", "Bearbeitung", ["bearbeitung", "gw_abschluss", "abschluss", "ende"])
               + "    </bpmn:laneSet>\n"
               '    <bpmn:startEvent id="start" name="Fall angelegt" />\n'
               + _flow("f_start", "start", "aufnahme")
               + _task("aufnahme", "Aufnahme", "beratungskontakt.nachverfolgung")
               + _flow("f_aufgenommen", "aufnahme", "bearbeitung")
               + _task("bearbeitung", "Bearbeitung", "alltagsbegleitung.zwischengespraech")
               + _flow("f_bearbeitet", "bearbeitung", "gw_abschluss")
               + '    <bpmn:exclusiveGateway id="gw_abschluss" name="Abschluss einleiten?" default="f_weiter" />\n'
               + _flow("f_abschliessen", "gw_abschluss", "abschluss", "ja", "abschluss_einleiten")
               + _flow("f_weiter", "gw_abschluss", "bearbeitung", "nein")
               + _task("abschluss", "Abschluss", "beratungskontakt.nachverfolgung")
               + _flow("f_ende", "abschluss", "ende")
               + '    <bpmn:endEvent id="ende" name="Abgeschlossen" />\n  </bpmn:process>\n')
    di = (_shape(f"Participant_{key}", 120, 80, 900, 360, ' isHorizontal="true"')
          + _shape("Lane_aufnahme", 150, 80, 870, 140, ' isHorizontal="true"')
          + _shape("Lane_bearbeitung", 150, 220, 870, 220, ' isHorizontal="true"')
          + _shape("start", 212, 132, 36, 36) + _shape("aufnahme", 300, 110, 100, 80)
          + _shape("bearbeitung", 300, 260, 100, 80)
          + _shape("gw_abschluss", 475, 275, 50, 50, ' isMarkerVisible="true"')
          + _shape("abschluss", 600, 260, 100, 80) + _shape("ende", 782, 282, 36, 36)
          + _edge("f_start", [(248, 150), (300, 150)]) + _edge("f_aufgenommen", [(350, 190), (350, 260)])
          + _edge("f_bearbeitet", [(400, 300), (475, 300)])
          + _edge("f_abschliessen", [(525, 300), (600, 300)])
          + _edge("f_weiter", [(500, 325), (500, 400), (350, 400), (350, 340)])
          + _edge("f_ende", [(700, 300), (782, 300)]))
    return head + process + _diagram(key, di)


TEMPLATES = {EMPTY: empty, PHASES: phases}
