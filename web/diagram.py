"""A procedure's state diagram, drawn on the server as SVG from the definition itself (no JavaScript, no CDN).

Why not a library: transitions' GraphMachine only emits graphviz or mermaid text, which needs graphviz
or mermaid.js to draw (library-notes §1.5); the one pure-Python layout package on PyPI (grandalf) is
unmaintained and leaves labels, ports and the SVG to us anyway. What this needs is small: a layered
("Sugiyama") drawing of at most a few dozen states, deterministic for a given definition.

The layout, top to bottom:
1. Edges: one per (from, to) pair of states, carrying the labels of every step between them. A step that
   stays in its stage (`dest: null`) is listed inside its state's box; one possible in every stage that is
   not terminal (e.g. attaching a record) is listed once under the diagram.
2. Cycles: a depth-first search from the initial state, taking steps in definition order, marks the edges
   back to a state on its current path (return for supplement, resume, ...). They are laid out reversed and
   drawn with their arrow pointing up.
3. Layers: a state's layer is its longest distance from the initial state over the remaining, acyclic
   edges. (Plain breadth-first distance puts a state that many paths end in, e.g. 已结案, beside the early
   stages, so the main flow would run upwards into it.) An edge spanning several layers passes through
   dummy points, one per layer in between.
4. Order within a layer: barycentre sweeps down and up, keeping the order with the fewest crossings.
5. Horizontal positions: each state is pulled towards its neighbours (long edges pulled straight) while
   keeping the order and the spacing (isotonic regression), sweeping down and up.
6. Labels sit on their edge in the gap between two layers, in rows, so that no two overlap; a gap grows
   to the rows it needs. A long edge puts its label in the least crowded gap it crosses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

from web.i18n import _
from workflow.definitions import Procedure, Transition

FONT = ('system-ui, -apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Noto Sans CJK SC", '
        '"Source Han Sans SC", "Microsoft YaHei", sans-serif')
STATE_SIZE, STEP_SIZE, EDGE_SIZE, NOTE_SIZE = 15, 12, 12, 12
LINE = 1.3  # line height, in font sizes
PAD_X, PAD_Y = 12, 8
BOX_TEXT_MAX = 220  # wrap width inside a box
BOX_MIN_W = 120
EDGE_TEXT_MAX = 132  # wrap width of an edge label
GAP_MIN = 64  # between two layers, before labels ask for more
GAP_PAD = 8
ROW = round(EDGE_SIZE * LINE)  # one row of edge labels
SEP_NODE, SEP_MIXED, SEP_DUMMY = 44, 26, 16  # horizontal spacing: box/box, box/line, line/line
MARGIN, TOP = 16, 40  # TOP leaves room for the start marker above the initial state
PORT_STEP = 14
LABEL_OFFSET = 5  # an edge label's distance from its line
INK, MUTED, LINE_INK, BRAND, TERMINAL_BG = "#1b1f24", "#59636e", "#59636e", "#8b1a1a", "#eef1f4"

Key = str  # a state name, or "~<edge>:<layer>" for a dummy point of a long edge


# ---------------------------------------------------------------- text measure


_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
_TOKENS = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]|\s+|[^\s\u2e80-\u9fff"
                     r"\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]+")
_CLOSING = set("，。、；：？！）》」』”’,.;:?!)")
_OPENING = set("（《「『“‘(")


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Estimated advance width of `text` in a sans-serif face (no font metrics on the server)."""
    width = 0.0
    for ch in text:
        if _CJK.match(ch):
            width += 1.0
        elif ch == " ":
            width += 0.32
        elif ch in "il.,:;'|!()[]ftrj":
            width += 0.34
        elif ch.isupper() or ch in "mwMW@%":
            width += 0.76
        else:
            width += 0.62
    return width * size * (1.08 if bold else 1.0)


