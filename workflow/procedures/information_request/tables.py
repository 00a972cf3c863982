"""The disclosure annual report's tables (国办公开办函〔2021〕30号): each cell holds the requests it counts, so
every figure links to them, and each table carries its own cross-checks. Sections 三 (annual_report.py) and 四
(remedies.py) are tables of this kind."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Check:
    zh: str
    en: str
    ok: bool
    detail: str


@dataclass
class FigureTable:
    """A table of the report: each cell (row, column) holds the requests it counts, and the table's checks."""

    year: int
    cells: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (row, column) -> case ids
    checks: list[Check] = field(default_factory=list)

    def count(self, row: str, column: str) -> int:
        return len(self.cells.get((row, column), []))

    def ids(self, row: str, column: str) -> list[str]:
        return list(self.cells.get((row, column), []))

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)
