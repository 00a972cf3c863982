"""The state diagram drawn by Graphviz from a definition (web/diagram.py): every state and step of each shipped
definition is in the SVG, a case's current stage and the steps it took are marked, labels are escaped for DOT,
drawings are cached, and without `dot` the pages still work and say the diagram is unavailable. The SVG is
read with lxml."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel
from lxml import etree, html

from tests.web.helpers import new_case, text
from web import diagram
from workflow.definitions import Procedure, load_registry

SHIPPED = sorted(load_registry().all(), key=lambda p: (p.id, p.version))
NS = {"s": "http://www.w3.org/2000/svg"}
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
once = pytest.mark.one_database  # page wording: one database (tests/conftest.py)


@pytest.fixture
def bare() -> Iterator[None]:
    """A request context with the pages' gettext, without a database (the diagram needs only a definition)."""
    flask_app = Flask(__name__)
    Babel(flask_app)
    with flask_app.test_request_context():
        yield


def _flat(s: str) -> str:
    return re.sub(r"[\s·\u2002]", "", s)


def _group(root: etree._Element, node_id: str) -> str:
    found = root.xpath(f"//s:g[@id='{node_id}']", namespaces=NS)
    assert len(found) == 1, node_id
    return _flat("".join(found[0].xpath(".//s:text//text()", namespaces=NS)))


def _parse(svg: str | None) -> etree._Element:
    assert svg is not None
    return etree.fromstring(svg.encode("utf-8"))  # well-formed XML, or this raises


@needs_dot
@pytest.mark.parametrize("procedure", SHIPPED, ids=lambda p: p.ref)
def test_each_shipped_definition_shows_every_state_and_step(procedure: Procedure, bare: None) -> None:
    root = _parse(diagram.render(procedure))
    assert procedure.label.zh in root.findtext("s:title", namespaces=NS)
    assert root.findtext("s:desc", namespaces=NS).startswith(f"共{len(procedure.states)}个阶段")
    within, everywhere = diagram.steps_within(procedure)
    for name, state in procedure.states.items():
        box = _group(root, f"diagram-state-{name}")
        assert box.startswith(_flat(state.label.zh)), name
        for step in within[name]:  # the steps that stay in this stage are listed in its box
            assert _flat(step.label.zh) in box, (name, step.trigger)
    edges = " ".join(_flat("".join(g.xpath(".//s:text//text()", namespaces=NS)))
                     for g in root.xpath("//s:g[contains(concat(' ', @class, ' '), ' step ')]", namespaces=NS))
    for t in procedure.transitions:
        if t.dest is not None and any(s != t.dest for s in t.sources):
            assert _flat(t.label.zh) in edges, t.trigger
    everything = _flat("".join(root.xpath("//s:text//text()", namespaces=NS)))
    for t in everywhere:  # one note under the diagram
        assert _flat(t.label.zh) in everything, t.trigger
    terminal = {n for n, s in procedure.states.items() if s.terminal}
    assert {g.get("id").removeprefix("diagram-state-") for g in root.xpath(
        "//s:g[contains(concat(' ', @class, ' '), ' terminal ')]", namespaces=NS)} == terminal
    assert not root.xpath("//*[contains(concat(' ', @class, ' '), ' current ')]")
    assert not root.xpath("//s:script", namespaces=NS)
    fonts = {t.get("font-family") for t in root.xpath("//s:text", namespaces=NS)}
    assert fonts == {diagram.FONT_STACK} and diagram.FONT_STACK.startswith('"Noto Sans CJK SC"')


@needs_dot
def test_the_current_state_and_the_steps_taken_are_marked(bare: None) -> None:
    procedure = next(p for p in SHIPPED if p.id == "enforcement_case")
    path = [("filed", "investigating"), ("investigating", "notified"), ("notified", "decided")]
    root = _parse(diagram.render(procedure, highlight=diagram.Highlight.of("decided", path)))
    current = root.xpath("//s:g[contains(concat(' ', @class, ' '), ' current ')]", namespaces=NS)
    assert [g.get("id") for g in current] == ["diagram-state-decided"]
    visited = {g.get("id") for g in root.xpath("//s:g[contains(concat(' ', @class, ' '), ' visited ')]",
                                               namespaces=NS)}
    assert visited == {"diagram-state-filed", "diagram-state-investigating", "diagram-state-notified"}
    taken = {g.findtext("s:title", namespaces=NS) for g in root.xpath(
        "//s:g[contains(concat(' ', @class, ' '), ' taken ')]", namespaces=NS)}
    assert taken == {f"{a}->{b}" for a, b in path}
    assert current[0].xpath("s:path/@stroke", namespaces=NS) == [diagram.BRAND]
    assert "本案现处于「已作出处罚决定」阶段" in root.findtext("s:desc", namespaces=NS)


@needs_dot
def test_labels_are_escaped_for_dot_not_interpreted(bare: None) -> None:
    procedure = SHIPPED[0]
    hostile = 'A <B>粗</B> & "引号" \\N \\l {x} ]; } digraph'
    state = procedure.states[procedure.initial]
    states = {**procedure.states, procedure.initial: replace(state, label=replace(state.label, zh=hostile))}
    step = procedure.transitions[0]
    changed = replace(procedure, states=states,
                      transitions=(replace(step, label=replace(step.label, zh=hostile)), *procedure.transitions[1:]))
    root = _parse(diagram.render(changed))
    box = _group(root, f"diagram-state-{procedure.initial}")
    assert box.startswith(_flat(hostile))  # the very text, markup and DOT escapes as written
    assert _flat(hostile) in _flat("".join(root.xpath("//s:text//text()", namespaces=NS)))
    assert not root.xpath("//s:text[@font-weight='bold']/s:*", namespaces=NS)