def wrap(text: str, max_width: float, size: float, bold: bool = False) -> list[str]:
    """Greedy line breaking: between CJK characters, or at spaces; no line starts with closing punctuation or
    ends with an opening one."""
    lines: list[str] = []
    current = ""
    for token in _TOKENS.findall(text):
        if token.isspace():
            if current:
                current += " "
            continue
        candidate = current + token
        if current and text_width(candidate.rstrip(), size, bold) > max_width and token[0] not in _CLOSING:
            carry = ""
            while current and current[-1] in _OPENING and len(current) > 1:  # an opening bracket starts a line
                current, carry = current[:-1], current[-1] + carry
            lines.append(current.rstrip())
            current = carry + token
        else:
            current = candidate
    if current.strip():
        lines.append(current.rstrip())
    return lines or [""]


# ---------------------------------------------------------------- the graph


@dataclass
class Box:
    name: str
    title: list[str]
    steps: list[list[str]]  # each step within the stage, wrapped
    terminal: bool
    initial: bool
    w: float = 0
    h: float = 0
    x: float = 0  # centre
    y: float = 0  # top


@dataclass
class Edge:
    index: int
    src: str
    dst: str
    labels: list[str]
    back: bool = False
    chain: list[Key] = field(default_factory=list)  # top to bottom, endpoints included
    points: list[tuple[float, float]] = field(default_factory=list)  # in drawing direction (src to dst)
    label_lines: list[str] = field(default_factory=list)
    label_at: tuple[float, float] | None = None  # centre of the label block


@dataclass
class Diagram:
    boxes: dict[str, Box]
    edges: list[Edge]
    everywhere: list[str]  # steps possible in every stage that is not terminal
    layers: list[list[Key]]
    width: float = 0
    height: float = 0
    note_lines: list[str] = field(default_factory=list)


def _steps_within(procedure: Procedure) -> tuple[dict[str, list[Transition]], list[Transition]]:
    open_states = {s for s, st in procedure.states.items() if not st.terminal}
    within: dict[str, list[Transition]] = {s: [] for s in procedure.states}
    everywhere = []
    for t in procedure.transitions:
        if t.dest is not None and any(s != t.dest for s in t.sources):
            continue
        if len(open_states) > 2 and set(t.sources) >= open_states:
            everywhere.append(t)
            continue
        for s in t.sources:
            within[s].append(t)
    return within, everywhere


def build(procedure: Procedure, lang: str = "zh") -> Diagram:
    within, everywhere = _steps_within(procedure)
    boxes = {}
    for name, state in procedure.states.items():
        title = wrap(state.label.get(lang), BOX_TEXT_MAX, STATE_SIZE, bold=True)
        steps = [wrap("· " + t.label.get(lang), BOX_TEXT_MAX, STEP_SIZE) for t in within[name]]
        box = Box(name, title, steps, state.terminal, name == procedure.initial)
        widest = max([text_width(line, STATE_SIZE, bold=True) for line in title]
                     + [text_width(line, STEP_SIZE) for step in steps for line in step])
        box.w = max(BOX_MIN_W, round(widest + 2 * PAD_X))
        box.h = round(2 * PAD_Y + len(title) * STATE_SIZE * LINE
                      + (6 + sum(len(s) for s in steps) * STEP_SIZE * LINE if steps else 0))
        boxes[name] = box
    pairs: dict[tuple[str, str], Edge] = {}
    for t in procedure.transitions:
        for s in t.sources:
            if t.dest is None or t.dest == s:
                continue
            edge = pairs.setdefault((s, t.dest), Edge(len(pairs), s, t.dest, []))
            edge.labels.append(t.label.get(lang))
    edges = list(pairs.values())
    for e in edges:  # several steps between the same two stages: one arrow, its labels listed
        bullet = "· " if len(e.labels) > 1 else ""
        e.label_lines = [(bullet if i == 0 else "\u2002" if bullet else "") + line for label in e.labels
                         for i, line in enumerate(wrap(label, EDGE_TEXT_MAX, EDGE_SIZE))]
    diagram = Diagram(boxes, edges, [t.label.get(lang) for t in everywhere], [])
    _layout(diagram, procedure.initial, list(procedure.states))
    return diagram


# ---------------------------------------------------------------- layout


