"""What a family reads when it computes a document's `computed.<name>` values (workflow/procedures: DOCUMENT_DATA).

The engine builds one per issuing step, inside the step's unit of work, so the values are the records' as the
step is checked and issued; the family gets the records through it rather than importing the shared read models
itself (a family's package must not reach workflow.definitions at import: tests/test_import_graph.py).
Figures go into the issued record as plain JSON (`as_json`): their value as a string (no floats in an event),
and the records they counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from workflow import org_tree
from workflow.definitions import Procedure, Registry
from workflow.figure_specs import FigureSpec
from workflow.figures import Figure, RecordRef, declared, figures_of
from workflow.store import CaseRow


@dataclass
class DocumentContext:
    session: Session
    registry: Registry
    case: CaseRow
    payload: Mapping[str, Any]
    settings: Mapping[str, Any]

    def figures(self, year: int) -> dict[str, list[Figure]]:
        """procedure id -> its figures for `year`, over the case's organisation and every one below it (a
        district's document rolls up its towns' with its own)."""
        return figures_of(self.session, declared(self.registry), org_tree.subtree(self.session, self.case.org_id),
                          year)

    def procedures(self) -> list[Procedure]:
        return list(self.registry.latest())

    def procedure(self, pid: str) -> Procedure:
        return self.registry.get(pid)

    @staticmethod
    def kept(figure: Figure) -> dict[str, Any]:
        return as_json(figure)


def as_json(figure: Figure) -> dict[str, Any]:
    """A figure as the issued record keeps it: value as text (None: a share of nothing), the records counted."""
    return {"value": None if figure.value is None else str(figure.value),
            "records": [[r.case_id, r.item] for r in figure.records]}


def from_json(procedure: str, spec: FigureSpec, kept: Mapping[str, Any]) -> Figure:
    """The figure as it was fixed (as_json), for reading it back beside today's."""
    raw = kept.get("value")
    value: int | Decimal | None = None
    if raw is not None:
        number = Decimal(str(raw))
        value = number if spec.ratio or number != number.to_integral_value() or "." in str(raw) else int(number)
    return Figure(procedure, spec, value, tuple(RecordRef(str(c), i) for c, i in kept.get("records") or ()))
