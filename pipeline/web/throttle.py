"""Login throttling, with its counters in the database (every server process sees them).

Two counters, both over the last `window` seconds:

* per (client address, name): after `pair_free` failures each further attempt
  must wait twice as long as the last (1 s, 2 s, 4 s ... capped at `max_wait`);
* per client address: after `address_free` failures, whatever the names, the
  same doubling applies, so trying many names from one client is slowed too.

There is no per-name lock: a lock on the name alone lets anyone lock any user
out. An address that has signed this name in before (a *known client*) is never
refused: it is slowed by at most `known_wait` seconds and its password checked,
so the owner gets in during an attack on the name even from the same network.
Every refusal is logged.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session

from storage.users import AttemptCounts, attempt_counts, forget_attempts, record_attempt

logger = logging.getLogger(__name__)

# Attempts are kept this long: long enough to remember known clients.
RETENTION = dt.timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Verdict:
    """`refuse_for` > 0: answer 429 and retry after that many seconds; else check the
    password after sleeping `delay` seconds (0 for an ordinary attempt)."""

    refuse_for: float
    delay: float


@dataclass
class LoginThrottle:
    window: float = 900.0
    pair_free: int = 5
    address_free: int = 10
    max_wait: float = 300.0
    known_wait: float = 2.0

    def _wait(self, failures: int, free: int, last: dt.datetime | None, now: dt.datetime) -> float:
        if failures < free or last is None:
            return 0.0
        needed = min(self.max_wait, 2.0 ** (failures - free))
        return max(0.0, needed - (now - last).total_seconds())

    def judge(self, counts: AttemptCounts, now: dt.datetime) -> Verdict:
        wait = max(
            self._wait(counts.pair_failures, self.pair_free, counts.pair_last, now),
            self._wait(counts.address_failures, self.address_free, counts.address_last, now),
        )
        if wait <= 0:
            return Verdict(0.0, 0.0)
        if counts.known:
            return Verdict(0.0, min(wait, self.known_wait))
        return Verdict(wait, 0.0)

    def before(self, session: Session, address: str, username: str) -> Verdict:
        now = dt.datetime.now(dt.UTC)
        counts = attempt_counts(session, address, username, now - dt.timedelta(seconds=self.window))
        verdict = self.judge(counts, now)
        if verdict.refuse_for > 0:
            logger.warning(
                "login refused (throttled %ds) for name %r from %s: %d failure(s) for the "
                "name, %d from the address in %ds",
                math.ceil(verdict.refuse_for),
                username,
                address,
                counts.pair_failures,
                counts.address_failures,
                int(self.window),
            )
        elif verdict.delay > 0:
            logger.warning(
                "login slowed %.1fs for name %r from known client %s",
                verdict.delay,
                username,
                address,
            )
        return verdict

    @staticmethod
    def pause(verdict: Verdict) -> None:
        if verdict.delay > 0:
            time.sleep(verdict.delay)

    @staticmethod
    def after(session: Session, address: str, username: str, ok: bool) -> None:
        record_attempt(session, address, username, ok)
        if ok:
            forget_attempts(session, dt.datetime.now(dt.UTC) - RETENTION)
