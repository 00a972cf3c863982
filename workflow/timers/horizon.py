"""How far beyond today a period's last day may lie and still bring an act today: the bound of the worker's query.

A reminder falls due n days (calendar or working) before a limit's last day; overdue notices and system steps
fall due after it. So only periods ending within the largest reminder offset can bring anything today. That
offset is what the loaded definitions' `remind:` lists name, directly or through an organisation setting (the
setting's value in any organisation). Working days are turned into calendar days generously — 7 for every 5,
plus HOLIDAY_MARGIN for the longest run of holidays a period can cross — so no reminder is missed.

Why: bench/timers.py measured the worker's run with 100,000 pending timers; what it costs is not the scan (an index
on the due day changed nothing) but the Python work on every period within the bound. With the fixed 120 days,
a run looked at every period ending in the next four months; with the demo's 3-working-day reminder it looks at
about 25 days (bench/RESULTS.md has the figures). The fixed bound also came too late for a long offset: the
setting normative.expiry_reminder_working_days may hold up to 250 (its example is 120 working days, about 170
calendar days), so such a reminder was sent only once the period came within 120 days; the bound now follows it.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.definitions import Registry
from workflow.models import OrgSetting

HOLIDAY_MARGIN = 21  # calendar days: more than the Spring Festival's longest run off with its weekends (9 days)


def lookahead(session: Session, registry: Registry) -> timedelta:
    """The largest reminder offset any organisation's timers use, in calendar days, generously."""
    offsets: list[int] = []
    keys: set[str] = set()
    working = False
    for procedure in registry.all():
        for deadline in procedure.deadlines.values():
            for timer in deadline.timers:
                if timer.kind != "remind":
                    continue
                working = working or timer.unit == "working_days"
                for offset in timer.offsets:
                    if isinstance(offset, str):
                        keys.add(offset)
                    else:
                        offsets.append(offset)
    if keys:
        for value in session.scalars(select(OrgSetting.value).where(OrgSetting.key.in_(sorted(keys)))):
            days = (value or {}).get("value")
            if isinstance(days, int) and not isinstance(days, bool) and days > 0:
                offsets.append(days)
    largest = max(offsets, default=0)
    days = largest * 7 // 5 + 1 + HOLIDAY_MARGIN if working else largest + 1
    return timedelta(days=days)
