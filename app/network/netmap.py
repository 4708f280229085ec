"""Layout of the network map (Netzwerkkarte): the service in the centre, partners around it.

- distance from the centre by intensity of the cooperation (3 = eng: inner ring … 1: outer ring);
- circle size by importance (3 = large);
- grouped by type: each type present gets a sector, its width proportional to its number of
  partners (at least a minimum), labelled at the edge; sectors are also told apart by colour
  *and* by their label, so colour is never the only carrier of meaning.

Pure Python, no database: ``layout(rows)`` takes objects with name, typ, intensitaet,
wichtigkeit (PartnerYear rows) and returns what the SVG template draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.network.models import PARTNER_TYPES

SIZE = 800
CENTRE = SIZE / 2
RING = {3: 130.0, 2: 225.0, 1: 320.0}
LABEL_RADIUS = 372.0
DOT = {1: 7.0, 2: 11.0, 3: 16.0}
# Room around the 800 × 800 drawing for the sector labels: the SVG's viewBox.
VIEWBOX = (-190, -10, SIZE + 380, SIZE + 20)
# Above this many partners the names are left out of the picture (they would overlap); each
# circle keeps its name as a tooltip (<title>) and the table lists them all.
LABEL_LIMIT = 120
# Colour per type (Okabe–Ito based, distinguishable with colour-vision deficiencies).
COLOURS = dict(zip(PARTNER_TYPES, ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
                                   "#7A6F00", "#8C564B", "#6A3D9A", "#666666"), strict=True))


@dataclass
class Node:
    name: str
    typ: str
    intensitaet: int
    wichtigkeit: int
    x: float
    y: float
    r: float
    colour: str
    label_x: float
    label_y: float
    anchor: str
    label: str


@dataclass
class Sector:
    typ: str
    start: float
    end: float
    count: int
    colour: str
    line_x: float
    line_y: float
    label_x: float
    label_y: float
    anchor: str
    swatch_x: float
    swatch_y: float


def _point(angle: float, radius: float) -> tuple[float, float]:
    return round(CENTRE + radius * math.cos(angle), 1), round(CENTRE + radius * math.sin(angle), 1)


def layout(rows) -> tuple[list[Sector], list[Node], float]:
    """(sectors, nodes, font size of the partner labels)."""
    rows = [r for r in rows if r.typ in COLOURS]
    if not rows:
        return [], [], 12.0
    groups: dict[str, list] = {t: [] for t in PARTNER_TYPES}
    for row in rows:
        groups[row.typ].append(row)
    present = [(t, sorted(g, key=lambda r: (-r.intensitaet, -r.wichtigkeit, r.name.casefold())))
               for t, g in groups.items() if g]
    total = len(rows)
    minimum = 0.5 / len(present)
    weights = [max(len(g) / total, minimum) for _t, g in present]
    scale = 2 * math.pi / sum(weights)
    crowded = total > 60
    shrink = 1.0 if not crowded else max(0.45, math.sqrt(60 / total))
    font = 12.0 if not crowded else 7.0
    sectors: list[Sector] = []
    nodes: list[Node] = []
    angle = -math.pi / 2
    for (typ, group), weight in zip(present, weights, strict=True):
        span = weight * scale
        start, end = angle, angle + span
        mid = start + span / 2
        lx, ly = _point(start, LABEL_RADIUS - 10)
        tx, ty = _point(mid, LABEL_RADIUS)
        sx, sy = _point(mid, LABEL_RADIUS - 18)
        sectors.append(Sector(typ=typ, start=start, end=end, count=len(group), colour=COLOURS[typ],
                              line_x=lx, line_y=ly, label_x=tx, label_y=ty, swatch_x=sx, swatch_y=sy,
                              anchor="start" if math.cos(mid) > 0.2 else "end" if math.cos(mid) < -0.2 else "middle"))
        for ring in (3, 2, 1):
            members = [r for r in group if min(max(int(r.intensitaet), 1), 3) == ring]
            for i, row in enumerate(members):
                a = start + span * (i + 1) / (len(members) + 1)
                radius = RING[ring] + (0 if len(members) < 8 else (18 if i % 2 else -18))
                x, y = _point(a, radius)
                dot = DOT.get(row.wichtigkeit, DOT[1]) * shrink
                lx, ly = _point(a, radius + dot + 4)
                label = row.name if not crowded or len(row.name) <= 18 else row.name[:17] + "…"
                if total > LABEL_LIMIT:
                    label = ""
                nodes.append(Node(name=row.name, typ=typ, intensitaet=row.intensitaet, wichtigkeit=row.wichtigkeit,
                                  x=x, y=y, r=round(dot, 1), colour=COLOURS[typ], label_x=lx, label_y=ly,
                                  anchor="start" if math.cos(a) >= 0 else "end", label=label))
        angle = end
    return sectors, nodes, font
