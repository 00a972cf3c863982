"""The days off the law itself fixes, for a year whose State Council notice is not out yet.

《全国年节及纪念日放假办法》(国务院令第795号, 2024年11月10日修订, in force from 2025年1月1日) 第二条 fixes the
holidays of all citizens: 元旦 1 day (1月1日); 春节 4 days (农历除夕、正月初一至初三); 清明节 1 day (农历清明当日,
the day of the solar term); 劳动节 2 days (5月1日、2日); 端午节 1 day (农历端午当日); 中秋节 1 day (农历中秋当日);
国庆节 3 days (10月1日至3日). What the yearly notice adds — the make-up working days (调休上班) and where the
in-lieu days for a holiday falling on a weekend go (第六条: 补假, "在工作日补假", the day not fixed) — stays
unknown until it is published, so a year computed from these days alone is still provisional
(workflow/calendar.py), only closer to the truth than Monday to Friday.

Lunar dates and the solar term come from `lunar-python` (MIT, pure Python: lunar_python.Lunar, its JieQi
table). Without it installed the provisional calendar skips the fixed-date holidays only (元旦, 劳动节, 国庆节) and
says so in the log; nothing is presented as exact either way.
"""

from __future__ import annotations

import functools
import logging
from datetime import date, timedelta

log = logging.getLogger(__name__)

FIRST_YEAR = 2025  # the 2024 revision's first year: earlier years have their notices (2004–2026 shipped)


@functools.cache
def statutory_holidays(year: int) -> dict[date, str]:
    """The statutory days off of `year` by the 2024 revision (empty before 2025 or without lunar-python)."""
    if year < FIRST_YEAR:
        return {}
    days = {date(year, 1, 1): "元旦", date(year, 5, 1): "劳动节", date(year, 5, 2): "劳动节",
            **{date(year, 10, d): "国庆节" for d in (1, 2, 3)}}
    try:
        from lunar_python import Lunar, Solar
    except ImportError:  # pragma: no cover - the dependency is declared; a missing install degrades, loudly
        log.warning("lunar-python is not installed: provisional years skip the fixed-date holidays only")
        return dict(sorted(days.items()))
    new_year = Lunar.fromYmd(year, 1, 1).getSolar()
    spring = date(new_year.getYear(), new_year.getMonth(), new_year.getDay())
    terms = Solar.fromYmd(year, 6, 1).getLunar().getJieQiTable()
    qingming = terms["清明"]

    def lunar(month: int, day: int) -> date:
        solar = Lunar.fromYmd(year, month, day).getSolar()
        return date(solar.getYear(), solar.getMonth(), solar.getDay())

    days.update({spring + timedelta(days=n): "春节" for n in range(-1, 3)})  # 除夕 and 正月初一至初三
    days[date(qingming.getYear(), qingming.getMonth(), qingming.getDay())] = "清明节"
    days[lunar(5, 5)] = "端午节"
    days[lunar(8, 15)] = "中秋节"
    # 除夕 of the next lunar year may fall on 31 December only in theory; keep the year's own days
    return {d: name for d, name in sorted(days.items()) if d.year == year}
