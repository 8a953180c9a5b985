"""Time as a deadline band counts it: around the clock, or only in the office's
business hours on working days (weekdays that are not public holidays).

Pure arithmetic on aware datetimes; the office's clock times are read in its
timezone (Asia/Ho_Chi_Minh has no daylight saving, so local wall time is exact).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import holidays as public_holidays

from core.desk_settings import BusinessHours

# A deadline is hours or days away; this many calendar days without a working hour
# means the configuration (every day a holiday) cannot be met, not a long wait.
MAX_DAYS = 3660


class DaysOff:
    """A country's public holidays, any year (computed by the `holidays` library on
    first use of a year), plus the office's own days off."""

    def __init__(self, country: str | None, extra: Iterable[dt.date] = ()) -> None:
        self.extra = frozenset(extra)
        self.country: Any = public_holidays.country_holidays(country) if country else None

    def __contains__(self, day: object) -> bool:
        return day in self.extra or (self.country is not None and day in self.country)


@functools.lru_cache(maxsize=8)
def days_off(country: str | None, extra: tuple[dt.date, ...] = ()) -> DaysOff:
    """One calendar per configuration: each year's holidays are computed once."""
    return DaysOff(country, extra)


@dataclass(frozen=True, eq=False)
class DeskClock:
    """How one band's time runs: `business` False counts every second."""

    zone: ZoneInfo
    business: bool
    opens: dt.time
    closes: dt.time
    weekdays: frozenset[int]
    holidays: DaysOff

    @classmethod
    def of(
        cls, hours: BusinessHours, holidays: DaysOff, timezone: str, *, business: bool
    ) -> DeskClock:
        return cls(
            zone=ZoneInfo(timezone),
            business=business,
            opens=dt.time.fromisoformat(hours.start),
            closes=dt.time.fromisoformat(hours.end),
            weekdays=frozenset(hours.weekdays),
            holidays=holidays,
        )

    def is_working_day(self, day: dt.date) -> bool:
        return day.isoweekday() in self.weekdays and day not in self.holidays

    def _window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        return (
            dt.datetime.combine(day, self.opens, self.zone),
            dt.datetime.combine(day, self.closes, self.zone),
        )

    def span(self, allowed: dt.timedelta) -> dt.timedelta:
        """The clock time a configured duration gives. In business hours a day is a
        working day ("respond: 2d" is two working days, not 48 working hours); hours
        and minutes are working hours and minutes."""
        if not self.business:
            return allowed
        working_day = dt.datetime.combine(dt.date.min, self.closes) - dt.datetime.combine(
            dt.date.min, self.opens
        )
        return allowed.days * working_day + (allowed - dt.timedelta(days=allowed.days))

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The moment `duration` of this clock's time has passed since `start` (UTC)."""
        if not self.business:
            return (start + duration).astimezone(dt.UTC)
        local = start.astimezone(self.zone)
        remaining = duration
        day = local.date()
        for _ in range(MAX_DAYS):
            if self.is_working_day(day):
                opens, closes = self._window(day)
                begin = max(local, opens)
                if begin < closes:
                    if remaining <= closes - begin:
                        return (begin + remaining).astimezone(dt.UTC)
                    remaining -= closes - begin
            day += dt.timedelta(days=1)
        raise ValueError(f"no working hours within {MAX_DAYS} days of {start.isoformat()}")

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """How much of this clock's time lies between `start` and `end`."""
        if end <= start:
            return dt.timedelta(0)
        if not self.business:
            return end - start
        local_start, local_end = start.astimezone(self.zone), end.astimezone(self.zone)
        total = dt.timedelta(0)
        day = local_start.date()
        while day <= local_end.date():
            if self.is_working_day(day):
                opens, closes = self._window(day)
                overlap = min(closes, local_end) - max(opens, local_start)
                total += max(overlap, dt.timedelta(0))
            day += dt.timedelta(days=1)
        return total
