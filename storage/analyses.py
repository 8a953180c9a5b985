"""Repository functions for analyses: one row per (article, analyzer version).

The pair is unique, so "what still needs analysing" is simply the relevant
articles without a row for the current version, and a rerun after a crash
picks up exactly the remainder.

An article's analysis, wherever one is shown or counted, is its latest row:
the highest id, whatever the analyzer version (`latest_analysis_id`). Rows are
read back as typed `AnalysisResult`s; the topics, narratives and rebuttals
lists filter on are also written to `analysis_labels`, the stance to a column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, and_, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import QueryableAttribute, Session, aliased, selectinload

from core.analysis import AnalysisResult
from core.record import Article
from storage.job_queue import queued_for_analysis
from storage.mapping import article_from_row
from storage.models import AnalysisLabelRow, AnalysisRow, ArticleRow, SourceRow

ArticleId = ColumnElement[int] | QueryableAttribute[int]


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredAnalysis:
    """One analysis of an article: the typed result and what produced it."""

    article_id: int
    analyzer_version: str
    backend: str
    model_version: str
    result: AnalysisResult

    @property
    def distortion_score(self) -> float:
        return self.result.distortion.score

    @property
    def flagged(self) -> bool:
        return self.result.distortion.flagged


def articles_needing_analysis(
    session: Session,
    version: str,
    *,
    limit: int = 50,
    after_id: int = 0,
    among: Sequence[int] | None = None,
    skip_queued: bool = False,
) -> list[Article]:
    """Relevant articles with no analysis of `version`, oldest id first, one batch:
    only those in `among` when given; with `skip_queued`, none a live cluster
    analysis job holds (that job analyses them)."""
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
    if among is not None:
        missing = missing.where(ArticleRow.id.in_(list(among)))
    if skip_queued:
        missing = missing.where(ArticleRow.id.not_in(queued_for_analysis()))
    return [article_from_row(row) for row in session.scalars(missing)]


def save_analysis(session: Session, analysis: StoredAnalysis) -> bool:
    """Insert an analysis; False (and nothing written) if one of that version exists.

    The savepoint keeps the caller's transaction usable when a concurrent run
    got there first.
    """
    result = analysis.result
    row = AnalysisRow(
        article_id=analysis.article_id,
        analyzer_version=analysis.analyzer_version,
        backend=analysis.backend,
        model_version=analysis.model_version,
        result=result.to_json(),
        distortion_score=analysis.distortion_score,
        flagged=analysis.flagged,
        stance=result.stance.label or None,
        labels=[
            AnalysisLabelRow(kind=kind, ref=ref, score=score)
            for kind, ref, score in result.labels()
        ],
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def to_stored(row: AnalysisRow) -> StoredAnalysis:
    return StoredAnalysis(
        article_id=row.article_id,
        analyzer_version=row.analyzer_version,
        backend=row.backend,
        model_version=row.model_version,
        result=AnalysisResult.from_json(row.result or {}),
    )


def latest_analysis_id(article_id: ArticleId) -> ScalarSelect[int]:
    """The id of the latest analysis of `article_id` (a correlated subquery): its
    newest row, whatever the analyzer version. The one definition every caller uses."""
    newer = aliased(AnalysisRow)
    return select(func.max(newer.id)).where(newer.article_id == article_id).scalar_subquery()


def is_latest_analysis(article_id: ArticleId) -> ColumnElement[bool]:
    """Join condition: the `AnalysisRow` is the latest analysis of `article_id`."""
    return and_(
        AnalysisRow.article_id == article_id, AnalysisRow.id == latest_analysis_id(article_id)
    )


def has_label(kind: str, ref: str, min_score: float = 0.0) -> ColumnElement[bool]:
    """The joined `AnalysisRow` has this topic/narrative/rebuttal, scoring at least
    `min_score`: a filter that runs in SQL (index on analysis_labels)."""
    return exists().where(
        AnalysisLabelRow.analysis_id == AnalysisRow.id,
        AnalysisLabelRow.kind == kind,
        AnalysisLabelRow.ref == ref,
        AnalysisLabelRow.score >= min_score,
    )


def latest_analyses(session: Session, article_ids: list[int]) -> dict[int, StoredAnalysis]:
    """The latest analysis of each article, keyed by article id."""
    if not article_ids:
        return {}
    rows = session.scalars(
        select(AnalysisRow).where(
            AnalysisRow.article_id.in_(article_ids),
            AnalysisRow.id == latest_analysis_id(AnalysisRow.article_id),
        )
    )
    return {row.article_id: to_stored(row) for row in rows}


def count_analyses(session: Session, version: str | None = None) -> int:
    query = select(func.count(AnalysisRow.id))
    if version is not None:
        query = query.where(AnalysisRow.analyzer_version == version)
    return int(session.scalar(query) or 0)


@dataclass(frozen=True, kw_only=True, slots=True)
class ListedArticle:
    """The facts every article listing shows (case pages, digests, exports, the
    dashboard), with the article's latest analysis."""

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
    analysis: AnalysisResult | None = None

    @property
    def stance(self) -> str | None:
        """The stance label of the analysis; None without one."""
        return (self.analysis.stance.label or None) if self.analysis else None

    def topic_ids(self, threshold: float = 0.0) -> list[str]:
        return self.analysis.topic_ids(threshold) if self.analysis else []


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
        "analysis": analysis.result if analysis else None,
    }
