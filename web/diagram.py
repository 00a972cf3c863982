"""A procedure's state diagram: DOT text built from the definition, laid out and drawn as SVG by Graphviz `dot`
on the server (Debian package `graphviz`; no JavaScript, no download).

What the DOT says, all from the definition: one box per state (terminal states framed twice, the initial
state marked by a dot above it); one arrow per pair of states, labelled with the Chinese (or English) names of
every step between them; the steps that stay in their stage (`dest: null`) listed inside the box; a step
possible in every stage that is not terminal (attaching a record) named once under the diagram. With a
`Highlight` (a case's page), the case's current state and the steps it has taken are drawn in the house red.

Labels are HTML-like DOT labels: every text is XML-escaped (`html.escape`) and its backslashes doubled (dot
would otherwise expand `\\N` to the node's name even there); the few quoted attributes (ids,
classes) are escaped as DOT strings. `dot` runs without a shell, with a timeout, and each drawing is cached
in memory per procedure version, language and highlight (they are all in the DOT text, which is the cache
key). Without `dot` (or if it fails) `render` returns None and the page
says the diagram is unavailable; the tables on the page say the same things.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import threading
import xml.etree.ElementTree as ET
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from web.i18n import _
from workflow.definitions import Procedure, Transition

log = logging.getLogger(__name__)

DOT_COMMAND = "dot"  # found on PATH (/usr/bin/dot from Debian's graphviz)
TIMEOUT_SECONDS = 10
CACHE_SIZE = 256
FONT = "Noto Sans CJK SC"  # fonts-noto-cjk; dot measures the text with it, so the boxes fit their labels
FONT_STACK = f'"{FONT}", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'  # for the browser
INK, MUTED, BRAND, TERMINAL_BG = "#1b1f24", "#59636e", "#8b1a1a", "#eef1f4"
CURRENT_BG, VISITED_BG = "#f8e3e3", "#fbf3f3"
BOX_TEXT_MAX, EDGE_TEXT_MAX = 16, 10  # wrap widths, in CJK characters (a Latin letter counts as half)
SVG_NS = "http://www.w3.org/2000/svg"
START = '"start-marker"'  # the dot above the initial state: a hyphen, so no state (a-z, 0-9, _) has its name


@dataclass(frozen=True)
class Highlight:
    """What a case's page marks: its current state, and the steps it has taken as (from, to) pairs."""

    state: str
    path: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def of(cls, state: str, moves: Iterable[tuple[str | None, str | None]]) -> Highlight:
        return cls(state, frozenset((a, b) for a, b in moves if a and b and a != b))

    @property
    def visited(self) -> frozenset[str]:
        return frozenset(s for move in self.path for s in move)


# ---------------------------------------------------------------- text


def _width(ch: str) -> float:
    return 1.0 if ord(ch) >= 0x2E80 else 0.55


def wrap(text: str, max_width: float, balance: bool = False) -> list[str]:
    """Break a label into lines of at most `max_width` (CJK characters; a Latin letter counts half): between
    CJK characters or at spaces, never before closing punctuation. `balance`: lines of about equal width, as
    few as without it (an edge label then never ends in a lone character)."""
    lines = _greedy(text, max_width)
    if balance and len(lines) > 1:
        even = _greedy(text, sum(_width(c) for c in text) / len(lines) + 0.5)
        if len(even) == len(lines):
            return even
    return lines


def _greedy(text: str, max_width: float) -> list[str]:
    lines: list[str] = []
    current, width = "", 0.0
    for word in _words(text):
        w = sum(_width(c) for c in word)
        if current and width + w > max_width and word[0] not in "，。、；：？！）》」』”’,.;:?!)":
            lines.append(current.rstrip())
            current, width = word.lstrip(), sum(_width(c) for c in word.lstrip())
        else:
            current, width = current + word, width + w
    if current.strip():
        lines.append(current.rstrip())
    return lines or [""]


def _words(text: str) -> list[str]:
    """A CJK character is a word; a run of other characters is one, with the space before it."""
    out: list[str] = []
    for ch in text:
        if ord(ch) >= 0x2E80 or not out or ord(out[-1][-1]) >= 0x2E80 or ch == " ":
            out.append(ch)
        else:
            out[-1] += ch
    return out


