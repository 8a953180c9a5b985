"""The adaptive polling rule, decision by decision (pipeline.crawl.polling)."""

from __future__ import annotations

import datetime as dt

from pipeline.crawl.polling import (
    DISABLE_AFTER,
    PollState,
    after_failure,
    after_success,
    retry_after_delay,
)

NOW = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)


def _polls(state: PollState, shares: list[tuple[int, int]], cap: int = 120) -> PollState:
    for entries, seen in shares:
        decision = after_success(state, now=NOW, cap=cap, entries=entries, seen=seen)
        state = PollState(
            period_minutes=decision.period_minutes,
            polls_ok=decision.polls_ok,
            last_new_at=decision.last_new_at,
        )
    return state


def test_a_new_feed_starts_at_its_interval_and_waits_two_polls_before_moving() -> None:
    state = _polls(PollState(), [(20, 0), (20, 20)])
    assert state.period_minutes == 120 and state.polls_ok == 2
    first = after_success(PollState(), now=NOW, cap=120, entries=20, seen=0)
    assert first.next_poll_at == NOW + dt.timedelta(minutes=120)


def test_a_busy_feed_is_polled_more_often_down_to_the_floor() -> None:
    state = _polls(PollState(), [(20, 0)] * 2 + [(20, 2)])
    assert state.period_minutes == 60
    assert _polls(state, [(20, 5)] * 3).period_minutes == 10  # 25% seen: shorter, floor 10


def test_a_feed_that_repeats_itself_slows_but_never_past_the_interval() -> None:
    busy = _polls(PollState(), [(20, 0)] * 4)
    assert busy.period_minutes == 10
    calmer = _polls(busy, [(20, 18)] * 3)  # 90% seen: +10 each
    assert calmer.period_minutes == 40
    assert _polls(calmer, [(20, 20)] * 20).period_minutes == 120


def test_between_a_third_and_two_thirds_new_keeps_the_period() -> None:
    busy = _polls(PollState(), [(10, 0)] * 3)
    assert _polls(busy, [(10, 5)] * 5).period_minutes == busy.period_minutes


def test_a_month_without_anything_new_lengthens_by_an_hour() -> None:
    state = PollState(period_minutes=30, polls_ok=9, last_new_at=NOW - dt.timedelta(days=32))
    assert after_success(state, now=NOW, cap=600, entries=5, seen=5).period_minutes == 90
    recent = PollState(period_minutes=30, polls_ok=9, last_new_at=NOW - dt.timedelta(days=2))
    assert after_success(recent, now=NOW, cap=600, entries=5, seen=5).period_minutes == 40


def test_not_modified_counts_as_all_seen() -> None:
    state = PollState(period_minutes=30, polls_ok=5, last_new_at=NOW)
    decision = after_success(state, now=NOW, cap=120, entries=0, seen=0)
    assert decision.period_minutes == 40 and decision.last_new_at == NOW


def test_the_feeds_own_update_period_is_the_floor() -> None:
    state = PollState(period_minutes=120, polls_ok=5)
    hourly = after_success(state, now=NOW, cap=240, entries=10, seen=0, advertised_minutes=60)
    assert hourly.period_minutes == 60
    again = PollState(period_minutes=60, polls_ok=6)
    assert (
        after_success(again, now=NOW, cap=240, entries=10, seen=0, advertised_minutes=60)
    ).period_minutes == 60


def test_errors_back_off_linearly_to_a_day_then_disable() -> None:
    waits = []
    state = PollState(period_minutes=60, polls_ok=4)
    for _ in range(DISABLE_AFTER):
        decision = after_failure(state, now=NOW, cap=60, error="HTTP 503")
        waits.append(decision.next_poll_at - NOW)
        state = PollState(period_minutes=60, polls_ok=4, failures=state.failures + 1)
        if decision.disabled_reason:
            break
    assert waits[:3] == [dt.timedelta(hours=h) for h in (1, 2, 3)]
    assert max(waits) == dt.timedelta(hours=24)
    assert state.failures == DISABLE_AFTER
    assert decision.disabled_reason is not None and "HTTP 503" in decision.disabled_reason


def test_retry_after_is_honoured_when_longer_than_the_backoff() -> None:
    state = PollState(period_minutes=30)
    decision = after_failure(
        state, now=NOW, cap=30, error="HTTP 429", retry_after=dt.timedelta(hours=5)
    )
    assert decision.next_poll_at == NOW + dt.timedelta(hours=5)
    short = after_failure(
        state, now=NOW, cap=30, error="HTTP 429", retry_after=dt.timedelta(seconds=5)
    )
    assert short.next_poll_at == NOW + dt.timedelta(minutes=30)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_delay("120", NOW) == dt.timedelta(seconds=120)
    assert retry_after_delay("Wed, 02 Dec 2026 10:00:00 GMT", NOW) == dt.timedelta(hours=2)
    assert retry_after_delay("soon", NOW) is None
    assert retry_after_delay(None, NOW) is None
