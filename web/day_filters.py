"""A list's "from … to …" days as typed in its filter form (YYYY-MM-DD, Beijing dates): each checked, a bad one
named next to its field, and a range that runs backwards named on its second field. One reading for every page
that filters by days (the case list, the audit explorer, the compliance figures)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from web.i18n import _


def day_range(values: Mapping[str, str], first: str, last: str,
              errors: dict[str, str]) -> tuple[date | None, date | None]:
    """The days in `values[first]` and `values[last]` (None where empty or bad); problems go into `errors`."""
    days: dict[str, date | None] = {first: None, last: None}
    for name in (first, last):
        if values.get(name):
            try:
                days[name] = date.fromisoformat(values[name])
            except ValueError:
                errors[name] = _("日期无效，请按“年-月-日”填写，例如 2026-03-02。")
    start, end = days[first], days[last]
    if start and end and start > end:
        errors[last] = _("截止日期早于起始日期。")
    return start, end
