"""Days and ISO weeks in the office's timezone, as UTC bounds for queries.

The one definition of each period every report and page uses: a day is a
local calendar day (`day_bounds`); "the last N days" are N local days ending
with a given one (`days_bounds`: the dashboard's 7 and 30 days end today, the
digest's week before ends the day before); "last week" is the ISO week before
the current one (`previous_week`: the weekly export and its schedule); a report period is a
calendar month or an ISO week (`Period`, `parse_period`). Pair
the bounds with `storage.reports.articles_fetched_between`, the one query of a
period's articles, so every count of a day agrees.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from core.errors import PresswatchError

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def day_bounds(day: dt.date, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a local calendar day, in UTC."""
    zone = ZoneInfo(timezone)
    start = dt.datetime.combine(day, dt.time(), zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def days_bounds(last_day: dt.date, days: int, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the `days` local calendar days ending with `last_day`, in UTC."""
    start, _ = day_bounds(last_day - dt.timedelta(days=days - 1), timezone)
    _, end = day_bounds(last_day, timezone)
    return start, end


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_iso_week(text: str) -> str:
    match = _WEEK.match(text)
    if not match:
        raise PresswatchError(f"not an ISO week {text!r}: write it like 2026-W48")
    try:
        dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise PresswatchError(f"no such ISO week: {text!r}") from None
    return text


def week_bounds(week: str, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """[Monday 00:00, next Monday 00:00) of an ISO week in local time, in UTC."""
    parse_iso_week(week)
    year, number = int(week[:4]), int(week[6:])
    monday = dt.date.fromisocalendar(year, number, 1)
    start, _ = day_bounds(monday, timezone)
    end, _ = day_bounds(monday + dt.timedelta(days=7), timezone)
    return start, end


def local_today(timezone: str, now: dt.datetime | None = None) -> dt.date:
    return (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(timezone)).date()


def previous_week(timezone: str, now: dt.datetime | None = None) -> str:
    """Last week: the ISO week before the one `now` falls in, in local time."""
    return iso_week(local_today(timezone, now) - dt.timedelta(days=7))


def parse_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PresswatchError(f"not a date {text!r}: write it like 2026-11-25") from None


@dataclass(frozen=True, slots=True)
class Period:
    """A report period: a calendar month ("2026-11") or an ISO week ("2026-W47")."""

    kind: Literal["month", "week"]
    key: str
    first_day: dt.date
    last_day: dt.date

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def bounds(self, timezone: str) -> tuple[dt.datetime, dt.datetime]:
        return days_bounds(self.last_day, self.days, timezone)

    def previous(self) -> Period:
        if self.kind == "week":
            return week_period(iso_week(self.first_day - dt.timedelta(days=7)))
        before = self.first_day - dt.timedelta(days=1)
        return month_period(f"{before.year:04d}-{before.month:02d}")


def month_period(text: str) -> Period:
    match = _MONTH.match(text)
    if not match or not 1 <= int(match[2]) <= 12:
        raise PresswatchError(f"not a month {text!r}: write it like 2026-11")
    first = dt.date(int(match[1]), int(match[2]), 1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return Period("month", text, first, following - dt.timedelta(days=1))


def week_period(text: str) -> Period:
    parse_iso_week(text)
    monday = dt.date.fromisocalendar(int(text[:4]), int(text[6:]), 1)
    return Period("week", text, monday, monday + dt.timedelta(days=6))


def parse_period(text: str) -> Period:
    """A month (2026-11) or an ISO week (2026-W47)."""
    return week_period(text) if "W" in text else month_period(text)
