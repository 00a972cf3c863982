"""Lists people can use (issue 16 item 7): an officer finds a case by its party and takes the list away as a
workbook; the list and a case page fit a phone's screen (390 px) and print without the site's controls."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING

from openpyxl import load_workbook

from tests.browser.helpers import expect, go_to_case_list

if TYPE_CHECKING:
    from playwright.sync_api import Page

OpenPage = Callable[..., "Page"]


def test_an_officer_finds_a_case_by_its_party_and_exports_the_list(open_page: OpenPage) -> None:
    page = open_page("wanghai")
    go_to_case_list(page)
    page.get_by_label("当事人、申请人或合同相对方姓名（名称）").fill("陈某某")
    page.get_by_role("button", name="查询").click()
    rows = page.locator("table.cases tbody tr")
    expect(rows.first).to_be_visible()
    expect(page.locator("table.cases")).to_contain_text("陈某某在后龙街两侧堆放建材案")  # the demo's cases with 陈某某
    expect(page.locator("table.cases")).not_to_contain_text("郭某某在文化广场搭建彩钢棚案")  # as their party, no other
    shown = [rows.nth(i).locator("td").first.inner_text().strip() for i in range(rows.count())]
    with page.expect_download() as download:
        page.get_by_role("link", name="导出Excel").click()
    assert download.value.suggested_filename == "cases.xlsx"
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    exported = [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert sorted(exported) == sorted(shown)  # the same cases as the page, every one of them
    assert sheet.cell(row=2, column=1).value == "编号"


def test_the_case_list_and_a_case_page_fit_a_phone_and_print_without_the_controls(open_page: OpenPage) -> None:
    page = open_page("wanghai")
    page.set_viewport_size({"width": 390, "height": 844})
    go_to_case_list(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing to scroll sideways
    first = page.locator("table.cases tbody tr").first
    assert first.evaluate("row => getComputedStyle(row).display") == "block"  # a card
    label = first.locator("td").first.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert "编号" in label  # each cell says what it is
    first.get_by_role("link").first.click()
    expect(page.get_by_role("button", name="打印")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.emulate_media(media="print")
    expect(page.locator("header.site")).to_be_hidden()
    expect(page.get_by_role("button", name="打印")).to_be_hidden()
    expect(page.locator("h1")).to_be_visible()