def _mark_back_edges(edges: list[Edge], initial: str, states: list[str]) -> list[str]:
    """Depth-first from the initial state (steps in definition order); returns the discovery order."""
    out: dict[str, list[Edge]] = {s: [] for s in states}
    for e in edges:
        out[e.src].append(e)
    seen: set[str] = set()
    on_path: set[str] = set()
    order: list[str] = []

    def visit(root: str) -> None:
        stack: list[tuple[str, int]] = [(root, 0)]
        seen.add(root)
        on_path.add(root)
        order.append(root)
        while stack:
            node, i = stack[-1]
            if i == len(out[node]):
                stack.pop()
                on_path.discard(node)
                continue
            stack[-1] = (node, i + 1)
            e = out[node][i]
            if e.dst in on_path:
                e.back = True
            elif e.dst not in seen:
                seen.add(e.dst)
                on_path.add(e.dst)
                order.append(e.dst)
                stack.append((e.dst, 0))

    for s in [initial, *states]:
        if s not in seen:
            visit(s)
    return order


def _ranks(edges: list[Edge], order: list[str]) -> dict[str, int]:
    """Longest path from the sources over the forward edges (a DAG), in discovery order."""
    preds: dict[str, list[str]] = {s: [] for s in order}
    succs: dict[str, list[str]] = {s: [] for s in order}
    for e in edges:
        if not e.back:
            preds[e.dst].append(e.src)
            succs[e.src].append(e.dst)
    waiting = {s: len(p) for s, p in preds.items()}
    ready = [s for s in order if waiting[s] == 0]
    rank = dict.fromkeys(order, 0)
    position = {s: i for i, s in enumerate(order)}
    while ready:
        ready.sort(key=position.__getitem__)
        node = ready.pop(0)
        for nxt in succs[node]:
            rank[nxt] = max(rank[nxt], rank[node] + 1)
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                ready.append(nxt)
    return rank


def _crossings(upper: Sequence[Key], lower: Sequence[Key], links: list[tuple[Key, Key]]) -> int:
    pu = {k: i for i, k in enumerate(upper)}
    pl = {k: i for i, k in enumerate(lower)}
    segs = [(pu[a], pl[b]) for a, b in links if a in pu and b in pl]
    return sum(1 for i, (a1, b1) in enumerate(segs) for a2, b2 in segs[i + 1:] if (a1 - a2) * (b1 - b2) < 0)


def _isotonic_place(desired: list[float], weights: list[float], seps: list[float]) -> list[float]:
    """Positions closest (weighted least squares) to `desired`, in order, each at least `seps[i]` apart."""
    offsets = [0.0]
    for s in seps:
        offsets.append(offsets[-1] + s)
    blocks: list[list[float]] = []  # [weight, weighted sum, count]
    for d, w, o in zip(desired, weights, offsets, strict=True):
        blocks.append([w, w * (d - o), 1])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][0] > blocks[-1][1] / blocks[-1][0]:
            w2, s2, c2 = blocks.pop()
            blocks[-1][0] += w2
            blocks[-1][1] += s2
            blocks[-1][2] += c2
    values: list[float] = []
    for w, s, c in blocks:
        values.extend([s / w] * int(c))
    return [v + o for v, o in zip(values, offsets, strict=True)]


