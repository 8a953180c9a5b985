"""Dashboard numbers. A period is N local days ending today, and its articles are
those collected in it: the same bounds and the same query as the digest
(`pipeline.reports.periods`, `storage.reports.articles_fetched_between`), so the
dashboard's today and the digest of today count the same articles. `build` is
pure arithmetic over what `load` reads."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from pipeline.reports.periods import days_bounds, local_today
from storage.reports import ReportArticle, articles_fetched_between
from storage.web_queries import OpenCase, open_cases

PERIODS = {1: "period_today", 7: "period_7", 30: "period_30"}
STANCES = ("supportive", "neutral", "critical")
STATUSES = ("new", "triaged", "in_progress")
# Case priority is on a 0..100 scale (pipeline.process.flag.priority).
HIGH_PRIORITY = 70.0
MEDIUM_PRIORITY = 40.0


@dataclass(frozen=True, slots=True)
class DayStance:
    day: dt.date
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(slots=True)
class Dashboard:
    days: int
    since: dt.datetime
    total: int = 0
    flagged: int = 0
    by_origin: list[tuple[str, int]] = field(default_factory=list)
    by_topic: list[tuple[str, int, int]] = field(default_factory=list)  # topic, domestic, foreign
    stance_by_day: list[DayStance] = field(default_factory=list)
    cases_by_status: list[tuple[str, int]] = field(default_factory=list)
    cases_by_priority: list[tuple[str, int]] = field(default_factory=list)
    open_cases: int = 0
    stance_by_origin: list[tuple[str, dict[str, int]]] = field(default_factory=list)

    @property
    def max_topic(self) -> int:
        return max((d + f for _, d, f in self.by_topic), default=0)

    @property
    def max_day(self) -> int:
        return max((d.total for d in self.stance_by_day), default=0)


def period_bounds(days: int, now: dt.datetime, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in UTC of the `days` local days ending today (1: today)."""
    return days_bounds(local_today(timezone, now), days, timezone)


def load(
    session: Session, *, days: int, now: dt.datetime, timezone: str, topic_threshold: float
) -> Dashboard:
    since, until = period_bounds(days, now, timezone)
    return build(
        articles_fetched_between(session, since, until),
        open_cases(session),
        days=days,
        since=since,
        now=now,
        tz=ZoneInfo(timezone),
        topic_threshold=topic_threshold,
    )


def build(
    facts: list[ReportArticle],
    cases: list[OpenCase],
    *,
    days: int,
    since: dt.datetime,
    now: dt.datetime,
    tz: ZoneInfo,
    topic_threshold: float,
) -> Dashboard:
    board = Dashboard(days=days, since=since, total=len(facts))
    board.flagged = sum(1 for f in facts if f.flagged)
    origins = Counter(f.origin or "unknown" for f in facts)
    board.by_origin = sorted(origins.items(), key=lambda kv: (-kv[1], kv[0]))
    topics: dict[str, list[int]] = {}
    for fact in facts:
        for topic in fact.topic_ids(topic_threshold):
            slot = topics.setdefault(topic, [0, 0])
            slot[1 if fact.origin == "foreign" else 0] += 1
    board.by_topic = sorted(
        ((topic, d, f) for topic, (d, f) in topics.items()), key=lambda x: (-(x[1] + x[2]), x[0])
    )
    first = since.astimezone(tz).date()
    last = now.astimezone(tz).date()
    per_day: dict[dt.date, Counter[str]] = {}
    day = first
    while day <= last:
        per_day[day] = Counter()
        day += dt.timedelta(days=1)
    for fact in facts:
        local = fact.fetched_at.astimezone(tz).date()
        if local in per_day:
            per_day[local][fact.stance if fact.stance in STANCES else "none"] += 1
    board.stance_by_day = [
        DayStance(day=d, counts={s: c[s] for s in (*STANCES, "none")}) for d, c in per_day.items()
    ]
    by_origin: dict[str, Counter[str]] = {}
    for fact in facts:
        label = fact.stance if fact.stance in STANCES else "none"
        by_origin.setdefault(fact.origin or "unknown", Counter())[label] += 1
    board.stance_by_origin = [
        (origin, {s: counts[s] for s in (*STANCES, "none")})
        for origin, counts in sorted(by_origin.items())
    ]
    board.open_cases = len(cases)
    statuses = Counter(case.status for case in cases)
    board.cases_by_status = [(s, statuses.get(s, 0)) for s in STATUSES] + [
        (s, n) for s, n in sorted(statuses.items()) if s not in STATUSES
    ]
    board.cases_by_priority = [
        ("priority_high", sum(1 for c in cases if c.priority >= HIGH_PRIORITY)),
        ("priority_medium", sum(1 for c in cases if MEDIUM_PRIORITY <= c.priority < HIGH_PRIORITY)),
        ("priority_low", sum(1 for c in cases if c.priority < MEDIUM_PRIORITY)),
    ]
    return board
