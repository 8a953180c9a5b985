"""Storage on SQLite and PostgreSQL: migrations, round trips, uniqueness, evidence."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect, select, text

from core.errors import SchemaError
from core.record import Article, Snapshot
from storage import models
from storage.articles import DuplicateArticle, add_article, assign_story, get_article, new_story
from storage.db import Database, check_schema, current_revision, head_revision, make_engine, upgrade
from storage.snapshots import iter_snapshots, load_snapshot, save_snapshot
from storage.sources import record_crawl_outcome, sync_sources

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def make_article(url: str = "https://baoquangtri.vn/xa-hoi/202611/lu-3fa1/") -> Article:
    return Article(
        url=url + "?utm_source=rss",
        canonical_url=url,
        source_id="baoquangtri",
        title="Lũ lớn ở Lệ Thủy, Quảng Bình",
        lead="Mưa lớn gây ngập sâu.",
        text="Mưa lớn kéo dài khiến nhiều xã ở huyện Lệ Thủy, tỉnh Quảng Bình ngập sâu.",
        authors=["Nguyễn Văn A"],
        published_at=dt.datetime(2026, 11, 20, 7, 30, tzinfo=HANOI),
        language="vi",
        content_hash="ab" * 32,
        relevant=True,
        places=[{"name": "le-thuy", "start": 10, "end": 17}],
    )


def test_migration_reaches_head(database: Database) -> None:
    assert current_revision(database.engine) == head_revision()
    tables = set(inspect(database.engine).get_table_names())
    assert set(models.Base.metadata.tables) <= tables
    check_schema(database.engine)


def test_article_round_trip_keeps_timezone_and_unicode(database: Database, settings) -> None:  # type: ignore[no-untyped-def]
    with database.session() as session:
        sync_sources(session, settings.sources)
        article_id = add_article(session, make_article())
    with database.session() as session:
        stored = get_article(session, article_id)
    original = make_article()
    assert stored.title == original.title and stored.text == original.text
    assert stored.published_at == original.published_at
    assert stored.published_at is not None and stored.published_at.utcoffset() == dt.timedelta(0)
    assert stored.places == original.places and stored.authors == original.authors
    assert stored.origin == "domestic" and stored.source_name


def test_canonical_url_cannot_be_stored_twice(database: Database, settings) -> None:  # type: ignore[no-untyped-def]
    with database.session() as session:
        sync_sources(session, settings.sources)
        first = add_article(session, make_article())
        with pytest.raises(DuplicateArticle):
            add_article(session, make_article())
        # The transaction stays usable after the refused duplicate.
        second = add_article(session, make_article("https://vnexpress.net/lu-4801234.html"))
    with database.session() as session:
        count = session.scalar(select(text("count(*)")).select_from(models.ArticleRow))
    assert count == 2 and first != second


def test_snapshot_bytes_come_back_identical(database: Database) -> None:
    body = "<html><meta charset='windows-1258'>Quảng Bình ".encode() + bytes(range(256))
    snapshot = Snapshot(
        url="https://example.vn/a",
        final_url="https://example.vn/a?x=1",
        status=200,
        body=body,
        headers={"Content-Type": "text/html", "ETag": '"v1"'},
    )
    with database.session() as session:
        snapshot_id = save_snapshot(session, snapshot)
        again = save_snapshot(
            session, Snapshot(url=snapshot.url, final_url=snapshot.url, status=200, body=body)
        )
    assert again == snapshot_id
    with database.session() as session:
        stored = load_snapshot(session, snapshot_id)
        assert [s.id for s in iter_snapshots(session)] == [snapshot_id]
    assert stored.body == body
    assert stored.headers == {"Content-Type": "text/html", "ETag": '"v1"'}
    assert stored.fetched_at == snapshot.fetched_at


def test_every_model_round_trips(database: Database, settings) -> None:  # type: ignore[no-untyped-def]
    now = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)
    with database.session() as session:
        sync_sources(session, settings.sources)
        record_crawl_outcome(session, "vnexpress", ok=False, error="HTTP 503", at=now)
        article_id = add_article(session, make_article())
        story_id = new_story(session, "Lũ ở Lệ Thủy")
        assign_story(session, article_id, story_id)
        session.add(
            models.FetchStateRow(
                url="https://vnexpress.net/rss/tin-moi-nhat.rss",
                source_id="vnexpress",
                etag='"x"',
                last_status=304,
                last_fetched_at=now,
            )
        )
        analysis = models.AnalysisRow(
            article_id=article_id,
            analyzer_version="v1",
            backend="embedded",
            model_version="m1",
            result={"topics": [{"id": "disaster", "score": 0.9}]},
            distortion_score=0.7,
            flagged=True,
        )
        case = models.CaseRow(story_id=story_id, title="Lũ", priority=0.8, topics=["disaster"])
        session.add_all([analysis, case])
        session.flush()
        session.add(
            models.CaseEventRow(
                case_id=case.id,
                actor="lan",
                action="assign",
                field="assignee",
                old_value=None,
                new_value="lan",
            )
        )
        session.add(
            models.LabelRow(
                article_id=article_id,
                case_id=case.id,
                task="flag",
                label="responded",
                given_by="lan",
            )
        )
        alert = models.AlertRow(
            key=f"high:{case.id}",
            rule_id="high",
            case_id=case.id,
            urgent=True,
            subject="s",
            body="b",
            payload={"score": 0.8},
        )
        session.add(alert)
        session.flush()
        session.add(
            models.AlertDeliveryRow(
                alert_id=alert.id, channel_id="press-email", next_attempt_at=now
            )
        )
        session.add(
            models.DigestRow(
                day=dt.date(2026, 11, 26), language="vi", html_path="d.html", text_path="d.txt"
            )
        )
        session.add(models.ExportRow(iso_week="2026-W48", path="w.csv", rows=3))
        session.add(models.UserRow(username="lan", password_hash="x", role="analyst"))
        session.add(models.JobLockRow(name="daemon", holder="host:1"))
    with database.session() as session:
        source = session.get(models.SourceRow, "vnexpress")
        assert source is not None and source.last_crawl_ok is False
        assert source.last_crawl_at == now
        story = session.get(models.StoryRow, story_id)
        assert story is not None and story.article_count == 1
        case_row = session.scalars(select(models.CaseRow)).one()
        assert [e.action for e in case_row.events] == ["assign"]
        assert (
            session.scalars(select(models.AnalysisRow)).one().result["topics"][0]["id"]
            == "disaster"
        )
        delivery = session.scalars(select(models.AlertDeliveryRow)).one()
        assert delivery.alert.payload == {"score": 0.8} and delivery.next_attempt_at == now
        assert session.scalars(select(models.DigestRow)).one().day == dt.date(2026, 11, 26)
        for model in (models.LabelRow, models.ExportRow, models.UserRow, models.JobLockRow):
            assert session.scalars(select(model)).one() is not None


def test_naive_datetimes_are_refused(database: Database, settings) -> None:  # type: ignore[no-untyped-def]
    article = make_article()
    article.published_at = dt.datetime(2026, 1, 1, 0, 0)
    with pytest.raises(Exception, match="naive datetime"), database.session() as session:
        sync_sources(session, settings.sources)
        add_article(session, article)


def test_unmigrated_database_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(SchemaError, match="presswatch db upgrade"):
        Database.open(url)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'future.db'}")
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaError, match="newer than this presswatch"):
        check_schema(engine)


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'wal.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
