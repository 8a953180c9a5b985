"""When to poll each feed again: Media Cloud rss-fetcher's adaptive rule.

A feed that keeps repeating what we have seen is polled less often, one that is
mostly new more often; errors back off linearly and, after `DISABLE_AFTER` in a
row, the feed is disabled with its reason on record. The source's
`interval_minutes` is each feed's starting period and its cap, so an office's
setting is never exceeded and adaptation only ever saves requests or catches
up with a busy feed. Pure functions: storage keeps the state, this decides.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

FLOOR_MINUTES = 10  # never more often than this (or than the feed says it updates)
LONGER_MINUTES = 10  # a poll that brought little new lengthens the period by this
IDLE_LONGER_MINUTES = 60  # ... or by this when nothing new came for IDLE_DAYS
IDLE_DAYS = 31
SHORTER_MINUTES = 60  # a poll that was mostly new shortens it by this
MOSTLY_SEEN = 0.67
MOSTLY_NEW = 0.33
WARM_UP_POLLS = 2  # successful polls before the period starts to move
MAX_BACKOFF = dt.timedelta(hours=24)
MAX_RETRY_AFTER = dt.timedelta(days=7)  # a server asking for longer is not believed
DISABLE_AFTER = 30  # failed polls in a row


@dataclass(frozen=True, slots=True)
class PollState:
    """What storage remembers of one feed between polls."""

    period_minutes: int | None = None
    polls_ok: int = 0
    failures: int = 0
    last_new_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class PollDecision:
    period_minutes: int
    next_poll_at: dt.datetime
    polls_ok: int
    last_new_at: dt.datetime | None
    disabled_reason: str | None = None


def floor_minutes(cap: int, advertised_minutes: int | None) -> int:
    """The shortest period: 10 minutes, or the feed's own sy:updatePeriod/ttl if longer."""
    return min(cap, max(FLOOR_MINUTES, advertised_minutes or 0))


def after_success(
    state: PollState,
    *,
    now: dt.datetime,
    cap: int,
    entries: int,
    seen: int,
    advertised_minutes: int | None = None,
) -> PollDecision:
    """A poll that answered (200 with `entries`, of which `seen` were known; or 304)."""
    period = min(state.period_minutes or cap, cap)
    fresh = entries - seen
    last_new_at = now if fresh > 0 else state.last_new_at
    if state.polls_ok >= WARM_UP_POLLS:
        share_seen = seen / entries if entries else 1.0
        if share_seen >= MOSTLY_SEEN:
            idle = last_new_at is not None and now - last_new_at >= dt.timedelta(days=IDLE_DAYS)
            period += IDLE_LONGER_MINUTES if idle else LONGER_MINUTES
        elif share_seen < MOSTLY_NEW:
            period -= SHORTER_MINUTES
    period = max(floor_minutes(cap, advertised_minutes), min(period, cap))
    return PollDecision(
        period_minutes=period,
        next_poll_at=now + dt.timedelta(minutes=period),
        polls_ok=state.polls_ok + 1,
        last_new_at=last_new_at,
    )


def after_failure(
    state: PollState,
    *,
    now: dt.datetime,
    cap: int,
    error: str,
    retry_after: dt.timedelta | None = None,
) -> PollDecision:
    """A poll that failed: wait `failures` periods (at most a day), or what the
    server asked for in Retry-After if longer; disable after DISABLE_AFTER."""
    period = min(state.period_minutes or cap, cap)
    failures = state.failures + 1
    wait = min(MAX_BACKOFF, dt.timedelta(minutes=period) * failures)
    if retry_after is not None:
        wait = max(wait, min(retry_after, MAX_RETRY_AFTER))
    reason = None
    if failures >= DISABLE_AFTER:
        reason = f"disabled after {failures} failed polls in a row; last error: {error}"[:2000]
    return PollDecision(
        period_minutes=period,
        next_poll_at=now + wait,
        polls_ok=state.polls_ok,
        last_new_at=state.last_new_at,
        disabled_reason=reason,
    )


def retry_after_delay(value: str | None, now: dt.datetime) -> dt.timedelta | None:
    """Retry-After as seconds or as an HTTP date (RFC 9110 10.2.3); None if absent or bad."""
    from email.utils import parsedate_to_datetime

    if not value or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return dt.timedelta(seconds=int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(dt.timedelta(0), when - now)
