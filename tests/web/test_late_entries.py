"""Late entries (补录) on the pages: the case page, its history and the audit explorer say so, with both dates
and the reason; an on-time verdict that rests on a late entry is never shown as a plain 按期."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.late_entries import PUBLICATION_REASON, SERVICE_REASON, tell
from tests.web.helpers import text

# The page, not the database, is this module's subject: SQLite only (tests/conftest.py, one_database).
pytestmark = pytest.mark.one_database


class _Texts(HTMLParser):
    """The text of every element carrying the CSS class `wanted`, and the names of the form fields."""

    def __init__(self, wanted: str):
        super().__init__()
        self.wanted, self.depth, self.found, self.fields = wanted, 0, [], []
        self._stack: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag in ("input", "textarea", "select") and named.get("name"):
            self.fields.append(named["name"])
        if tag in ("input", "br", "meta", "link", "img"):
            return
        hit = self.wanted in (named.get("class") or "").split()
        self._stack.append(hit)
        if hit:
            self.depth += 1
            self.found.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("input", "br", "meta", "link", "img") or not self._stack:
            return
        if self._stack.pop():
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.found[-1] += data


def _texts(html: str, wanted: str) -> _Texts:
    parser = _Texts(wanted)
    parser.feed(html)
    return parser


def test_the_case_page_shows_the_late_entries_with_both_dates_and_the_reason(town, clock, client_for):
    case, _decision = tell(town, clock)
    html = text(client_for("wanghai").get(f"/cases/{case}"))
    meta = [t.strip() for t in _texts(html, "meta").found]
    assert f"补录：所填日期2026年3月3日，于2026年3月10日录入；补录理由：{SERVICE_REASON}" in meta
    assert f"补录：所填日期2026年3月10日，于2026年3月16日录入；补录理由：{PUBLICATION_REASON}" in meta
    verdicts = [m for m in meta if m.startswith("处罚决定公开期限")]
    assert verdicts == ["处罚决定公开期限：期限至2026年3月11日，按期（补录：按所填日期2026年3月10日判断，于2026年3月16日录入）"]
    assert [t.strip() for t in _texts(html, "late-entry").found] == ["补录", "补录"]  # the two events in the history
    # the next dated step (登记执行情况, with its 执行完毕日期) offers the late-entry reason
    assert "late_entry_reason" in _texts(html, "meta").fields


def test_the_audit_explorer_marks_the_late_entries(town, clock, client_for):
    case, decision = tell(town, clock)
    client = client_for("liushen")
    html = text(client.get(f"/audit/events?case={case}"))
    found = [t.strip() for t in _texts(html, "late-entry").found]
    assert found.count("补录") == 2  # the badges of the service and the publication
    assert f"补录：所填日期2026年3月3日，于2026年3月10日录入；补录理由：{SERVICE_REASON}" in found
    html = text(client.get(f"/audit/events?case={decision}"))
    assert [t.strip() for t in _texts(html, "late-entry").found if t.strip() == "补录"] == ["补录"]


def test_in_english_the_verdict_still_names_the_late_entry(town, clock, client_for):
    case, _decision = tell(town, clock)
    html = text(client_for("wanghai").get(f"/cases/{case}?lang=en"))
    meta = [t.strip() for t in _texts(html, "meta").found]
    assert any("on time (late entry: judged by the date typed, 2026-03-10, entered on 2026-03-16)" in m
               for m in meta), meta


class _Row(HTMLParser):
    """The cells' text of the table row with the given id."""

    def __init__(self, row_id: str):
        super().__init__()
        self.row_id, self.inside, self.cells = row_id, False, []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr" and dict(attrs).get("id") == self.row_id:
            self.inside = True
        elif self.inside and tag in ("td", "th"):
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside and self.cells:
            self.cells[-1] += data


def test_the_procedure_page_lists_the_dates_kept_in_order(client_for):
    html = text(client_for("wanghai").get("/procedures/enforcement_case/v1"))
    row = _Row("date-order-decision_before_service")
    row.feed(html)
    assert [c.strip() for c in row.cells] == [
        "决定书在作出后送达decision_before_service", "作出行政处罚决定的作出决定日期", "送达行政处罚决定书的送达日期",
        "处罚法第六十一条"]
    assert "通知听证时间地点的听证日期" in html  # a planned date, allowed in the future
