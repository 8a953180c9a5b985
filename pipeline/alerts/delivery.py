"""Delivering due alerts: each channel on its own thread with a time budget,
a few sends at a time, every send claimed first.

Guarantees (README, "Guarantees"):
- A delivery is claimed (status "sending", committed) just before its send and
  marked "sent" in the step right after the channel answers, so a repeat needs
  a crash between those two steps. The claim is a lease of `store.STALE_CLAIM`
  (one minute) that a heartbeat renews while the send is in flight: a dead
  run's claims are retried a minute later, not after 15 minutes.
- Webhooks carry the alert key as `Idempotency-Key`, so a receiver drops such a
  repeat; email (Message-ID) and Telegram are at-least-once.
- A channel that does not answer costs at most `CHANNEL_BUDGET_SECONDS` per run;
  what it did not reach waits for the next run (not claimed, not counted as a
  failure). A delivery another run claimed is reported as "claimed elsewhere".
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Literal

from pipeline.alerts import channels
from pipeline.alerts.people import person_channels
from storage import alerts as store
from storage.db import Database

if TYPE_CHECKING:
    from core.config import Channel, Settings
    from pipeline.alerts.rules import AlertStats

logger = logging.getLogger(__name__)

# Per channel and run: a webhook that never answers blocks nothing beyond this.
CHANNEL_BUDGET_SECONDS = 60.0
# Sends in flight per channel (a slow receiver costs timeout / this per delivery).
PER_CHANNEL_CONCURRENCY = 4

Outcome = Literal["sent", "failed", "elsewhere", "deferred"]


def deliver_due(
    settings: Settings,
    database: Database,
    stats: AlertStats,
    now: dt.datetime,
    *,
    stop: threading.Event | None = None,
    budget_seconds: float | None = None,
) -> None:
    """Send what `pipeline.alerts.rules.deliver` decided may go now, per channel."""
    from pipeline.alerts.rules import BACKOFF_MAX, quiet_until

    by_id: dict[str, Channel] = {c.id: c for c in settings.alerts.channels}
    held_until = quiet_until(settings.alerts.quiet_hours, settings.profile.timezone, now)
    limit = settings.alerts.rate_limit_per_hour
    with database.session() as session:
        due = store.due_deliveries(session, now)
    by_id.update(person_channels(settings, database, {d.channel_id for d in due}))
    with database.session() as session:
        recent = {
            cid: len(store.sent_since(session, cid, now - dt.timedelta(hours=1)))
            for cid in {d.channel_id for d in due}
        }
        oldest = {
            cid: store.sent_since(session, cid, now - dt.timedelta(hours=1))
            for cid in {d.channel_id for d in due}
        }
    queues: dict[str, list[store.DueDelivery]] = defaultdict(list)
    with database.session() as session:
        for delivery in due:
            channel = by_id.get(delivery.channel_id)
            if channel is None or not channel.enabled:
                # Kept, not dropped: it goes out once the channel is configured again.
                store.postpone(
                    session,
                    delivery.id,
                    now + BACKOFF_MAX,
                    f"channel {delivery.channel_id!r} is not configured or disabled",
                )
                stats.held += 1
            elif held_until is not None and not delivery.urgent:
                store.postpone(session, delivery.id, held_until, "quiet hours")
                stats.held += 1
            elif recent[delivery.channel_id] >= limit:
                times = oldest[delivery.channel_id]
                until = (times[-limit] if len(times) >= limit else now) + dt.timedelta(hours=1)
                store.postpone(session, delivery.id, until, f"rate limit {limit}/hour")
                stats.held += 1
            else:
                recent[delivery.channel_id] += 1  # the slot is taken before sending
                queues[delivery.channel_id].append(delivery)
    lock = threading.Lock()
    in_flight: set[int] = set()
    started = time.monotonic()

    def clock() -> dt.datetime:
        # The run's own clock (`now` plus time elapsed), so leases agree with claims.
        return now + dt.timedelta(seconds=time.monotonic() - started)

    def run_channel(channel_id: str, queue: list[store.DueDelivery]) -> None:
        channel = by_id[channel_id]
        # No send starts after the budget, so a channel costs at most budget + one timeout.
        budget = CHANNEL_BUDGET_SECONDS if budget_seconds is None else budget_seconds
        deadline = time.monotonic() + budget
        with ThreadPoolExecutor(PER_CHANNEL_CONCURRENCY, f"alerts-{channel_id}") as pool:
            outcomes = list(
                pool.map(
                    lambda d: _send_one(
                        settings, database, channel, d, clock, deadline, stop, in_flight, lock
                    ),
                    queue,
                )
            )
        deferred = outcomes.count("deferred")
        if deferred:
            logger.warning(
                "alerts via %s: %d delivery(ies) left for the next run (time budget %.0f s "
                "or stopping)",
                channel_id,
                deferred,
                budget,
            )
        with lock:
            stats.sent += outcomes.count("sent")
            stats.failed += outcomes.count("failed")
            stats.elsewhere += outcomes.count("elsewhere")
            stats.deferred += deferred

    threads = [
        threading.Thread(target=run_channel, args=item, name=f"alerts-{item[0]}")
        for item in queues.items()
    ]
    done = threading.Event()
    beat = threading.Thread(
        target=_heartbeat, args=(database, in_flight, lock, clock, done), daemon=True
    )
    beat.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    beat.join()


def _heartbeat(
    database: Database,
    in_flight: set[int],
    lock: threading.Lock,
    clock: Callable[[], dt.datetime],
    done: threading.Event,
) -> None:
    """Renew this run's claims while their sends are in flight."""
    while not done.wait(store.STALE_CLAIM.total_seconds() / 4):
        with lock:
            ids = sorted(in_flight)
        if not ids:
            continue
        try:
            with database.session() as session:
                store.renew_claims(session, ids, clock())
        except Exception:  # a missed beat only lets the lease run out sooner
            logger.warning("could not renew alert delivery claims", exc_info=True)


