"""Repository functions for analyses: one row per (article, analyzer version).

The pair is unique, so "what still needs analysing" is simply the relevant
articles without a row for the current version, and a rerun after a crash
picks up exactly the remainder.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from core.record import Article
from storage.mapping import article_from_row
from storage.models import AnalysisRow, ArticleRow, SourceRow


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredAnalysis:
    article_id: int
    analyzer_version: str
    backend: str
    model_version: str
    result: dict[str, Any]
    distortion_score: float
    flagged: bool


def articles_needing_analysis(
    session: Session, version: str, *, limit: int = 50, after_id: int = 0
) -> list[Article]:
    """Relevant articles with no analysis of `version`, oldest id first, one batch."""
    missing = (
        select(ArticleRow)
        .outerjoin(
            AnalysisRow,
            and_(AnalysisRow.article_id == ArticleRow.id, AnalysisRow.analyzer_version == version),
        )
        .where(ArticleRow.relevant.is_(True), AnalysisRow.id.is_(None), ArticleRow.id > after_id)
        .order_by(ArticleRow.id)
        .limit(limit)
        .options(selectinload(ArticleRow.source))
    )
    return [article_from_row(row) for row in session.scalars(missing)]


def save_analysis(session: Session, analysis: StoredAnalysis) -> bool:
    """Insert an analysis; False (and nothing written) if one of that version exists.

    The savepoint keeps the caller's transaction usable when a concurrent run
    got there first.
    """
    row = AnalysisRow(
        article_id=analysis.article_id,
        analyzer_version=analysis.analyzer_version,
        backend=analysis.backend,
        model_version=analysis.model_version,
        result=analysis.result,
        distortion_score=analysis.distortion_score,
        flagged=analysis.flagged,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def _to_stored(row: AnalysisRow) -> StoredAnalysis:
    return StoredAnalysis(
        article_id=row.article_id,
        analyzer_version=row.analyzer_version,
        backend=row.backend,
        model_version=row.model_version,
        result=dict(row.result),
        distortion_score=row.distortion_score,
        flagged=row.flagged,
    )


def latest_analyses(session: Session, article_ids: list[int]) -> dict[int, StoredAnalysis]:
    """The newest analysis of each article (any version), keyed by article id."""
    if not article_ids:
        return {}
    rows = session.scalars(
        select(AnalysisRow)
        .where(AnalysisRow.article_id.in_(article_ids))
        .order_by(AnalysisRow.created_at, AnalysisRow.id)
    )
    # Later rows overwrite earlier ones, so the newest wins.
    return {row.article_id: _to_stored(row) for row in rows}


def count_analyses(session: Session, version: str | None = None) -> int:
    query = select(func.count(AnalysisRow.id))
    if version is not None:
        query = query.where(AnalysisRow.analyzer_version == version)
    return int(session.scalar(query) or 0)


@dataclass(frozen=True, kw_only=True, slots=True)
class ListedArticle:
    """The facts every article listing shows (case pages, digests, exports)."""

    id: int
    title: str
    url: str
    source_id: str | None
    source_name: str | None
    origin: str | None
    reach: int
    language: str | None
    published_at: dt.datetime | None
    fetched_at: dt.datetime
    distortion_score: float | None = None
    flagged: bool = False


def listed_article_fields(
    article: ArticleRow, source: SourceRow | None, analysis: StoredAnalysis | None
) -> dict[str, Any]:
    """The facts every article listing shows (case pages, digests, exports)."""
    return {
        "id": article.id,
        "title": article.title,
        "url": article.url,
        "source_id": article.source_id,
        "source_name": source.name if source else None,
        "origin": source.origin if source else None,
        "reach": source.reach if source else 1,
        "language": article.language,
        "published_at": article.published_at,
        "fetched_at": article.fetched_at,
        "distortion_score": analysis.distortion_score if analysis else None,
        "flagged": analysis.flagged if analysis else False,
    }
