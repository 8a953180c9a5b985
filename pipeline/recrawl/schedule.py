"""Which refetches are due (issue 15): each relevant article at every `recrawl.after`
offset from its first fetch, and each article of an open case once a day. Every
entry has its own key (article, due kind), so scheduling again adds nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from core.desk_settings import format_duration
from core.recrawl_settings import RecrawlSettings
from storage.versions import open_case_articles, relevant_articles, schedule_recrawl


def schedule_due(session: Session, settings: RecrawlSettings, now: dt.datetime) -> int:
    """Add the refetches not yet scheduled; returns how many were added."""
    added = 0
    for article_id, fetched_at in relevant_articles(session):
        for offset in settings.after:
            kind = format_duration(offset)
            added += schedule_recrawl(session, article_id, kind, fetched_at + offset)
    if settings.open_cases_daily:
        day = now.astimezone(dt.UTC).date().isoformat()
        for article_id in open_case_articles(session):
            added += schedule_recrawl(session, article_id, f"daily:{day}", now)
    return added
