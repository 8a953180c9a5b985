"""Reusable checked field types of the configuration (URLs, cron, regexes, time zones, clock
times, environment-variable names): split from core.config to keep it within its size limit."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field


def _check_url(value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc or " " in value:
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value


def _check_cron(value: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value)
    except ValueError as exc:
        raise ValueError(f"not a valid cron expression {value!r}: {exc}") from None
    return value


def _check_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression {value!r}: {exc}") from None
    return value


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {value!r}") from None
    return value


def _check_clock(value: str) -> str:
    try:
        dt.time.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not a clock time HH:MM: {value!r}") from None
    return value


def _check_env_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        # Never echo the value: it is often the secret itself, typed in by mistake.
        raise ValueError(
            "not an environment variable name (letters, digits, _): put the secret in an "
            "environment variable and give that variable's name here"
        )
    return value


Url = Annotated[str, AfterValidator(_check_url)]
Cron = Annotated[str, AfterValidator(_check_cron)]
Regex = Annotated[str, AfterValidator(_check_regex)]
TimeZone = Annotated[str, AfterValidator(_check_timezone)]
ClockTime = Annotated[str, AfterValidator(_check_clock)]
EnvName = Annotated[str, AfterValidator(_check_env_name)]
Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
Language = Literal["vi", "en"]
