"""The office's way of writing dates, amounts and durations: one function each, used by the pages (as Jinja
filters, web/filters.py), the refusals shown there and the exports.

    day(date(2026, 12, 7))          -> 2026年12月7日      (a moment: its Asia/Shanghai day)
    amount(Decimal("20000"))        -> 20,000元           (fen shown only when there are any: 1,234.50元)
    capital(Decimal("20000"))       -> 贰万元整            (大写金额, as a document that states a sum needs it)
    duration(1260)                  -> 21分00秒            (1时02分03秒 past an hour)

The capital form follows the usual rules of Chinese financial writing (会计基础工作规范 第五十二条): 零 for a gap of
zeros within the number (one 零 for several), 元整 when there are no jiao or fen, 整 also after a whole jiao.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from workflow.clock import SHANGHAI

ISO_DAY = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")


MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")


def day(value: date | datetime | str | None, lang: str = "zh") -> str:
    """2026年12月7日 (English: 7 December 2026); a moment is shown as its day in Asia/Shanghai; text that is no
    date is returned as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        if len(value) < 10 or value[4] != "-":
            return value  # no ISO date: as it was written
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        value = moment.astimezone(SHANGHAI).date()
    if lang == "en":
        return f"{value.day} {MONTHS_EN[value.month - 1]} {value.year}"
    return f"{value.year}年{value.month}月{value.day}日"


def days_in_text(text: str) -> str:
    """Every ISO date (2026-01-31) inside a text written as 2026年1月31日: for texts recorded before this filter
    existed (refusal reasons are kept in the audit trail as they were written, and shown through this)."""
    return ISO_DAY.sub(lambda m: f"{int(m[1])}年{int(m[2])}月{int(m[3])}日", text)


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        return Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        return None


def amount(value: object, unit: str = "元", lang: str = "zh") -> str:
    """20,000元; 1,234.50元 (English: CNY 20,000; CNY 1,234.50); text that is no number is returned as it is."""
    number = _decimal(value)
    if number is None:
        return "" if value is None else str(value)
    number = number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    shown = f"{number:,.0f}" if number == number.to_integral_value() else f"{number:,.2f}"
    if lang == "en" and unit == "元":
        return f"CNY {shown}"
    return f"{shown}{unit}"


DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL = ("", "拾", "佰", "仟")
LARGE = ("", "万", "亿", "万亿")


def capital(value: object) -> str:
    """贰万元整 (大写金额) of a sum in yuan, up to 9,999,999,999,999,999.99."""
    number = _decimal(value)
    if number is None or number < 0:
        raise ValueError(f"not an amount: {value!r}")
    fen_total = int((number * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    yuan, rest = divmod(fen_total, 100)
    jiao, fen = divmod(rest, 10)
    if yuan >= 10**16:
        raise ValueError(f"amount too large: {value!r}")
    out = _integer(yuan) + "元" if yuan else ""
    if not jiao and not fen:
        return (out or "零元") + "整"
    if jiao:
        out += DIGITS[jiao] + "角"
    elif yuan:
        out += "零"
    if fen:
        out += DIGITS[fen] + "分"
    else:
        out += "整"
    return out


def _integer(n: int) -> str:
    groups = []
    while n:
        n, group = divmod(n, 10000)
        groups.append(group)
    out = ""
    zero = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero = bool(out)
            continue
        if out and (zero or group < 1000):
            out += "零"
        zero = False
        out += _group(group) + LARGE[index]
    return out


def _group(n: int) -> str:
    out = ""
    zero = False
    for position in range(3, -1, -1):
        digit = n // 10**position % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += DIGITS[digit] + SMALL[position]
    return out


def duration(seconds: object, lang: str = "zh") -> str:
    """21分00秒; 1时02分03秒; 45秒 (English: 21 min 00 s; 1 h 02 min 03 s; 45 s). Text that is no whole number of
    seconds is returned as it is."""
    try:
        total = int(str(seconds))
    except ValueError:
        return "" if seconds is None else str(seconds)
    hours, rest = divmod(max(total, 0), 3600)
    minutes, secs = divmod(rest, 60)
    if lang == "en":
        if hours:
            return f"{hours} h {minutes:02d} min {secs:02d} s"
        return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"
    if hours:
        return f"{hours}时{minutes:02d}分{secs:02d}秒"
    if minutes:
        return f"{minutes}分{secs:02d}秒"
    return f"{secs}秒"


def rounded_down(value: int, step: int | None = None) -> str:
    """A count stated as the report states a large one, a lower bound: 43 -> "40余", 10,250 -> "10000余", 520 ->
    "500余" (legal-facts §10: 「余」 means "more than"; the exact count is kept and linked). A count that is
    already round, or under 10, is stated exactly. Which figures a report states this way is the report's
    choice, not the figure's: 246 法律明白人 are stated exactly. `step` overrides the magnitude rounded to."""
    if value < 10:
        return str(value)
    magnitude = step or 10 ** (len(str(value)) - 1)
    floor = value - value % magnitude
    return str(value) if floor == value else f"{floor}余"
