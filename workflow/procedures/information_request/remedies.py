"""The reconsideration and litigation table of the disclosure annual report (政府信息公开工作年度报告, 条例第五十条第
（三）项; format 国办公开办函〔2021〕30号 section 四, legal-facts-2 §3.8), computed from what the disclosure office
recorded on each answered request (the steps record_remedy and record_remedy_outcome of the definition).

Three groups — 行政复议, 行政诉讼 未经复议直接起诉, 行政诉讼 复议后起诉 — each with 结果维持 / 结果纠正 / 其他结果 /
尚未审结 / 总计. A reconsideration or lawsuit counts in the year it was filed (申请复议或起诉之日), under its result if
decided by the year's end and under 尚未审结 otherwise. (30号 gives the table, not a counting rule: this reading is
stated on the report page.) Each cell keeps the requests it counts, so every figure links to them; a request with two
lawsuits is counted twice. Cross-check: 总计 = the sum of the four results, per group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from workflow.guards import as_date
from workflow.procedures.information_request.tables import Check, FigureTable

GROUPS: tuple[tuple[str, str, str], ...] = (
    ("reconsideration", "行政复议", "Administrative reconsideration"),
    ("litigation_direct", "行政诉讼：未经复议直接起诉", "Lawsuits filed directly"),
    ("litigation_after_reconsideration", "行政诉讼：复议后起诉", "Lawsuits after reconsideration"),
)
OUTCOMES: tuple[tuple[str, str, str], ...] = (
    ("maintained", "结果维持", "Upheld"),
    ("corrected", "结果纠正", "Corrected"),
    ("other", "其他结果", "Other result"),
    ("pending", "尚未审结", "Pending"),
)
TOTAL = "total"
COLUMNS: tuple[str, ...] = (*(key for key, _, _ in OUTCOMES), TOTAL)
COLUMN_LABELS: dict[str, tuple[str, str]] = {**{k: (zh, en) for k, zh, en in OUTCOMES}, TOTAL: ("总计", "Total")}
GROUP_LABELS: dict[str, tuple[str, str]] = {k: (zh, en) for k, zh, en in GROUPS}


@dataclass(frozen=True)
class Remedy:
    """One reconsideration or lawsuit recorded on a request."""

    no: int
    kind: str  # a GROUPS key
    filed_on: date
    outcome: str  # an OUTCOMES key
    decided_on: date | None


def remedies_of(data: Mapping[str, Any]) -> tuple[Remedy, ...]:
    return tuple(Remedy(int(r.get("no") or 0), str(r["kind"]), as_date(r["filed_on"]), str(r.get("outcome") or "pending"),
                        as_date(r["decided_on"]) if r.get("decided_on") else None)
                 for r in data.get("remedies") or [])


# Section 四 is a table of the same kind as section 三: (group, column) -> the requests behind it, with checks.
RemediesTable = FigureTable


def column_at(remedy: Remedy, last: date) -> str:
    """Its result as the year's end saw it: decided by then, or still pending."""
    if remedy.outcome == "pending" or remedy.decided_on is None or remedy.decided_on > last:
        return "pending"
    return remedy.outcome


def remedies_table(requests: Iterable[tuple[str, Iterable[Remedy]]], year: int) -> RemediesTable:
    """`requests`: each request's case id and its recorded remedies."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    table = RemediesTable(year)
    for case_id, remedies in requests:
        for r in remedies:
            if r.kind not in GROUP_LABELS or not first <= r.filed_on <= last:
                continue
            for column in (column_at(r, last), TOTAL):
                table.cells.setdefault((r.kind, column), []).append(case_id)
    table.checks = checks(table)
    return table


def checks(table: RemediesTable) -> list[Check]:
    found = []
    for group, zh, en in GROUPS:
        parts = sum(table.count(group, key) for key, _, _ in OUTCOMES)
        total = table.count(group, TOTAL)
        found.append(Check(f"{zh}：维持、纠正、其他结果、尚未审结之和等于总计", f"{en}: the four results add up to the total",
                           parts == total, f"{parts} = {total}" if parts == total else f"{parts} ≠ {total}"))
    return found
