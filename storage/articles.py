"""Repository functions for articles and their story clusters."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from pipeline.record import Article
from storage.mapping import apply_article, article_from_row
from storage.models import ArticleRow, StoryRow


class DuplicateArticle(Exception):
    """An article with this canonical URL is already stored."""


def add_article(session: Session, article: Article) -> int:
    """Insert a new article; raise DuplicateArticle if its canonical URL exists.

    Runs in a savepoint so a duplicate leaves the caller's transaction usable.
    """
    row = ArticleRow()
    apply_article(row, article)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise DuplicateArticle(article.canonical_url) from None
    article.id = row.id
    return row.id


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
