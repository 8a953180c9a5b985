"""Settings of the rebuttal desk's deadlines (`desk:` in config.yaml): the bands that
give each case a time to triage and a time to respond, the office's business hours
and public holidays, who hears of a missed deadline, and when "about to miss" starts.

A module of its own because core/config.py is at its size limit; it imports nothing
of ours, so core.config can import it. `cross_checks` is called by core.loading, so
unknown channel and topic ids are reported with their line like the alert rules'.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

_DURATION = re.compile(r"(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?")


def parse_duration(value: Any) -> Any:
    """ "2h", "24h", "1d", "1h30m", "45m" -> timedelta; other values are left to pydantic."""
    if not isinstance(value, str):
        return value
    text = value.strip().lower()
    if text.startswith("p"):
        return value  # ISO 8601 ("PT2H"): pydantic's own timedelta parsing
    match = _DURATION.fullmatch(text)
    if not text or match is None or not any(match.groups()):
        raise ValueError(f'not a duration like "2h", "30m", "1d" or "1h30m": {value!r}')
    days, hours, minutes = (int(part or 0) for part in match.groups())
    return dt.timedelta(days=days, hours=hours, minutes=minutes)


def format_duration(value: dt.timedelta) -> str:
    """The office's own notation back ("1d2h30m"), so a written-out config reads as typed."""
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    text = (f"{days}d" if days else "") + (f"{hours}h" if hours else "")
    return text + (f"{minutes}m" if minutes or not text else "")


def _parse_warn_before(value: Any) -> Any:
    """A duration string ("30m") or a fraction of the deadline's window (0.25)."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return parse_duration(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not 0 < value < 1:
            raise ValueError(f'a fraction between 0 and 1, or a time like "30m": {value!r}')
        return float(value)
    return value


Duration = Annotated[
    dt.timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, when_used="json"),
    Field(gt=dt.timedelta(0)),
]
# A fraction in (0, 1) of the time a deadline allows, or a fixed time before it.
WarnBefore = Annotated[
    float | Duration,
    Field(union_mode="left_to_right"),
    BeforeValidator(_parse_warn_before),
]
Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
Clock = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)  # as core.config.Strict


class DeadlineBand(_Strict):
    """Which cases a band covers (every given condition must hold) and their deadlines."""

    id: Id
    min_priority: float | None = Field(None, ge=0, le=100)
    # Any one of these topics; `sensitive: true` means any topic marked sensitive.
    topics: list[Id] = []
    sensitive: bool = False
    # "foreign": a foreign outlet carried the story; "domestic": only domestic ones did.
    origin: Literal["foreign", "domestic"] | None = None
    triage: Duration
    respond: Duration
    # true: the clock runs only in business hours, off on holidays; false: around the clock.
    business_hours: bool = True


class BusinessHours(_Strict):
    start: Clock = "07:30"
    end: Clock = "17:00"
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field([1, 2, 3, 4, 5], min_length=1)

    @model_validator(mode="after")
    def _start_before_end(self) -> BusinessHours:
        if self.start >= self.end:
            raise ValueError(f"business hours must start before they end ({self.start}–{self.end})")
        return self


DEFAULT_BAND = DeadlineBand.model_validate({"id": "default", "triage": "8h", "respond": "3d"})


class Desk(_Strict):
    # Off by default: an office turns deadlines on when it has set its bands.
    enabled: bool = False
    # First matching band wins, so list the strictest first; `default` takes the rest.
    bands: list[DeadlineBand] = []
    default: DeadlineBand = DEFAULT_BAND
    business_hours: BusinessHours = BusinessHours()
    # The country whose public holidays are days off (the `holidays` library: Tết by the
    # lunar calendar, days in lieu and the government's substituted days, every year);
    # null: none. `holidays` adds the office's own (a provincial day, a late notice).
    public_holidays: str | None = "VN"
    holidays: list[dt.date] = []

    @field_validator("public_holidays")
    @classmethod
    def _known_country(cls, code: str | None) -> str | None:
        import holidays

        # The library exposes each country's class under its ISO code; listing every
        # country instead loads them all (about 50 ms on each config load).
        if code is not None and not (re.fullmatch(r"[A-Z]{2,3}", code) and hasattr(holidays, code)):
            raise ValueError(f"unknown country {code!r} for public holidays (Vietnam is 'VN')")
        return code

    # Ids of `alerts.channels` that reach the leadership when a deadline is missed.
    escalation_channels: list[Id] = []
    # When "about to miss" starts: a time before the deadline, or a fraction of its window.
    warn_before: WarnBefore = dt.timedelta(minutes=30)
    # The bot that writes to a person's own Telegram chat (the user record's chat id).
    telegram_token_env: str = Field("PRESSWATCH_TELEGRAM_TOKEN", pattern=r"^[A-Za-z_]\w*$")
    telegram_api_url: str = Field("https://api.telegram.org", pattern=r"^https?://[^\s/]+")

    def all_bands(self) -> list[DeadlineBand]:
        """The bands in the order they are tried, the default last."""
        return [*self.bands, self.default]


def cross_checks(
    desk: Any, channel_ids: set[Any], topic_ids: set[Any]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Unknown alert channels and topics in the raw `desk:` mapping (core.loading)."""
    if not isinstance(desk, dict):
        return
    escalation = desk.get("escalation_channels")
    for position, channel in enumerate(escalation if isinstance(escalation, list) else []):
        if channel not in channel_ids:
            yield ("desk", "escalation_channels", position), f"unknown channel {channel!r}"
    bands = desk.get("bands")
    seen: set[Any] = set()
    for index, band in enumerate(bands if isinstance(bands, list) else []):
        if not isinstance(band, dict):
            continue
        if band.get("id") in seen:
            yield ("desk", "bands", index, "id"), f"duplicate id {band.get('id')!r}"
        seen.add(band.get("id"))
        topics = band.get("topics")
        for position, topic in enumerate(topics if isinstance(topics, list) else []):
            if topic not in topic_ids:
                yield ("desk", "bands", index, "topics", position), f"unknown topic {topic!r}"
