"""Repository functions for sources: config is the truth, the table mirrors it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Source
from storage.models import SourceRow, utcnow


def sync_sources(session: Session, sources: Sequence[Source]) -> None:
    """Insert or update every configured source; disable those no longer configured."""
    existing = {row.id: row for row in session.scalars(select(SourceRow))}
    for source in sources:
        row = existing.pop(source.id, None) or SourceRow(id=source.id)
        row.name = source.name
        row.kind = source.kind
        row.language = source.language
        row.origin = source.origin
        row.reach = source.reach
        row.enabled = source.enabled
        row.urls = {
            "feeds": list(source.feeds),
            "start_urls": list(source.start_urls),
            "sitemaps": list(source.sitemaps),
        }
        session.add(row)
    for row in existing.values():
        row.enabled = False
    session.flush()


def record_crawl_outcome(
    session: Session,
    source_id: str,
    *,
    ok: bool,
    error: str | None = None,
    at: dt.datetime | None = None,
) -> None:
    row = session.get(SourceRow, source_id)
    if row is None:
        raise KeyError(f"unknown source {source_id!r}: sync sources first")
    row.last_crawl_at = at or utcnow()
    row.last_crawl_ok = ok
    row.last_error = error


def list_sources(session: Session) -> list[SourceRow]:
    return list(session.scalars(select(SourceRow).order_by(SourceRow.id)))