@needs_dot
def test_a_drawing_is_made_once_per_version_language_and_highlight(bare: None,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = subprocess.run

    def counting(*args: object, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        calls.append(args)
        return real(*args, **kwargs)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(diagram.subprocess, "run", counting)
    diagram.clear_cache()
    procedure = SHIPPED[0]
    first = diagram.render(procedure)
    assert diagram.render(procedure) == first and len(calls) == 1
    diagram.render(procedure, "en")
    diagram.render(procedure, highlight=diagram.Highlight.of(procedure.initial, []))
    diagram.render(procedure, highlight=diagram.Highlight.of(procedure.initial, []))
    assert len(calls) == 3
    assert calls[0][0][0] == shutil.which("dot") and calls[0][0][1:] == ["-Tsvg"]  # no shell: an argument list


def test_without_dot_there_is_no_diagram_and_no_error(bare: None, monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    monkeypatch.setattr(diagram, "DOT_COMMAND", str(tmp_path / "no-dot-here"))
    diagram.clear_cache()
    assert diagram.render(SHIPPED[0]) is None
    broken = tmp_path / "dot"
    broken.write_text("#!/bin/sh\necho 'syntax error' >&2\nexit 1\n", encoding="utf-8")
    broken.chmod(0o755)
    monkeypatch.setattr(diagram, "DOT_COMMAND", str(broken))
    assert diagram.render(SHIPPED[0]) is None
    diagram.clear_cache()


@once
def test_without_dot_the_pages_say_the_diagram_is_unavailable(town, client_for, monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(diagram, "DOT_COMMAND", str(tmp_path / "no-dot-here"))
    diagram.clear_cache()
    client = client_for("liushen")
    page = client.get("/procedures/major_decision/v2")
    assert page.status_code == 200
    doc = html.fromstring(text(page))
    assert not doc.xpath("//svg") and not doc.xpath("//*[local-name()='svg']")
    assert "状态图暂不可用" in doc.xpath("string(//p[contains(@class, 'diagram-unavailable')])")
    assert client.get("/procedures/major_decision/v2/diagram.svg").status_code == 503
    case_id = new_case(town)
    assert client_for("zhangwei").get(f"/cases/{case_id}").status_code == 200
    assert client_for("zhangwei").get(f"/cases/{case_id}/diagram.svg").status_code == 503
    diagram.clear_cache()


@needs_dot
def test_a_case_page_shows_its_diagram_with_its_stage_and_path(town, client_for) -> None:
    case_id = new_case(town)
    assert town.engine.fire(case_id, "start", "huangzhenhua", {"lead_unit": "党政综合办公室"}).ok
    client = client_for("zhangwei")
    doc = html.fromstring(text(client.get(f"/cases/{case_id}")))
    (img,) = doc.xpath("//details[contains(@class, 'case-diagram')]//img")
    assert img.get("src") == f"/cases/{case_id}/diagram.svg" and "「起草」" in img.get("alt")
    svg = client.get(img.get("src"))
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    root = etree.fromstring(svg.get_data())
    current = root.xpath("//s:g[contains(concat(' ', @class, ' '), ' current ')]/@id", namespaces=NS)
    assert current == ["diagram-state-drafting"]
    taken = root.xpath("//s:g[contains(concat(' ', @class, ' '), ' taken ')]/s:title/text()", namespaces=NS)
    assert taken == ["proposed->drafting"]
    assert client_for("chenjing").get(f"/cases/{case_id}/diagram.svg").status_code == 200  # who else sees it
    assert client_for("wanghai").get(f"/cases/{case_id}/diagram.svg").status_code == 404  # not an officer's case


def _renamed(procedure: Procedure, names: dict[str, str]) -> Procedure:
    """The procedure with some states renamed (as far as the diagram reads it)."""
    def n(s: str | None) -> str | None:
        return names.get(s, s) if s is not None else None
    states = {n(k): replace(v, name=n(k)) for k, v in procedure.states.items()}
    transitions = tuple(replace(t, sources=tuple(n(s) for s in t.sources), dest=n(t.dest))
                        for t in procedure.transitions)
    return replace(procedure, states=states, transitions=transitions, initial=n(procedure.initial))


@needs_dot
def test_states_named_like_dot_keywords_or_the_start_marker_are_drawn(bare: None) -> None:
    procedure = next(p for p in SHIPPED if p.id == "enforcement_review")
    old = list(procedure.states)
    changed = _renamed(procedure, dict(zip(old, ["node", "edge", "start", "strict", "subgraph"], strict=False)))
    root = _parse(diagram.render(changed, highlight=diagram.Highlight.of("edge", [("node", "edge")])))
    for name, state in changed.states.items():
        assert _group(root, f"diagram-state-{name}").startswith(_flat(state.label.zh)), name
    assert root.xpath("//s:g[@id='diagram-state-edge']/@class", namespaces=NS) == ["node state current"]
