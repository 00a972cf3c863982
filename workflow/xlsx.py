"""Tables as .xlsx workbooks, written with openpyxl: what a government office files or forwards (the disclosure
annual report's requests table; later any list's 导出Excel).

One sheet of text and whole numbers: the first row is the title, in bold, the second the column heads, in bold
and frozen above the rows; columns are as wide as their longest text. The sheet name is kept to Excel's 31
characters without []:*?/\\; characters XML 1.0 cannot carry are dropped rather than refused (a party's name
pasted from elsewhere must not make an export fail).

Every text is written as text, never as a formula: openpyxl stores a string that begins with "=" as a formula,
so a title, a party's name or a comment typed as =HYPERLINK(...) or =WEBSERVICE(...) would be run by the
spreadsheet of whoever opens the export (OWASP's "CSV injection"). The cell keeps the exact text, typed as a
string, rather than a quote put in front of it (the export shows what was recorded).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

Cell = str | int | None

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML 1.0
_BOLD = Font(bold=True)


def _value(value: Cell) -> str | int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return _CONTROL.sub("", str(value))


def _width(value: Cell) -> int:
    """Roughly Excel's character units: a CJK character is two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(value or ""))


def workbook(sheet: str, rows: Sequence[Sequence[Cell]]) -> bytes:
    """The bytes of an .xlsx with one sheet named `sheet` holding `rows` (title row, head row, then the rows)."""
    book = Workbook()
    ws = book.active
    ws.title = _BAD_SHEET_CHARS.sub(" ", sheet)[:31] or "Sheet1"
    widths: dict[int, int] = {}
    for r, row in enumerate(rows, start=1):
        for c, raw in enumerate(row, start=1):
            value = _value(raw)
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, even where it begins with "=" (see above)
            if r <= 2:
                cell.font = _BOLD
            if r > 1:  # the title may run across the columns
                widths[c] = max(widths.get(c, 0), _width(raw))
    for c, width in widths.items():
        ws.column_dimensions[get_column_letter(c)].width = min(max(width + 2, 6), 60)
    if len(rows) > 2:
        ws.freeze_panes = "A3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
