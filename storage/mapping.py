"""Conversions between ORM rows and the pipeline's record types."""

from __future__ import annotations

from core.record import Article
from storage.models import ArticleRow


def article_from_row(row: ArticleRow) -> Article:
    return Article(
        id=row.id,
        url=row.url,
        canonical_url=row.canonical_url,
        source_id=row.source_id,
        snapshot_id=row.snapshot_id,
        title=row.title,
        lead=row.lead,
        text=row.text,
        authors=list(row.authors or []),
        published_at=row.published_at,
        language=row.language,
        content_hash=row.content_hash,
        story_id=row.story_id,
        relevant=row.relevant,
        places=list(row.places or []),
        origin=row.source.origin if row.source is not None else None,
        source_name=row.source.name if row.source is not None else None,
    )


def apply_article(row: ArticleRow, article: Article) -> None:
    """Copy an Article's extracted fields onto a row (used on insert and re-extract)."""
    row.url = article.url
    row.canonical_url = article.canonical_url
    row.source_id = article.source_id
    row.snapshot_id = article.snapshot_id
    row.title = article.title
    row.lead = article.lead
    row.text = article.text
    row.authors = list(article.authors)
    row.published_at = article.published_at
    row.language = article.language
    row.content_hash = article.content_hash
    row.relevant = article.relevant
    row.places = list(article.places)
