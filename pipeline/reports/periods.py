"""Days and ISO weeks in the office's timezone, as UTC bounds for queries."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from core.errors import PresswatchError

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def day_bounds(day: dt.date, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a local calendar day, in UTC."""
    zone = ZoneInfo(timezone)
    start = dt.datetime.combine(day, dt.time(), zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


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


def parse_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PresswatchError(f"not a date {text!r}: write it like 2026-11-25") from None
