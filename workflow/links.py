"""Cases that refer to each other: a case whose definition links it to another one (a conflict's `linked:`, e.g.
a legal review naming the penalty case it reviews at `submission.enforcement_case`; or a `links:` entry, e.g. a
petition naming the request it was opened from, workflow/case_links.py), read both ways.

A read model for the case page: the referring case shows the case it names, the named case every case naming it,
each with its current stage (the result: 审核通过, 审核未通过 ...). Links are read from the definitions, never from a
procedure's name here; the engine's guards read the same link (GuardContext.linked_cases).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.conflicts import at_path
from workflow.definitions import Procedure, Registry
from workflow.models import Case


@dataclass(frozen=True)
class Link:
    case_id: str
    title: str
    procedure: Procedure | None
    state: str
    terminal: bool
    refers: bool  # True: this case names the other one; False: the other one names this case


def linked(session: Session, registry: Registry, case: Case) -> list[Link]:
    """The cases of the same organisation this case names, then those naming it (each once, by number)."""
    try:
        own = registry.get(case.procedure, case.procedure_version)
    except KeyError:
        return []
    paths = [c.linked.path for c in own.conflicts if c.linked] + [link.path for link in own.links]
    named = {v for path in paths if isinstance(v := at_path(case.data or {}, path), str) and v}
    naming = {(p.id, c.linked.path) for p in registry.all() for c in p.conflicts
              if c.linked and c.linked.procedure == case.procedure} \
        | {(p.id, link.path) for p in registry.all() for link in p.links if link.procedure == case.procedure}
    out: dict[str, Link] = {}
    if named:
        for row in session.scalars(select(Case).where(Case.org_id == case.org_id, Case.id.in_(sorted(named)))
                                   .order_by(Case.id)):
            out.setdefault(row.id, _link(registry, row, refers=True))
    for pid in sorted({pid for pid, _path in naming}):
        paths = [path for p, path in naming if p == pid]
        for row in session.scalars(select(Case).where(Case.org_id == case.org_id, Case.procedure == pid)
                                   .order_by(Case.id)):
            # filtered in Python, as the engine's linked-case lookup is (JSON paths differ between databases)
            if row.id != case.id and any(at_path(row.data or {}, path) == case.id for path in paths):
                out.setdefault(row.id, _link(registry, row, refers=False))
    return list(out.values())


def _link(registry: Registry, row: Case, refers: bool) -> Link:
    try:
        procedure: Procedure | None = registry.get(row.procedure, row.procedure_version)
    except KeyError:
        procedure = None
    state = procedure.states.get(row.state) if procedure else None
    return Link(row.id, row.title, procedure, row.state, bool(state and state.terminal), refers)
