"""A year's holiday data from what an administrator has at hand: the State Council notice's text, pasted, or a
table of dates typed line by line. Either becomes the mapping `workflow.calendar.read_year_notice` checks and
`administration.add_holiday_year` stores (``holidays`` and ``workdays``, each a list of {date, name}), shown to
the administrator for confirmation before it is saved (web/admin/calendar.py).

The notice (国务院办公厅关于××年部分节假日安排的通知) writes one holiday a line:

    二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。

the days off as a range before "放假" (the end's month left out when it is the start's), the make-up working days
in the sentence ending "上班". A table line is a date or a range and a name (放假 and 上班 in their own boxes):

    2027年2月5日至2027年2月11日 春节        2027-02-05 至 2027-02-11 春节        2月14日 春节

Dates outside the year are left out and reported (a 元旦 range starting on 31 December belongs to that year's
notice). Nothing here decides the law: the notice does; this only reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

ORDINAL = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.．]\s*(?P<name>[^：:]{1,20})[：:](?P<body>.+)$")
ASIDE = re.compile(r"（[^）]*）|\([^)]*\)")
DAY = re.compile(r"(?:(?P<y>\d{4})\s*年\s*)?(?:(?P<m>\d{1,2})\s*月\s*)?(?P<d>\d{1,2})\s*日?")
ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
RANGE = re.compile(rf"(?P<a>{DAY.pattern.replace('(?P<', '(?P<a')})\s*(?:至|到|-|—|~|～)\s*"
                   rf"(?P<b>{DAY.pattern.replace('(?P<', '(?P<b')})")
DAY_TEXT = re.compile(r"(?:\d{4}\s*年\s*)?\d{1,2}\s*月\s*\d{1,2}\s*日")
MAX_SPAN = 14  # days: no holiday of a notice is longer; a longer range is a typing mistake


@dataclass
class Reading:
    """What was read: the mapping to store, and what could not be used (each with its line)."""

    year: int
    holidays: list[dict[str, str]] = field(default_factory=list)
    workdays: list[dict[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def mapping(self) -> dict[str, Any]:
        return {"holidays": sorted(self.holidays, key=lambda h: h["date"]),
                "workdays": sorted(self.workdays, key=lambda w: w["date"])}

    def _add(self, target: list[dict[str, str]], day: date, name: str, line: str) -> None:
        if day.year != self.year:
            self.problems.append(f"{day.year}年{day.month}月{day.day}日不属于{self.year}年，未录入：{line.strip()}")
            return
        if not any(item["date"] == day.isoformat() for item in target):
            target.append({"date": day.isoformat(), "name": name})


def _day(year: int, y: str | None, m: str | None, d: str, month: int | None = None) -> date:
    return date(int(y) if y else year, int(m) if m else (month or 0), int(d))


def _span(year: int, text: str) -> list[date] | None:
    """The days of a range (至) or the single day at the start of `text`; None when there is none."""
    found = RANGE.search(text)
    if found and found.start() == DAY.search(text).start():  # type: ignore[union-attr]
        start = _day(year, found["ay"], found["am"], found["ad"])
        end = _day(found["by"] and int(found["by"]) or start.year, None, found["bm"] or str(start.month), found["bd"])
        if end < start and not found["bm"]:  # "12月31日至2日": into the next month
            end = _day(end.year, None, str(start.month % 12 + 1), found["bd"])
            if start.month == 12:
                end = end.replace(year=start.year + 1)
        if not 0 <= (end - start).days < MAX_SPAN:
            raise ValueError(f"日期范围不合理：{found.group(0)}")
        return [start + timedelta(days=n) for n in range((end - start).days + 1)]
    single = DAY.search(text)
    if single is None or not single["m"]:
        return None
    return [_day(year, single["y"], single["m"], single["d"])]


def from_notice(year: int, text: str) -> Reading:
    """The holidays and make-up working days of the notice's numbered lines (一、元旦：... 二、春节：...)."""
    reading = Reading(year)
    for line in text.splitlines():
        match = ORDINAL.match(line)
        if not match:
            continue
        name = match["name"].strip()
        body = ASIDE.sub("", match["body"])
        off, _sep, rest = body.partition("放假")
        try:
            days = _span(year, off)
        except ValueError as exc:
            reading.problems.append(f"{exc}：{line.strip()}")
            continue
        if not days:
            reading.problems.append(f"未找到放假日期：{line.strip()}")
            continue
        for day in days:
            reading._add(reading.holidays, day, name, line)
        for sentence in re.split(r"[。；;]", rest):
            if "上班" not in sentence:
                continue
            month = None
            for part in DAY.finditer(sentence.split("上班")[0]):
                if not part["m"] and month is None:
                    continue
                day = _day(year, part["y"], part["m"], part["d"], month)
                month = day.month
                reading._add(reading.workdays, day, name, line)
    if not reading.holidays:
        reading.problems.append("未识别出任何放假安排：请粘贴通知中“一、元旦：……”起的各条。")
    return reading


def from_table(year: int, days_off: str, workdays: str) -> Reading:
    """The holidays and make-up working days typed a line each: a date or a range, then the holiday's name."""
    reading = Reading(year)
    for text, target, what in ((days_off, reading.holidays, "放假"), (workdays, reading.workdays, "上班")):
        for typed in text.splitlines():
            if not typed.strip():
                continue
            line = ISO.sub(lambda m: f"{m[1]}年{int(m[2])}月{int(m[3])}日", typed)
            dates = list(DAY_TEXT.finditer(line))
            name = DAY_TEXT.sub("", line)
            name = re.sub(r"[至到~～—\-,，、\s]+", " ", name).strip() or what
            try:
                days = _span(year, line)
            except ValueError as exc:
                reading.problems.append(f"{exc}：{line.strip()}")
                continue
            if not dates or not days:
                reading.problems.append(f"未找到日期（如2027年2月5日或2027-02-05）：{line.strip()}")
                continue
            for day in days:
                reading._add(target, day, name, line)
    return reading
