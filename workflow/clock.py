"""Injectable time. Events are stamped by the engine's clock, never by a caller or the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware datetime in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock for tests and demos: it only moves when told to."""

    current: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 1, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current = self.current + timedelta(**kwargs)

    def set_local_date(self, day: date, hour: int = 9) -> None:
        """Jump to `hour` o'clock Beijing time on `day` (scenarios speak in local dates)."""
        self.current = datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI).astimezone(UTC)


def utc_stamp(moment: datetime) -> str:
    """RFC 3339 UTC with microseconds and a Z suffix: the audit record's time format."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def local_date(moment: datetime) -> date:
    """The calendar date in Beijing, which is what statutory periods count in."""
    return moment.astimezone(SHANGHAI).date()


def parse_stamp(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def local_day_range(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """The moments [from, to) of the Beijing days start..end, in UTC (None: that side open)."""
    first = datetime(start.year, start.month, start.day, tzinfo=SHANGHAI).astimezone(UTC) if start else None
    after = (datetime(end.year, end.month, end.day, tzinfo=SHANGHAI) + timedelta(days=1)).astimezone(UTC) \
        if end else None
    return first, after


def local_day_bounds(start: date, end: date) -> tuple[str, str]:
    """The UTC audit-stamp range [from, to) of the Beijing days start..end (for a query on AuditEvent.at)."""
    first, after = local_day_range(start, end)
    assert first is not None and after is not None
    return utc_stamp(first), utc_stamp(after)
