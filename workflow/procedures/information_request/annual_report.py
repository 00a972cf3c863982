"""The requests table of the annual report on government information disclosure (政府信息公开工作年度报告,
条例第四十九条、第五十条; format 国办公开办函〔2021〕30号, legal-facts-2 §3.8), computed from the requests of
an organisation for a year, with the table's own cross-checks. Each cell keeps the requests it counts, so a
page can link every figure to the list behind it.

Rows: 一、本年新收 (received in the year, 第三十一条's day), 二、上年结转 (received before the year and not
ended before it), 三、本年度办理结果 (ended in the year, by way of ending: law.RESULT_ROWS; 部分公开 counts
only there), its 总计, and 四、结转下年度继续办理 (received by the year's end and not ended by it).
Columns: 自然人, the five kinds of 法人或其他组织, 总计 (law.COLUMNS).
Cross-checks (30号): 一 + 二 = 三（七）总计 + 四, per column; 三（七）总计 = the sum of its rows; 总计 = the sum of
the columns. A failed check is reported, and the report is not to be published with it.
"""

from __future__ import annotations

from datetime import date

from workflow.procedures.information_request.law import COLUMNS, RESULT_ROWS
from workflow.procedures.information_request.register import RequestRow
from workflow.procedures.information_request.tables import Check, FigureTable

NEW, CARRIED, TOTAL, FORWARD = "new", "carried", "total", "forward"
ROW_ORDER: tuple[str, ...] = (NEW, CARRIED, *(code for code, _, _ in RESULT_ROWS), TOTAL, FORWARD)
ROW_LABELS: dict[str, tuple[str, str]] = {
    NEW: ("一、本年新收政府信息公开申请数量", "New requests this year"),
    CARRIED: ("二、上年结转政府信息公开申请数量", "Carried over from last year"),
    **{code: (zh, en) for code, zh, en in RESULT_ROWS},
    TOTAL: ("（七）总计", "Total handled"),
    FORWARD: ("四、结转下年度继续办理", "Carried to next year"),
}
COLUMN_KEYS: tuple[str, ...] = (*(key for key, _, _ in COLUMNS), "all")


RequestsTable = FigureTable  # section 三


def _ended_by(r: RequestRow, day: date) -> bool:
    return r.closed_on is not None and r.closed_on <= day


def requests_table(rows: list[RequestRow], year: int) -> RequestsTable:
    first, last = date(year, 1, 1), date(year, 12, 31)
    table = RequestsTable(year)

    def put(row: str, r: RequestRow) -> None:
        column = r.applicant_type if r.applicant_type in COLUMN_KEYS else "other_org"
        for col in (column, "all"):
            table.cells.setdefault((row, col), []).append(r.id)

    for r in sorted(rows, key=lambda r: (r.received_on, r.id)):
        if r.received_on > last:
            continue
        if r.received_on >= first:
            put(NEW, r)
        elif not (r.closed_on is not None and r.closed_on < first):
            put(CARRIED, r)
        else:
            continue  # ended before the year: not in this year's table
        if r.closed_on is not None and first <= r.closed_on <= last and r.result_row:
            put(r.result_row, r)
            put(TOTAL, r)
        if not _ended_by(r, last):
            put(FORWARD, r)
    table.checks = checks(table)
    return table


def checks(table: RequestsTable) -> list[Check]:
    found = []
    for column in COLUMN_KEYS:
        left = table.count(NEW, column) + table.count(CARRIED, column)
        right = table.count(TOTAL, column) + table.count(FORWARD, column)
        found.append(Check(f"第一项加第二项之和等于第三项加第四项之和（{column}）",
                           f"new + carried over = handled + carried forward ({column})", left == right,
                           f"{left} = {right}" if left == right else f"{left} ≠ {right}"))
    for column in COLUMN_KEYS:
        parts = sum(table.count(code, column) for code, _, _ in RESULT_ROWS)
        total = table.count(TOTAL, column)
        found.append(Check(f"办理结果各项之和等于总计（{column}）", f"results add up to the total ({column})",
                           parts == total, f"{parts} = {total}" if parts == total else f"{parts} ≠ {total}"))
    for row in ROW_ORDER:
        parts = sum(table.count(row, key) for key, _, _ in COLUMNS)
        whole = table.count(row, "all")
        found.append(Check(f"各类申请人之和等于总计（{ROW_LABELS[row][0]}）", f"columns add up ({ROW_LABELS[row][1]})",
                           parts == whole, f"{parts} = {whole}" if parts == whole else f"{parts} ≠ {whole}"))
    return found