def _html(text: str) -> str:
    """Text inside an HTML-like DOT label: XML-escaped, and each backslash doubled, since dot expands \\N, \\G ...
    (node name, graph name) even there and reads a doubled one as one (a character reference would not do)."""
    return escape(text).replace("\\", "\\\\")


def _lines(lines: list[str]) -> str:
    return '<BR ALIGN="LEFT"/>'.join(_html(line) for line in lines) + '<BR ALIGN="LEFT"/>'


def _q(value: str) -> str:
    """A DOT quoted string (ids and classes; never a label)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------- DOT


def steps_within(procedure: Procedure) -> tuple[dict[str, list[Transition]], list[Transition]]:
    """The steps listed inside each state's box (they stay in the stage), and those possible in every stage
    that is not terminal (named once under the diagram)."""
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


def dot_source(procedure: Procedure, lang: str = "zh", highlight: Highlight | None = None) -> str:
    """The diagram as DOT text (deterministic: the definition's order of states and steps)."""
    within, everywhere = steps_within(procedure)
    visited = highlight.visited if highlight else frozenset()
    out = [
        "digraph procedure {",
        f'  graph [rankdir=TB, fontname={_q(FONT)}, fontsize=9.5, fontcolor="{MUTED}", nodesep=0.35, ranksep=0.45, '
        'bgcolor="transparent", pad=0.2];',
        f'  node [shape=box, style="rounded,filled", fillcolor="#ffffff", color="{INK}", fontname={_q(FONT)}, '
        f'fontsize=11.5, fontcolor="{INK}", margin="0.12,0.06", penwidth=1.2];',
        f'  edge [fontname={_q(FONT)}, fontsize=9.5, fontcolor="{INK}", color="{MUTED}", arrowsize=0.7, '
        'penwidth=1.2];',
        f'  {START} [shape=point, width=0.14, style=filled, fillcolor="{INK}", color="{INK}", label="", '
        'id="diagram-start", class="start"];',
    ]
    for name, state in procedure.states.items():
        title = "<BR/>".join(f"<B>{_html(line)}</B>" for line in wrap(state.label.get(lang), BOX_TEXT_MAX))
        rows = f"<TR><TD>{title}</TD></TR>"
        if within[name]:
            lines = [("· " if i == 0 else "\u2002 ") + line for t in within[name]
                     for i, line in enumerate(wrap(t.label.get(lang), BOX_TEXT_MAX))]
            rows += f'<HR/><TR><TD ALIGN="LEFT" BALIGN="LEFT"><FONT POINT-SIZE="9.5" COLOR="{MUTED}">' \
                    f"{_lines(lines)}</FONT></TD></TR>"
        label = f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="1">{rows}</TABLE>>'
        classes = ["state"]
        attrs = [f"label={label}", f"id={_q('diagram-state-' + name)}"]
        if state.terminal:
            classes.append("terminal")
            attrs += ["peripheries=2", 'style="filled"', f'fillcolor="{TERMINAL_BG}"']
        if name == procedure.initial:
            classes.append("initial")
        if highlight and name == highlight.state:
            classes.append("current")
            attrs += [f'color="{BRAND}"', "penwidth=2.6", f'fillcolor="{CURRENT_BG}"']
        elif name in visited:
            classes.append("visited")
            attrs += [f'color="{BRAND}"', f'fillcolor="{VISITED_BG}"']
        attrs.append(f"class={_q(' '.join(classes))}")
        out.append(f"  {_q(name)} [{', '.join(attrs)}];")  # quoted: a state may be named like a keyword
    out.append(f"  {START} -> {_q(procedure.initial)} [class=\"start\", arrowsize=0.6];")
    pairs: dict[tuple[str, str], list[str]] = {}
    for t in procedure.transitions:
        for s in t.sources:
            if t.dest is not None and t.dest != s:
                pairs.setdefault((s, t.dest), []).append(t.label.get(lang))
    for i, ((src, dst), labels) in enumerate(pairs.items(), 1):
        bullet = len(labels) > 1  # several steps between the same two stages: one arrow, its steps listed
        lines = [("· " if j == 0 else "\u2002 ") + line if bullet else line for label in labels
                 for j, line in enumerate(wrap(label, EDGE_TEXT_MAX, balance=True))]
        attrs = [f"label=<{_lines(lines)}>", f"id={_q(f'diagram-edge-{i}')}"]
        taken = highlight is not None and (src, dst) in highlight.path
        if taken:
            attrs += [f'color="{BRAND}"', "penwidth=2.2", f'fontcolor="{BRAND}"']
        attrs.append(f"class={_q('step taken' if taken else 'step')}")
        out.append(f"  {_q(src)} -> {_q(dst)} [{', '.join(attrs)}];")
    if everywhere:
        note = _("各未终结阶段均可办理：") + _("、").join(t.label.get(lang) for t in everywhere)
        out.append(f"  label=<{_lines(wrap(note, 48))}>; labelloc=b; labeljust=l;")
    out.append("}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- dot, cache, SVG


_cache: OrderedDict[str, str] = OrderedDict()
_lock = threading.Lock()


def _run_dot(source: str) -> str | None:
    """`dot -Tsvg` on the source (no shell, with a timeout); None when dot is missing or fails."""
    command = shutil.which(DOT_COMMAND)
    if command is None:
        log.warning("state diagram unavailable: Graphviz `%s` not found (Debian package graphviz)", DOT_COMMAND)
        return None
    try:
        done = subprocess.run([command, "-Tsvg"], input=source.encode("utf-8"), capture_output=True,
                              timeout=TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("state diagram unavailable: %s", exc)
        return None
    if done.returncode != 0:
        log.warning("state diagram unavailable: dot exited %s: %s", done.returncode,
                    done.stderr.decode("utf-8", "replace")[:500])
        return None
    return done.stdout.decode("utf-8")


def _svg(procedure: Procedure, lang: str, highlight: Highlight | None) -> str | None:
    source = dot_source(procedure, lang, highlight)
    key = hashlib.sha256(source.encode("utf-8")).hexdigest()
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    drawn = _run_dot(source)
    if drawn is None:
        return None  # not cached: dot may be installed later
    with _lock:
        _cache[key] = drawn
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return drawn


def clear_cache() -> None:
    """Forget every drawing (a test that removes dot; an operator never needs it: the key is the DOT text)."""
    with _lock:
        _cache.clear()


def render(procedure: Procedure, lang: str = "zh", highlight: Highlight | None = None,
           element_id: str = "diagram") -> str | None:
    """The diagram as one <svg> element (for inline use or as a file), or None when Graphviz is unavailable."""
    drawn = _svg(procedure, lang, highlight)
    if drawn is None:
        return None
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ET.fromstring(drawn)  # dot's own output: parsed, not patched as text
    ns = f"{{{SVG_NS}}}"
    for old in root.findall(f"{ns}title"):
        root.remove(old)
    root.set("class", "state-diagram")
    root.set("role", "img")
    root.set("aria-labelledby", f"{element_id}-title {element_id}-desc")
    title = ET.Element(f"{ns}title", {"id": f"{element_id}-title"})
    title.text = _("{procedure}（第{version}版）状态图", procedure=procedure.label.get(lang),
                   version=procedure.version)
    desc = ET.Element(f"{ns}desc", {"id": f"{element_id}-desc"})
    desc.text = describe(procedure, lang, highlight)
    root.insert(0, desc)
    root.insert(0, title)
    for text in root.iter(f"{ns}text"):
        if text.get("font-family") == FONT:
            text.set("font-family", FONT_STACK)
    graph = root.find(f"{ns}g")
    if graph is not None:
        for old in graph.findall(f"{ns}title"):  # dot names the graph "procedure": no use to a reader
            graph.remove(old)
    return ET.tostring(root, encoding="unicode")


def describe(procedure: Procedure, lang: str = "zh", highlight: Highlight | None = None) -> str:
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
    text = _("共{states}个阶段、{steps}个步骤，自「{initial}」开始；终结阶段：{terminal}。", states=len(states),
             steps=len(procedure.transitions), initial=st(procedure.initial),
             terminal=_("、").join(terminal) or _("无")) + _("；").join(moves) + \
        _("。") + _("阶段内的步骤列在各阶段框内；下方表格载有同样的内容。")
    if highlight is not None and highlight.state in states:
        text += _("本案现处于「{state}」阶段。", state=st(highlight.state))
    return text
