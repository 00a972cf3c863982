"""The requests table of the disclosure annual report (国办公开办函〔2021〕30号), computed from request rows: who
counts as new, carried over, handled (under which row) and carried forward, and the table's cross-checks. Pure
computation: no database. The fee tariff of 国办函〔2020〕109号 and the answer clock's pauses are checked here too."""

from __future__ import annotations

from datetime import date

from workflow.calendar import default_calendar
from workflow.definitions import Label
from workflow.procedures.information_request import fees
from workflow.procedures.information_request.annual_report import (
    CARRIED,
    FORWARD,
    NEW,
    TOTAL,
    checks,
    requests_table,
)
from workflow.procedures.information_request.clock import answer_clock
from workflow.procedures.information_request.law import (
    FEE_BAND,
    FEE_FREE_REQUESTS,
    FEE_PAGE_TIERS,
    FEE_PER_REQUEST,
    FEE_TIER_END,
)
from workflow.procedures.information_request.register import RequestRow, result_row


def row(case_id: str, received: date, closed: date | None, result: str | None, kind: str = "natural_person") -> RequestRow:
    return RequestRow(case_id, "t", "a", kind, Label("", ""), "s", Label("", ""), received, True, None, closed,
                      result, None)


def test_new_carried_handled_and_forward_and_the_cross_checks() -> None:
    rows = [
        row("old-done", date(2024, 11, 1), date(2024, 12, 20), "1"),  # ended before the year: not in its table
        row("carried-done", date(2024, 12, 20), date(2025, 1, 10), "2", "business"),
        row("carried-open", date(2024, 12, 28), None, None),
        row("new-refused", date(2025, 3, 2), date(2025, 3, 20), "3.4"),
        row("new-lapsed", date(2025, 6, 1), date(2025, 6, 30), "6.1", "legal_service"),
        row("new-forward", date(2025, 12, 20), date(2026, 1, 8), "1"),  # answered next year
        row("next-year", date(2026, 1, 3), None, None),
    ]
    table = requests_table(rows, 2025)
    assert table.ids(NEW, "all") == ["new-refused", "new-lapsed", "new-forward"]
    assert table.ids(CARRIED, "all") == ["carried-done", "carried-open"]
    assert table.ids("2", "business") == ["carried-done"] and table.count("3.4", "natural_person") == 1
    assert table.ids("6.1", "legal_service") == ["new-lapsed"]
    assert table.count(TOTAL, "all") == 3
    assert table.ids(FORWARD, "all") == ["carried-open", "new-forward"]
    assert table.ok, [c for c in table.checks if not c.ok]

    table.cells[(TOTAL, "all")].append("phantom")  # a figure that does not add up is caught
    failed = [c.detail for c in checks(table) if not c.ok]
    assert failed == ["5 ≠ 6", "3 ≠ 4", "3 ≠ 4"], failed  # the balance, the results, the columns


def test_partial_disclosure_counts_only_as_partial_and_a_refusal_under_its_ground() -> None:
    assert result_row("answered", {"answer": {"answer_type": "partly_disclosed", "refusal_ground": "state_secret"}}) == "2"
    assert result_row("archived", {"answer": {"answer_type": "refused", "refusal_ground": "process_information"}}) == "3.6"
    assert result_row("not_a_request", {}) == "5.1" and result_row("unpaid", {}) == "6.2"
    assert result_row("processing", {}) is None


TARIFF = {FEE_FREE_REQUESTS: 10, FEE_TIER_END: 30, FEE_PER_REQUEST: 100, FEE_BAND: 10,
          FEE_PAGE_TIERS: ["30=0", "100=10", "200=20", "*=40"]}


def test_the_109_tariff_per_request_and_per_volume() -> None:
    assert [fees.per_request(n, TARIFF) for n in (10, 11, 30, 31, 40, 41)] == [0, 100, 100, 200, 200, 300]
    assert [fees.per_volume(p, TARIFF) for p in (30, 31, 100, 150, 201)] == [0, 10, 700, 1700, 2740]


def test_a_consultation_pauses_the_answer_clock_until_its_reply() -> None:
    calendar = default_calendar()
    data = {"receipt": {"received_on": "2026-03-02"},
            "third_party_consultations": [{"third_party": "某公司", "letter_received_on": "2026-03-09"}]}
    waiting = answer_clock(data, calendar, date(2026, 3, 12))
    assert waiting is not None and not waiting.running and waiting.base_due == date(2026, 3, 30)
    data["third_party_views"] = [{"view": "agree", "replied_on": "2026-03-16"}]
    replied = answer_clock(data, calendar, date(2026, 3, 20))
    assert replied is not None and replied.running and replied.pauses[0].working_days == 5
    assert replied.due == date(2026, 4, 7)  # 2026-03-30 + 5 working days, 清明节 (4月4日至6日) skipped


def test_reconsideration_and_litigation_count_in_the_year_filed_under_their_result_at_the_years_end() -> None:
    """Section 四 of 30号: 行政复议, 未经复议直接起诉, 复议后起诉 × 维持 / 纠正 / 其他 / 尚未审结 / 总计."""
    from workflow.procedures.information_request.remedies import TOTAL as ALL
    from workflow.procedures.information_request.remedies import Remedy, remedies_table
    from workflow.procedures.information_request.remedies import checks as remedy_checks

    upheld = Remedy(1, "reconsideration", date(2025, 3, 1), "maintained", date(2025, 4, 20))
    decided_next_year = Remedy(1, "litigation_direct", date(2025, 11, 3), "corrected", date(2026, 2, 1))
    after = Remedy(2, "litigation_after_reconsideration", date(2025, 5, 2), "pending", None)
    last_year = Remedy(1, "reconsideration", date(2024, 12, 30), "other", date(2025, 2, 1))
    table = remedies_table([("A", [upheld, after]), ("B", [decided_next_year]), ("C", [last_year])], 2025)
    assert table.ids("reconsideration", "maintained") == ["A"] and table.count("reconsideration", ALL) == 1
    assert table.ids("litigation_direct", "pending") == ["B"]  # decided only after the year's end
    assert table.count("litigation_direct", "corrected") == 0
    assert table.ids("litigation_after_reconsideration", "pending") == ["A"]
    assert table.count("reconsideration", "other") == 0  # filed the year before: that year's table
    assert table.ok and len(table.checks) == 3

    table.cells[("litigation_direct", ALL)].append("phantom")
    assert [c.detail for c in remedy_checks(table) if not c.ok] == ["1 ≠ 2"]
