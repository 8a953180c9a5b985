"""The digest and the periodic report count the edits and removals the recrawl
saw in their period (issue 15); a title and a body change of one version are
one edit, and changes outside the period are not counted."""

from __future__ import annotations

import datetime as dt

from core.config import Settings
from pipeline.reports import digest_data, periodic_data
from pipeline.reports.periodic_layout import Para, outline
from pipeline.reports.periods import month_period
from storage.db import Database
from storage.sources import sync_sources
from storage.versions import add_version, record_change
from tests.pipeline.helpers import store_article

DAY = dt.date(2026, 11, 24)
IN_DAY = dt.datetime(2026, 11, 24, 5, 0, tzinfo=dt.UTC)  # 12:00 in Hanoi


def _changes(database: Database, settings: Settings) -> None:
    with database.session() as session:
        sync_sources(session, settings.sources)
    first, _ = store_article(database, new_story_title="Cầu")
    second, _ = store_article(database, new_story_title="Đường")
    with database.session() as session:
        for article_id in (first, second):
            for text in ("một", "hai"):  # versions 1 and 2
                add_version(
                    session, article_id, snapshot_id=None, title="T", text=text, fetched_at=IN_DAY
                )
        # One edit of two kinds, one body edit, one removal, one change the day after.
        for article_id, kind, at in (
            (first, "title", IN_DAY),
            (first, "body", IN_DAY),
            (second, "body", IN_DAY),
            (second, "deleted", IN_DAY + dt.timedelta(days=1)),
        ):
            record_change(session, article_id, kind, from_version=1, to_version=2, detected_at=at)
        record_change(session, first, "deleted", from_version=2, to_version=2, detected_at=IN_DAY)


def test_digest_and_report_count_edits_and_deletions(
    database: Database, db_settings: Settings
) -> None:
    _changes(database, db_settings)
    data = digest_data.collect(db_settings, database, DAY, "vi")
    counts = {m.key: m.value for m in data.metrics}
    assert (counts["articles_edited"], counts["articles_deleted"]) == (2, 1)

    report = periodic_data.collect(db_settings, database, month_period("2026-11"), language="en")
    assert (report.edits, report.deletions) == (2, 2)
    lines = [b.text for b in outline(report) if isinstance(b, Para)]
    assert "Edits by outlets to articles seen in the period: 2; removals: 2." in lines
