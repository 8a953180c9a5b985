"""Article versions, changes and the recrawl schedule (issue 15), on SQLite and
PostgreSQL: the migration matches the models and every write is idempotent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect

from core.config import Settings
from storage.articles import add_article, assign_story, new_story
from storage.cases import insert_case
from storage.db import Database
from storage.models import Base
from storage.sources import sync_sources
from storage.version_models import ArticleChangeRow, ArticleVersionRow, RecrawlDueRow
from storage.versions import (
    add_version,
    due_recrawls,
    mark_recrawled,
    record_change,
    schedule_recrawl,
    versions_of,
)
from tests.storage.test_storage import make_article

NOW = dt.datetime(2026, 12, 3, 6, 0, tzinfo=dt.UTC)


def test_migration_creates_the_model_columns(database: Database) -> None:
    inspector = inspect(database.engine)
    for row in (ArticleVersionRow, ArticleChangeRow, RecrawlDueRow):
        table = Base.metadata.tables[row.__tablename__]
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name


def test_versions_changes_and_schedule_are_idempotent(
    database: Database, settings: Settings
) -> None:
    with database.session() as session:
        sync_sources(session, settings.sources)
        article_id = add_article(session, make_article())
        first = add_version(
            session, article_id, snapshot_id=None, title="A", text="x", fetched_at=NOW
        )
        same = add_version(
            session, article_id, snapshot_id=None, title="A", text="x", fetched_at=NOW
        )
        edited = add_version(
            session, article_id, snapshot_id=None, title="A", text="y", fetched_at=NOW
        )
        assert (first.version, same.version, edited.version) == (1, 1, 2)
        change = record_change(
            session, article_id, "body", from_version=1, to_version=2, detected_at=NOW
        )
        again = record_change(
            session, article_id, "body", from_version=1, to_version=2, detected_at=NOW
        )
        assert change.id == again.id
        assert schedule_recrawl(session, article_id, "24h", NOW)
        assert not schedule_recrawl(session, article_id, "24h", NOW)
        assert schedule_recrawl(session, article_id, "7d", NOW + dt.timedelta(days=7))
    with database.session() as session:
        assert [v.text for v in versions_of(session, article_id)] == ["x", "y"]
        due = due_recrawls(session, NOW)
        assert [d.due_kind for d in due] == ["24h"]
        mark_recrawled(session, due[0].id, NOW)
    with database.session() as session:
        assert due_recrawls(session, NOW) == []


def test_schedule_adds_each_offset_once(database: Database, settings: Settings) -> None:
    from core.recrawl_settings import RecrawlSettings
    from pipeline.recrawl.schedule import schedule_due

    recrawl = RecrawlSettings(after=["24h", "7d"], open_cases_daily=True)
    with database.session() as session:
        sync_sources(session, settings.sources)
        article_id = add_article(session, make_article())
        assert schedule_due(session, recrawl, NOW) == 2
        assert schedule_due(session, recrawl, NOW) == 0
        story_id = new_story(session, "Lũ")
        assign_story(session, article_id, story_id)
        insert_case(
            session, story_id=story_id, title="Lũ", distortion_score=0.5, priority=1.0, topics=[]
        )
        assert schedule_due(session, recrawl, NOW) == 1  # daily while the case is open
        assert schedule_due(session, recrawl, NOW + dt.timedelta(hours=1)) == 0
        assert schedule_due(session, recrawl, NOW + dt.timedelta(days=1)) == 1
