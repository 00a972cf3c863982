"""The office's way of writing dates, amounts and durations (workflow/wording.py), in Chinese and in English."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from workflow import wording

pytestmark = pytest.mark.one_database


@pytest.mark.parametrize(("value", "zh", "en"), [
    (date(2026, 12, 7), "2026年12月7日", "7 December 2026"),
    ("2026-01-31", "2026年1月31日", "31 January 2026"),
    # 2026-12-06 17:00 UTC is already 7 December in Beijing: a moment is shown as its Asia/Shanghai day
    (datetime(2026, 12, 6, 17, 0, tzinfo=UTC), "2026年12月7日", "7 December 2026"),
    (None, "", ""),
    ("第三季度", "第三季度", "第三季度"),  # no date: as it is
])
def test_a_day_is_written_the_offices_way(value: object, zh: str, en: str) -> None:
    assert wording.day(value) == zh  # type: ignore[arg-type]
    assert wording.day(value, "en") == en  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "zh", "en"), [
    (20000, "20,000元", "CNY 20,000"),
    (Decimal("1234.5"), "1,234.50元", "CNY 1,234.50"),
    ("3,000", "3,000元", "CNY 3,000"),
    ("待定", "待定", "待定"),
])
def test_an_amount_has_thousands_separators_and_its_currency(value: object, zh: str, en: str) -> None:
    assert wording.amount(value) == zh
    assert wording.amount(value, lang="en") == en


@pytest.mark.parametrize(("value", "expected"), [
    (20000, "贰万元整"),
    (Decimal("1234.56"), "壹仟贰佰叁拾肆元伍角陆分"),
    (Decimal("1005.10"), "壹仟零伍元壹角整"),
    (Decimal("100000.05"), "壹拾万元零伍分"),
    (Decimal("0.30"), "叁角整"),
    (0, "零元整"),
    (100010000, "壹亿零壹万元整"),
])
def test_the_capital_form_follows_the_rules_of_financial_writing(value: object, expected: str) -> None:
    assert wording.capital(value) == expected


def test_a_negative_or_non_numeric_sum_has_no_capital_form() -> None:
    for bad in (-1, "二十元"):
        with pytest.raises(ValueError):
            wording.capital(bad)


@pytest.mark.parametrize(("seconds", "zh", "en"), [
    (1260, "21分00秒", "21 min 00 s"),
    (3723, "1时02分03秒", "1 h 02 min 03 s"),
    (45, "45秒", "45 s"),
])
def test_a_duration_is_hours_minutes_and_seconds(seconds: int, zh: str, en: str) -> None:
    assert wording.duration(seconds) == zh
    assert wording.duration(seconds, "en") == en