def _send_one(
    settings: Settings,
    database: Database,
    channel: Channel,
    delivery: store.DueDelivery,
    clock: Callable[[], dt.datetime],
    deadline: float,
    stop: threading.Event | None,
    in_flight: set[int],
    lock: threading.Lock,
) -> Outcome:
    if time.monotonic() > deadline or (stop is not None and stop.is_set()):
        return "deferred"
    # Claim first, in its own committed transaction: a second run now skips it.
    with database.session() as session:
        if not store.claim_delivery(session, delivery.id, clock()):
            return "elsewhere"
    with lock:
        in_flight.add(delivery.id)
    try:
        return _send_claimed(settings, database, channel, delivery, clock())
    finally:
        with lock:
            in_flight.discard(delivery.id)


def _send_claimed(
    settings: Settings,
    database: Database,
    channel: Channel,
    delivery: store.DueDelivery,
    now: dt.datetime,
) -> Outcome:
    from pipeline.alerts.rules import backoff

    message = channels.Message(
        key=delivery.key, subject=delivery.subject, text=delivery.body, payload=delivery.payload
    )
    try:
        channels.send(settings, channel, message)
    except channels.DeliveryError as exc:
        retry_at = now + backoff(delivery.attempts + 1)
        with database.session() as session:
            store.mark_failed(session, delivery.id, str(exc), retry_at)
        logger.warning(
            "alert %s via %s failed (attempt %d, retry at %s): %s",
            delivery.key,
            channel.id,
            delivery.attempts + 1,
            retry_at.isoformat(),
            exc,
        )
        return "failed"
    # Recorded in the very next step: the only window for a repeat (see above).
    with database.session() as session:
        store.mark_sent(session, delivery.id, now)
    logger.info("alert %s sent via %s", delivery.key, channel.id)
    return "sent"
