"""Repository functions for articles and their story clusters."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import Table, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from core.record import Article
from storage.mapping import apply_article, article_from_row
from storage.models import ArticleRow, StoryRow, utcnow
from storage.snapshots import UPSERT, insert_new_statement

# The mapped table, for Core inserts on the crawl's hot path.
ARTICLES = cast(Table, ArticleRow.__table__)


class DuplicateArticle(Exception):
    """An article with this canonical URL is already stored."""


def add_article(session: Session, article: Article, *, relevance_version: str | None = None) -> int:
    """Insert a new article; raise DuplicateArticle if its canonical URL exists.

    `relevance_version` names what decided `article.relevant` (None: nothing
    versioned did). A duplicate leaves the caller's transaction usable (ON
    CONFLICT DO NOTHING, or a savepoint on other databases).
    """
    values = {
        "url": article.url,
        "canonical_url": article.canonical_url,
        "source_id": article.source_id,
        "snapshot_id": article.snapshot_id,
        "title": article.title,
        "lead": article.lead,
        "text": article.text,
        "authors": list(article.authors),
        "published_at": article.published_at,
        "language": article.language,
        "content_hash": article.content_hash,
        "relevant": article.relevant,
        "places": list(article.places),
        "relevance_version": relevance_version,
    }  # the fields apply_article copies; fetched_at/extracted_at take the column defaults
    dialect = session.get_bind().dialect.name
    if dialect in UPSERT:
        # A Core INSERT ... ON CONFLICT (canonical_url) DO NOTHING: no ORM flush and no
        # savepoint (with the snapshot's, most of a crawled page's storage cost), and
        # a duplicate still leaves the caller's transaction usable. A caller reading
        # the row back loads it.
        statement = insert_new_statement(dialect, ARTICLES, "canonical_url")
        inserted = session.connection().execute(statement, values).scalar()
        if inserted is None:
            raise DuplicateArticle(article.canonical_url)
        article.id = int(inserted)
        return article.id
    try:
        with session.begin_nested():
            result = session.connection().execute(insert(ARTICLES).values(values))
    except IntegrityError:
        raise DuplicateArticle(article.canonical_url) from None
    key = result.inserted_primary_key
    assert key is not None  # an INSERT always has one
    article.id = int(key[0])
    return article.id


def article_id_by_url(session: Session, canonical_url: str) -> int | None:
    return session.scalar(select(ArticleRow.id).where(ArticleRow.canonical_url == canonical_url))


def get_article(session: Session, article_id: int) -> Article:
    row = session.get(ArticleRow, article_id, options=[selectinload(ArticleRow.source)])
    if row is None:
        raise KeyError(f"no article {article_id}")
    return article_from_row(row)


def new_story(session: Session, title: str) -> int:
    story = StoryRow(title=title, article_count=0)
    session.add(story)
    session.flush()
    return story.id


def assign_story(session: Session, article_id: int, story_id: int) -> None:
    row = session.get(ArticleRow, article_id)
    story = session.get(StoryRow, story_id)
    if row is None or story is None:
        raise KeyError(f"no article {article_id} or story {story_id}")
    if row.story_id != story_id:
        row.story_id = story_id
        story.article_count += 1


def set_minhash(session: Session, article_id: int, signature: bytes) -> None:
    row = session.get(ArticleRow, article_id)
    if row is None:
        raise KeyError(f"no article {article_id}")
    row.minhash = signature


def story_of_content(session: Session, content_hash: str) -> int | None:
    """The story of an already stored article with exactly this text, if any."""
    return session.scalar(
        select(ArticleRow.story_id)
        .where(ArticleRow.content_hash == content_hash, ArticleRow.story_id.is_not(None))
        .limit(1)
    )


def recent_signatures(
    session: Session, since: dt.datetime, limit: int = 50_000
) -> list[tuple[int, int, bytes]]:
    """(article id, story id, MinHash bytes) of clustered articles fetched since `since`."""
    rows = session.execute(
        select(ArticleRow.id, ArticleRow.story_id, ArticleRow.minhash)
        .where(
            ArticleRow.fetched_at >= since,
            ArticleRow.minhash.is_not(None),
            ArticleRow.story_id.is_not(None),
        )
        .order_by(ArticleRow.id.desc())
        .limit(limit)
    )
    return [(a, s, m) for a, s, m in rows if s is not None and m is not None]


def replace_article(
    session: Session, article: Article, *, relevance_version: str | None = None
) -> int:
    """Overwrite the stored article with this canonical URL (re-extraction), or add it.

    Story, minhash and later stages' results stay attached to the same row id.
    """
    row = session.scalar(
        select(ArticleRow).where(ArticleRow.canonical_url == article.canonical_url)
    )
    if row is None:
        return add_article(session, article, relevance_version=relevance_version)
    story_id = row.story_id
    apply_article(row, article)
    row.story_id = story_id
    row.relevance_version = relevance_version
    row.extracted_at = utcnow()
    session.flush()
    article.id = row.id
    return row.id


def articles_to_redecide(
    session: Session, version: str, *, limit: int = 200, after_id: int = 0
) -> list[Article]:
    """Crawled articles (those with a snapshot) whose relevance was decided under
    another version than `version`, or under none; oldest id first, one batch."""
    rows = session.scalars(
        select(ArticleRow)
        .where(
            ArticleRow.snapshot_id.is_not(None),
            ArticleRow.id > after_id,
            or_(ArticleRow.relevance_version.is_(None), ArticleRow.relevance_version != version),
        )
        .order_by(ArticleRow.id)
        .limit(limit)
        .options(selectinload(ArticleRow.source))
    )
    return [article_from_row(row) for row in rows]


def set_relevance(
    session: Session,
    article_id: int,
    *,
    relevant: bool,
    places: list[dict[str, Any]],
    version: str,
) -> None:
    """Record a relevance decision (text, story and analyses stay as they are)."""
    row = session.get(ArticleRow, article_id)
    if row is None:
        raise KeyError(f"no article {article_id}")
    row.relevant = relevant
    row.places = list(places)
    row.relevance_version = version