def _layout(d: Diagram, initial: str, states: list[str]) -> None:
    order = _mark_back_edges(d.edges, initial, states)
    rank = _ranks(d.edges, order)
    nlayers = max(rank.values()) + 1
    layers: list[list[Key]] = [[] for _ in range(nlayers)]
    for s in order:
        layers[rank[s]].append(s)
    links: list[tuple[Key, Key]] = []  # (upper, lower) between adjacent layers
    for e in d.edges:
        top, bottom = (e.dst, e.src) if e.back else (e.src, e.dst)
        chain: list[Key] = [top]
        for r in range(rank[top] + 1, rank[bottom]):
            dummy = f"~{e.index}:{r}"
            layers[r].append(dummy)
            chain.append(dummy)
        chain.append(bottom)
        e.chain = chain
        links.extend(zip(chain, chain[1:], strict=False))
    up: dict[Key, list[Key]] = {k: [] for layer in layers for k in layer}
    down: dict[Key, list[Key]] = {k: [] for layer in layers for k in layer}
    for a, b in links:
        down[a].append(b)
        up[b].append(a)

    # 4. order within layers: barycentre sweeps, keep the best
    def total(ls: list[list[Key]]) -> int:
        return sum(_crossings(ls[i], ls[i + 1], links) for i in range(len(ls) - 1))

    best, best_count = [list(layer) for layer in layers], total(layers)
    for sweep in range(8):
        rng = range(1, nlayers) if sweep % 2 == 0 else range(nlayers - 2, -1, -1)
        for i in rng:
            ref = layers[i - 1] if sweep % 2 == 0 else layers[i + 1]
            pos = {k: j for j, k in enumerate(ref)}
            near = up if sweep % 2 == 0 else down
            current = {k: j for j, k in enumerate(layers[i])}

            def bary(k: Key, pos: dict[Key, int] = pos, near: dict[Key, list[Key]] = near,
                     current: dict[Key, int] = current) -> float:
                ns = [pos[n] for n in near[k] if n in pos]
                return sum(ns) / len(ns) if ns else current[k] * len(pos) / max(1, len(current))

            layers[i].sort(key=lambda k, bary=bary, current=current: (bary(k), current[k]))
        count = total(layers)
        if count < best_count:
            best, best_count = [list(layer) for layer in layers], count
    d.layers = layers = best

    # 5. horizontal positions
    def width(k: Key) -> float:
        return d.boxes[k].w if k in d.boxes else 0.0

    def sep(a: Key, b: Key) -> float:
        real = (a in d.boxes) + (b in d.boxes)
        return (width(a) + width(b)) / 2 + (SEP_NODE, SEP_MIXED, SEP_DUMMY)[2 - real]

    x: dict[Key, float] = {}
    for layer in layers:
        pos = 0.0
        for j, k in enumerate(layer):
            if j:
                pos += sep(layer[j - 1], k)
            x[k] = pos
        shift = pos / 2
        for k in layer:
            x[k] -= shift

    def pull(i: int, neighbours: Callable[[Key], list[Key]]) -> None:
        """Sugiyama's priority method: states joined to a state first (the flow runs straight), then long edges
        (kept straight), then the rest; each moves towards the mean of its neighbours in the layer before,
        pushing only what has a lower priority aside."""
        layer = layers[i]
        n = len(layer)
        xs = [x[k] for k in layer]
        seps = [sep(a, b) for a, b in zip(layer, layer[1:], strict=False)]
        prio = [1000.0 if k not in d.boxes else len(neighbours(k)) + (2000.0 if any(
            m in d.boxes for m in neighbours(k)) else 0.0) for k in layer]
        fixed = [False] * n
        for j in sorted(range(n), key=lambda j: (-prio[j], j)):
            ns = neighbours(layer[j])
            if layer[j] in d.boxes and any(m in d.boxes for m in ns):
                ns = [m for m in ns if m in d.boxes]  # a state follows the states it joins, not passing lines
            if ns:
                target = sum(x[m] for m in ns) / len(ns)
                if target > xs[j]:
                    limit, gap = float("inf"), 0.0
                    for m in range(j + 1, n):
                        gap += seps[m - 1]
                        if fixed[m]:
                            limit = xs[m] - gap
                            break
                    xs[j] = max(xs[j], min(target, limit))
                    for m in range(j + 1, n):
                        xs[m] = max(xs[m], xs[m - 1] + seps[m - 1])
                else:
                    limit, gap = float("-inf"), 0.0
                    for m in range(j - 1, -1, -1):
                        gap += seps[m]
                        if fixed[m]:
                            limit = xs[m] + gap
                            break
                    xs[j] = min(xs[j], max(target, limit))
                    for m in range(j - 1, -1, -1):
                        xs[m] = min(xs[m], xs[m + 1] - seps[m])
            fixed[j] = True
        for k, v in zip(layer, xs, strict=True):
            x[k] = v

    for _sweep in range(4):
        for i in range(1, nlayers):
            pull(i, lambda k: up[k])
        for i in range(nlayers - 2, -1, -1):
            pull(i, lambda k: down[k])
    for i in range(1, nlayers):
        pull(i, lambda k: up[k])

    # 6. vertical positions, ports, edge routes, labels (a gap grows until its labels fit)
    heights = [max((d.boxes[k].h for k in layer if k in d.boxes), default=0) for layer in layers]
    gap_rows = [0] * max(0, nlayers - 1)
    for _round in range(10):
        gaps = [max(GAP_MIN, 2 * GAP_PAD + rows * ROW) for rows in gap_rows]
        tops = [float(TOP)]
        for i in range(1, nlayers):
            tops.append(tops[-1] + heights[i - 1] + gaps[i - 1])
        _route(d, x, tops, heights)
        needed = _place_labels(d, tops, heights, gaps)
        if all(n <= (g - 2 * GAP_PAD) // ROW for n, g in zip(needed, gaps, strict=True)):
            break  # every label lies inside its gap
        gap_rows = [max(a, b) for a, b in zip(gap_rows, needed, strict=True)]
    _fit(d)


def _route(d: Diagram, x: dict[Key, float], tops: list[float], heights: list[float]) -> None:
    layer_of = {k: i for i, layer in enumerate(d.layers) for k in layer}
    for name, box in d.boxes.items():
        box.x, box.y = x[name], tops[layer_of[name]]
    # ports: the ends on a box's bottom (top) side, spread in the order of where their edges go
    ports: dict[tuple[Key, Key, int], float] = {}
    for name, box in d.boxes.items():
        for side in ("bottom", "top"):
            ends = []
            for e in d.edges:
                chain = e.chain
                for j, k in enumerate(chain):
                    if k != name:
                        continue
                    other = chain[j + 1] if side == "bottom" and j + 1 < len(chain) else \
                        chain[j - 1] if side == "top" and j > 0 else None
                    if other is not None:
                        ends.append((x[other], e.index, other))
            ends.sort()
            n = len(ends)
            step = min(PORT_STEP, (box.w - 2 * PAD_X) / max(1, n - 1)) if n > 1 else 0
            for j, (_ox, index, other) in enumerate(ends):
                ports[(name, other, index)] = box.x + (j - (n - 1) / 2) * step
    for e in d.edges:
        pts: list[tuple[float, float]] = []
        for j, k in enumerate(e.chain):
            i = layer_of[k]
            if k in d.boxes:
                box = d.boxes[k]
                if j > 0:  # arriving from above: the box's top side
                    px = ports[(k, e.chain[j - 1], e.index)]
                    pts += [(px, tops[i]), (px, box.y)]
                if j < len(e.chain) - 1:  # leaving downwards: the bottom side, then down to the layer's floor
                    px = ports[(k, e.chain[j + 1], e.index)]
                    pts += [(px, box.y + box.h), (px, tops[i] + heights[i])]
            else:
                pts += [(x[k], tops[i]), (x[k], tops[i] + heights[i])]
        dedup = [pts[0]]
        for p in pts[1:]:
            if p != dedup[-1]:
                dedup.append(p)
        e.points = list(reversed(dedup)) if e.back else dedup


def _gap_segments(e: Edge, tops: list[float], heights: list[float]) -> list[tuple[int, tuple[float, float],
                                                                                      tuple[float, float]]]:
    """(gap index, upper point, lower point) of each curve of an edge between two layers, nearest its
    source first."""
    floors = {round(t + h, 2): i for i, (t, h) in enumerate(zip(tops, heights, strict=True))}
    pts = list(reversed(e.points)) if e.back else e.points  # top to bottom
    out = []
    for a, b in zip(pts, pts[1:], strict=False):
        gap = floors.get(round(a[1], 2))
        if gap is not None and gap + 1 < len(tops) and abs(b[1] - tops[gap + 1]) < 0.01:
            out.append((gap, a, b))
    return out[::-1] if e.back else out


def _curve_x(a: tuple[float, float], b: tuple[float, float], f: float) -> float:
    """x where the curve from a down to b (vertical tangents at both ends) is at the fraction f of its height."""
    lo, hi = 0.0, 1.0
    for _step in range(30):  # y(t) is monotone: bisect
        t = (lo + hi) / 2
        if _bezier(0.0, 0.5, 0.5, 1.0, t) < f:
            lo = t
        else:
            hi = t
    return _bezier(a[0], a[0], b[0], b[0], (lo + hi) / 2)


def _bezier(p0: float, p1: float, p2: float, p3: float, t: float) -> float:
    s = 1 - t
    return s * s * s * p0 + 3 * s * s * t * p1 + 3 * s * t * t * p2 + t * t * t * p3


def _place_labels(d: Diagram, tops: list[float], heights: list[float], gaps: list[float]) -> list[int]:
    """Put each edge's label on the edge in a gap, in rows, without overlaps; return the rows each gap needs."""
    segments = {e.index: _gap_segments(e, tops, heights) for e in d.edges}
    load = [0] * len(gaps)
    chosen: dict[int, tuple[int, tuple[float, float], tuple[float, float]]] = {}
    for e in sorted(d.edges, key=lambda e: (len(segments[e.index]), e.index)):
        options = segments[e.index]
        if not options:
            continue
        pick = min(options, key=lambda o: (load[o[0]], options.index(o)))
        chosen[e.index] = pick
        load[pick[0]] += len(e.label_lines)
    needed = [0] * len(gaps)
    by_gap: dict[int, list[Edge]] = {}
    for e in d.edges:
        if e.index in chosen:
            by_gap.setdefault(chosen[e.index][0], []).append(e)
    for gap, members in by_gap.items():
        rows_available = max(1, int((gaps[gap] - 2 * GAP_PAD) // ROW))
        top = tops[gap] + heights[gap]
        lines = [(e.index, a, b) for e in d.edges for g, a, b in segments[e.index] if g == gap]
        placed: list[tuple[int, int, float, float]] = []  # row from, row to, x from, x to
        members.sort(key=lambda e: (_curve_x(chosen[e.index][1], chosen[e.index][2], 0.5), e.index))
        rows_used = 0
        for e in members:
            _g, a, b = chosen[e.index]
            n = len(e.label_lines)
            w = max(text_width(line, EDGE_SIZE) for line in e.label_lines) + 6
            fit = max(rows_available, n) - n
            rows = sorted(range(fit + 1), key=lambda r, fit=fit: (abs(r - fit / 2), r))
            spot = None
            for strict in (True, False):  # first try to cover no other line, then only no other label
                for r in [*rows, *range(fit + 1, fit + (4 if strict else 40))]:
                    cy = GAP_PAD + (r + n / 2) * ROW
                    f = min(max(cy / gaps[gap], 0.0), 1.0)
                    cx = _curve_x(a, b, f)
                    others = [_curve_x(p, q, min(max((GAP_PAD + (r + k / 2) * ROW) / gaps[gap], 0.0), 1.0))
                              for k in range(2 * n + 1) for i, p, q in lines if i != e.index] if strict else []
                    for x1 in (cx + LABEL_OFFSET, cx - LABEL_OFFSET - w):  # right of the line, else left
                        x2 = x1 + w
                        if any(r < r2 and r + n > r1 and x1 < b2 and x2 > b1 for r1, r2, b1, b2 in placed):
                            continue
                        if any(x1 - 2 < ox < x2 + 2 for ox in others):
                            continue
                        spot = (r, x1, top + cy)
                        break
                    if spot:
                        break
                if spot:
                    break
            assert spot is not None
            r, x1, cy = spot
            placed.append((r, r + n, x1, x1 + w))
            rows_used = max(rows_used, r + n)
            e.label_at = (x1 + w / 2, cy)
        needed[gap] = rows_used
    return needed


def _fit(d: Diagram) -> None:
    """Move everything into view (labels included) and set the size."""
    xs = [b.x - b.w / 2 for b in d.boxes.values()] + [p[0] for e in d.edges for p in e.points]
    xe = [b.x + b.w / 2 for b in d.boxes.values()] + [p[0] for e in d.edges for p in e.points]
    ye = [b.y + b.h for b in d.boxes.values()]
    for e in d.edges:
        if e.label_at:
            w = max(text_width(line, EDGE_SIZE) for line in e.label_lines) + 6
            xs.append(e.label_at[0] - w / 2)
            xe.append(e.label_at[0] + w / 2)
    shift = MARGIN - min(xs)
    for b in d.boxes.values():
        b.x += shift
    for e in d.edges:
        e.points = [(px + shift, py) for px, py in e.points]
        if e.label_at:
            e.label_at = (e.label_at[0] + shift, e.label_at[1])
    d.width = max(xe) + shift + MARGIN
    height = max(ye) + MARGIN
    if d.everywhere:
        note = _("各未终结阶段均可办理：") + _("、").join(d.everywhere)
        d.note_lines = wrap(note, max(d.width - 2 * MARGIN, 240), NOTE_SIZE)
        height += len(d.note_lines) * NOTE_SIZE * LINE + 4
        d.width = max(d.width, max(text_width(line, NOTE_SIZE) for line in d.note_lines) + 2 * MARGIN)
    d.height = height


# ---------------------------------------------------------------- SVG


def _f(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, lines: list[str], size: int, anchor: str = "middle", weight: str = "normal",
          fill: str = INK, cls: str = "") -> str:
    """A block of lines; y is the baseline of the first line."""
    attrs = f'x="{_f(x)}" y="{_f(y)}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"'
    if weight != "normal":
        attrs += f' font-weight="{weight}"'
    if cls:
        attrs += f' class="{cls}"'
    spans = "".join(f'<tspan x="{_f(x)}" dy="{0 if i == 0 else _f(size * LINE)}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return f"<text {attrs}>{spans}</text>"


def _path(points: list[tuple[float, float]]) -> str:
    """Straight where vertical, a curve with vertical tangents where the edge changes column."""
    (x0, y0), rest = points[0], points[1:]
    parts = [f"M{_f(x0)},{_f(y0)}"]
    px, py = x0, y0
    for x1, y1 in rest:
        if abs(x1 - px) < 0.01:
            parts.append(f"L{_f(x1)},{_f(y1)}")
        else:
            my = (py + y1) / 2
            parts.append(f"C{_f(px)},{_f(my)} {_f(x1)},{_f(my)} {_f(x1)},{_f(y1)}")
        px, py = x1, y1
    return " ".join(parts)


def render(procedure: Procedure, lang: str = "zh", element_id: str = "diagram") -> str:
    """The diagram as a standalone, well-formed SVG document fragment (an <svg> element)."""
    d = build(procedure, lang)
    title = _("{procedure}（第{version}版）状态图", procedure=procedure.label.get(lang),
                    version=procedure.version)
    desc = describe(procedure, lang)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="state-diagram" role="img" '
           f'width="{_f(d.width)}" height="{_f(d.height)}" viewBox="0 0 {_f(d.width)} {_f(d.height)}" '
           f'font-family="{escape(FONT)}" aria-labelledby="{element_id}-title {element_id}-desc">',
           f'<title id="{element_id}-title">{escape(title)}</title>',
           f'<desc id="{element_id}-desc">{escape(desc)}</desc>',
           f'<defs><marker id="{element_id}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
           f'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" '
           f'fill="{LINE_INK}"/></marker></defs>']
    for e in d.edges:
        out.append(f'<path class="edge{" back" if e.back else ""}" d="{_path(e.points)}" fill="none" '
                   f'stroke="{LINE_INK}" stroke-width="1.3" marker-end="url(#{element_id}-arrow)"/>')
    for e in d.edges:
        if not e.label_at:
            continue
        cx, cy = e.label_at
        n = len(e.label_lines)
        w = max(text_width(line, EDGE_SIZE) for line in e.label_lines) + 6
        out.append(f'<rect x="{_f(cx - w / 2)}" y="{_f(cy - n * ROW / 2)}" width="{_f(w)}" height="{_f(n * ROW)}" '
                   f'fill="#ffffff" fill-opacity="0.92" rx="2"/>')
        out.append(_text(cx - w / 2 + 3, cy - n * ROW / 2 + EDGE_SIZE * 0.95, e.label_lines, EDGE_SIZE,
                         anchor="start", fill=INK, cls="edge-label"))
    for box in d.boxes.values():
        left, top = box.x - box.w / 2, box.y
        fill = TERMINAL_BG if box.terminal else "#ffffff"
        stroke = BRAND if box.initial else INK
        out.append(f'<g class="state{" terminal" if box.terminal else ""}{" initial" if box.initial else ""}">')
        out.append(f'<rect x="{_f(left)}" y="{_f(top)}" width="{_f(box.w)}" height="{_f(box.h)}" rx="6" '
                   f'fill="{fill}" stroke="{stroke}" stroke-width="{2 if box.initial else 1.3}"/>')
        if box.terminal:
            out.append(f'<rect x="{_f(left + 3.5)}" y="{_f(top + 3.5)}" width="{_f(box.w - 7)}" '
                       f'height="{_f(box.h - 7)}" rx="4" fill="none" stroke="{INK}" stroke-width="1"/>')
        baseline = top + PAD_Y + STATE_SIZE * 0.95
        out.append(_text(box.x, baseline, box.title, STATE_SIZE, weight="600", cls="state-label"))
        if box.steps:
            sep_y = top + PAD_Y + len(box.title) * STATE_SIZE * LINE + 2
            out.append(f'<line x1="{_f(left + 6)}" y1="{_f(sep_y)}" x2="{_f(left + box.w - 6)}" y2="{_f(sep_y)}" '
                       f'stroke="{MUTED}" stroke-width="0.6"/>')
            lines = [line if i == 0 else "\u2002" + line for step in box.steps for i, line in enumerate(step)]
            out.append(_text(left + PAD_X, sep_y + 4 + STEP_SIZE * 0.95, lines, STEP_SIZE, anchor="start",
                             fill=MUTED, cls="step-within"))
        out.append("</g>")
        if box.initial:
            out.append(f'<circle cx="{_f(box.x)}" cy="{_f(top - 30)}" r="6" fill="{INK}"/>')
            out.append(f'<path d="M{_f(box.x)},{_f(top - 24)} L{_f(box.x)},{_f(top)}" stroke="{LINE_INK}" '
                       f'stroke-width="1.3" marker-end="url(#{element_id}-arrow)"/>')
    if d.note_lines:
        y = max(b.y + b.h for b in d.boxes.values()) + MARGIN + NOTE_SIZE * 0.95
        out.append(_text(MARGIN, y, d.note_lines, NOTE_SIZE, anchor="start", fill=MUTED, cls="note"))
    out.append("</svg>")
    return "\n".join(out)


def describe(procedure: Procedure, lang: str = "zh") -> str:
    """The diagram in words, for its <desc>: the same facts as the tables under it."""
    states = procedure.states

    def st(name: str) -> str:
        return states[name].label.get(lang)

    terminal = [st(s) for s, v in states.items() if v.terminal]
    moves = []
    for t in procedure.transitions:
        if t.dest is None:
            continue
        moves.append(_("{sources}经「{step}」至{dest}", sources=_("、").join(st(s) for s in t.sources),
                             step=t.label.get(lang), dest=st(t.dest)))
    return _("共{states}个阶段、{steps}个步骤，自「{initial}」开始；终结阶段：{terminal}。", states=len(states),
                   steps=len(procedure.transitions), initial=st(procedure.initial),
                   terminal=_("、").join(terminal) or _("无")) + _("；").join(moves) + \
        _("。") + _("阶段内的步骤列在各阶段框内；下方表格载有同样的内容。")
