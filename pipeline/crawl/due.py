"""Which entry pages a scheduled crawl asks for now.

Feeds follow their adaptive period (pipeline.crawl.polling); sitemaps and
section pages their source's `interval_minutes`. The scheduler ticks every
source at `tick_minutes`, and a tick with nothing due starts no crawl process.
Disabled feeds are left out until `presswatch feeds enable URL`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from core.config import Settings, Source
from pipeline.crawl.polling import FLOOR_MINUTES
from storage import crawl_state
from storage.crawl_state import EntrySchedule
from storage.db import Database


def tick_minutes(source: Source) -> int:
    """How often the scheduler looks at a source: its feeds may shorten to the floor."""
    return min(source.interval_minutes, FLOOR_MINUTES)


def _slack(source: Source) -> dt.timedelta:
    # A page fetched a few seconds into one tick is due at the tick one period later.
    return dt.timedelta(minutes=tick_minutes(source) / 2)


def _feed_due(known: EntrySchedule | None, now: dt.datetime | None, slack: dt.timedelta) -> bool:
    if known is None:
        return True
    if known.disabled_reason:
        return False
    return now is None or known.next_poll_at is None or known.next_poll_at - slack <= now


def _page_due(
    known: EntrySchedule | None, now: dt.datetime | None, source: Source, slack: dt.timedelta
) -> bool:
    if now is None or known is None or known.last_fetched_at is None:
        return True
    return known.last_fetched_at + dt.timedelta(minutes=source.interval_minutes) - slack <= now


@dataclass(frozen=True, slots=True)
class DuePlan:
    """What a crawl asks for now, and the feeds it leaves out for repeated failures."""

    sources: list[Source]
    disabled: dict[str, list[tuple[str, str]]]  # source id -> [(feed URL, reason)]


def due_plan(
    settings: Settings, database: Database, source_ids: Sequence[str], now: dt.datetime | None
) -> DuePlan:
    """The selected sources narrowed to their entry pages due at `now` (None: every
    page, as a crawl started by hand asks; disabled feeds stay out either way);
    sources with nothing left are left out. One read of the polling state."""
    sources = [settings.source(source_id) for source_id in source_ids]
    urls = [u for s in sources for u in (*s.feeds, *s.start_urls, *s.sitemaps)]
    with database.read_session() as session:
        known = crawl_state.entry_schedules(session, urls)
    due: list[Source] = []
    disabled: dict[str, list[tuple[str, str]]] = {}
    for source in sources:
        for url in source.feeds:
            reason = known[url].disabled_reason if url in known else None
            if reason:
                disabled.setdefault(source.id, []).append((url, reason))
        slack = _slack(source)
        feeds = [u for u in source.feeds if _feed_due(known.get(u), now, slack)]
        start_urls = [u for u in source.start_urls if _page_due(known.get(u), now, source, slack)]
        sitemaps = [u for u in source.sitemaps if _page_due(known.get(u), now, source, slack)]
        if feeds or start_urls or sitemaps:
            update = {"feeds": feeds, "start_urls": start_urls, "sitemaps": sitemaps}
            due.append(source.model_copy(update=update))
    return DuePlan(sources=due, disabled=disabled)
