"""The queue's and the article search's filters, read once from the query string.

The pages, their CSV and Excel downloads and the dashboard's links all take the
same parameters; each is a FastAPI dependency here, so a filter added to the
page is the same filter in the download.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core.config import Settings
from pipeline.reports.periods import days_bounds, local_today
from storage import cases as case_store
from storage import web_queries

STANCES = ("supportive", "neutral", "critical")
ORIGINS = ("domestic", "foreign")
# The dashboard's periods, in local days ending today (see pipeline.web.dashboard).
PERIODS = {1: "period_today", 7: "period_7", 30: "period_30"}
# Case priority is on a 0..100 scale (pipeline.process.flag.priority).
HIGH_PRIORITY = 70.0
MEDIUM_PRIORITY = 40.0
PRIORITY_BANDS = ("high", "medium", "low")


def priority_band(priority: float) -> str:
    if priority >= HIGH_PRIORITY:
        return "high"
    return "medium" if priority >= MEDIUM_PRIORITY else "low"


@dataclass(frozen=True, slots=True)
class QueueFilters:
    status: str = "open"
    topic: str = ""
    origin: str = ""
    assignee: str = ""
    priority: str = ""

    def form(self) -> dict[str, str]:
        return {
            "status": self.status,
            "topic": self.topic,
            "origin": self.origin,
            "assignee": self.assignee,
            "priority": self.priority,
        }

    def cases(self, session: Session) -> list[case_store.Case]:
        """The matching cases, highest priority first."""
        found = case_store.list_cases(
            session,
            status=None if self.status == "all" else self.status,
            topic=self.topic or None,
            origin=self.origin or None,
            assignee=self.assignee or None,
        )
        if self.priority:
            found = [c for c in found if priority_band(c.priority) == self.priority]
        return found


def queue_filters(
    status: str = "open",
    topic: str = "",
    origin: str = "",
    assignee: str = "",
    priority: str = "",
) -> QueueFilters:
    """The queue's query parameters; an unknown value falls back to no filter."""
    return QueueFilters(
        status=status if status in (*case_store.STATUSES, "open", "all") else "open",
        topic=topic[:64],
        origin=origin if origin in ORIGINS else "",
        assignee=assignee[:64],
        priority=priority if priority in PRIORITY_BANDS else "",
    )


@dataclass(frozen=True, slots=True)
class ArticleFilters:
    q: str = ""
    source: str = ""
    topic: str = ""
    stance: str = ""
    date_from: str = ""
    date_to: str = ""
    scope: str = "relevant"
    sort: str = "date"
    origin: str = ""
    flagged: str = ""
    collected: str = ""  # "1", "7" or "30": collected in the dashboard's period

    def form(self) -> dict[str, str]:
        return {
            "q": self.q,
            "source": self.source,
            "topic": self.topic,
            "stance": self.stance,
            "date_from": self.date_from,
            "date_to": self.date_to,
            "scope": self.scope,
            "sort": self.sort,
            "origin": self.origin,
            "flagged": self.flagged,
            "collected": self.collected,
        }

    def query(self, settings: Settings, now: dt.datetime | None = None) -> web_queries.ArticleQuery:
        """The search these filters ask for (first page: the caller sets limit/offset)."""
        tz = ZoneInfo(settings.profile.timezone)
        fetched_from = fetched_to = None
        if self.collected:
            # The dashboard's own bounds, so its numbers and this list agree.
            now = now or dt.datetime.now(dt.UTC)
            fetched_from, fetched_to = days_bounds(
                local_today(settings.profile.timezone, now),
                int(self.collected),
                settings.profile.timezone,
            )
        return web_queries.ArticleQuery(
            text=self.q,
            source_id=self.source or None,
            topic=self.topic or None,
            stance=self.stance or None,
            date_from=_day_start(self.date_from, tz),
            date_to=_day_start(self.date_to, tz, end=True),
            fetched_from=fetched_from,
            fetched_to=fetched_to,
            origin=self.origin or None,
            flagged_only=self.flagged == "1",
            relevant_only=self.scope != "all",
            topic_threshold=settings.nlp.thresholds.topic_score,
            sort=self.sort,
        )


def article_filters(
    q: str = "",
    source: str = "",
    topic: str = "",
    stance: str = "",
    date_from: str = "",
    date_to: str = "",
    scope: str = "relevant",
    sort: str = "date",
    origin: str = "",
    flagged: str = "",
    collected: str = "",
) -> ArticleFilters:
    """The article search's query parameters; an unknown value falls back to no filter."""
    return ArticleFilters(
        q=q[:200],
        source=source[:64],
        topic=topic[:64],
        stance=stance if stance in (*STANCES, "none") else "",
        date_from=date_from[:10],
        date_to=date_to[:10],
        scope="all" if scope == "all" else "relevant",
        sort="relevance" if sort == "relevance" else "date",
        origin=origin if origin in (*ORIGINS, "unknown") else "",
        flagged="1" if flagged == "1" else "",
        collected=collected if collected.isdigit() and int(collected) in PERIODS else "",
    )


def _day_start(value: str, tz: ZoneInfo, *, end: bool = False) -> dt.datetime | None:
    """A YYYY-MM-DD form value as the local midnight starting (or, if end, after) that day."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    if end:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)
