"""Read-only queries behind the web app's pages (dashboard, articles, reports).

Nothing here writes. Changes made in the web app go through the owning
repositories (storage.cases, storage.users) so they share one audit trail.
An article's analysis is its latest row (`storage.analyses.latest_analysis_id`).
Every filter of the article search runs in SQL: topics through the
`analysis_labels` table, the stance through its column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from core.analysis import AnalysisResult
from storage import fulltext
from storage.analyses import has_label, is_latest_analysis, to_stored
from storage.models import (
    AnalysisRow,
    ArticleRow,
    CaseRow,
    DigestRow,
    ExportRow,
    SourceRow,
)

STANCES = ("supportive", "neutral", "critical")


@dataclass(frozen=True, slots=True)
class ArticleFacts:
    """One article as the lists and charts need it, with its latest analysis."""

    id: int
    title: str
    url: str
    source_id: str | None
    source_name: str | None
    origin: str | None
    language: str | None
    relevant: bool
    story_id: int | None
    when: dt.datetime
    analysis: AnalysisResult | None = None
    distortion_score: float = 0.0
    flagged: bool = False

    def topic_ids(self, threshold: float = 0.0) -> list[str]:
        return self.analysis.topic_ids(threshold) if self.analysis else []

    @property
    def stance(self) -> str | None:
        return (self.analysis.stance.label or None) if self.analysis else None


@dataclass(frozen=True, slots=True)
class ArticleDetail:
    facts: ArticleFacts
    text: str
    lead: str
    authors: list[str]
    canonical_url: str
    snapshot_id: int | None
    analyzer_version: str | None
    backend: str | None
    model_version: str | None
    case_id: int | None


@dataclass(frozen=True, slots=True)
class OpenCase:
    id: int
    status: str
    priority: float


@dataclass(frozen=True, slots=True)
class ArticleQuery:
    text: str = ""
    source_id: str | None = None
    topic: str | None = None
    stance: str | None = None
    date_from: dt.datetime | None = None
    date_to: dt.datetime | None = None
    # When presswatch collected it (the dashboard's and the digest's periods).
    fetched_from: dt.datetime | None = None
    fetched_to: dt.datetime | None = None
    origin: str | None = None  # "domestic", "foreign" or "unknown" (no source origin)
    flagged_only: bool = False
    relevant_only: bool = True
    topic_threshold: float = 0.0
    limit: int = 100
    offset: int = 0
    sort: str = "date"  # or "relevance" (only with text)


@dataclass(slots=True)
class SearchResult:
    items: list[ArticleFacts] = field(default_factory=list)
    truncated: bool = False  # more matched after this page
    total: int = 0  # how many matched in all


def _when() -> Any:
    return func.coalesce(ArticleRow.published_at, ArticleRow.fetched_at)


def _facts_select() -> Select[Any]:
    when = _when().label("when")
    return (
        select(
            ArticleRow.id,
            ArticleRow.title,
            ArticleRow.url,
            ArticleRow.source_id,
            SourceRow.name,
            SourceRow.origin,
            ArticleRow.language,
            ArticleRow.relevant,
            ArticleRow.story_id,
            when,
            AnalysisRow,
        )
        .select_from(ArticleRow)
        .outerjoin(SourceRow, SourceRow.id == ArticleRow.source_id)
        .outerjoin(AnalysisRow, is_latest_analysis(ArticleRow.id))
    )


def _facts(row: Any) -> ArticleFacts:
    analysis = to_stored(row[10]) if row[10] is not None else None
    return ArticleFacts(
        id=row[0],
        title=row[1],
        url=row[2],
        source_id=row[3],
        source_name=row[4],
        origin=row[5],
        language=row[6],
        relevant=bool(row[7]),
        story_id=row[8],
        when=row[9],
        analysis=analysis.result if analysis else None,
        distortion_score=analysis.distortion_score if analysis else 0.0,
        flagged=analysis.flagged if analysis else False,
    )


def _filtered(query: ArticleQuery, dialect: str) -> tuple[Select[Any], Any]:
    """The search's rows, unordered, every filter a condition in one statement; and
    the relevance column (None without text). Text goes through the database's
    full-text index (`storage.fulltext`), so Vietnamese matches with or without marks."""
    stmt = _facts_select()
    rank: Any = None
    words = fulltext.terms(query.text)
    if words:
        found = fulltext.matches(dialect, words)
        stmt = stmt.join(found, found.c.id == ArticleRow.id)
        rank = found.c.rank
    if query.source_id:
        stmt = stmt.where(ArticleRow.source_id == query.source_id)
    if query.date_from is not None:
        stmt = stmt.where(_when() >= query.date_from)
    if query.date_to is not None:
        stmt = stmt.where(_when() < query.date_to)
    if query.fetched_from is not None:
        stmt = stmt.where(ArticleRow.fetched_at >= query.fetched_from)
    if query.fetched_to is not None:
        stmt = stmt.where(ArticleRow.fetched_at < query.fetched_to)
    if query.relevant_only:
        stmt = stmt.where(ArticleRow.relevant.is_(True))
    if query.origin == "unknown":
        stmt = stmt.where(SourceRow.origin.is_(None))
    elif query.origin:
        stmt = stmt.where(SourceRow.origin == query.origin)
    if query.flagged_only:
        stmt = stmt.where(AnalysisRow.flagged.is_(True))
    if query.topic:
        stmt = stmt.where(has_label("topic", query.topic, query.topic_threshold))
    if query.stance == "none":
        # As the dashboard counts it: no analysis, or no stance among the three.
        stmt = stmt.where(or_(AnalysisRow.stance.is_(None), AnalysisRow.stance.not_in(STANCES)))
    elif query.stance:
        stmt = stmt.where(AnalysisRow.stance == query.stance)
    return stmt, rank


def search_statement(query: ArticleQuery, dialect: str = "sqlite") -> Select[Any]:
    """One page of the search, newest (or most relevant) first, one row past `limit`
    (which tells the page there are more). Each row also carries the number of
    matches in all (a window count, so paging costs no second statement)."""
    stmt, rank = _filtered(query, dialect)
    newest = (_when().desc(), ArticleRow.id.desc())
    order = (rank.desc(), *newest) if rank is not None and query.sort == "relevance" else newest
    ordered = stmt.add_columns(func.count().over().label("total")).order_by(*order)
    return ordered.offset(max(0, query.offset)).limit(query.limit + 1)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def count_articles(session: Session, query: ArticleQuery) -> int:
    """How many articles the search matches in all."""
    stmt, _ = _filtered(query, _dialect(session))
    matched = stmt.with_only_columns(ArticleRow.id).subquery()
    return int(session.scalar(select(func.count()).select_from(matched)) or 0)


def search_articles(session: Session, query: ArticleQuery) -> SearchResult:
    """A page of `limit` articles from `offset`; `truncated` if more matched,
    `total` how many matched in all."""
    rows = list(session.execute(search_statement(query, _dialect(session))))
    # An empty page tells no total: it is past the end, or nothing matched.
    total = int(rows[0][11]) if rows else count_articles(session, query) if query.offset else 0
    found = [_facts(row) for row in rows]
    return SearchResult(items=found[: query.limit], truncated=len(found) > query.limit, total=total)


def article_detail(session: Session, article_id: int) -> ArticleDetail | None:
    row = session.execute(_facts_select().where(ArticleRow.id == article_id)).first()
    if row is None:
        return None
    article = session.get(ArticleRow, article_id)
    assert article is not None
    analysis: AnalysisRow | None = row[10]
    case_id = None
    if article.story_id is not None:
        case_id = session.scalar(select(CaseRow.id).where(CaseRow.story_id == article.story_id))
    return ArticleDetail(
        facts=_facts(row),
        text=article.text,
        lead=article.lead,
        authors=[str(a) for a in article.authors or []],
        canonical_url=article.canonical_url,
        snapshot_id=article.snapshot_id,
        analyzer_version=analysis.analyzer_version if analysis else None,
        backend=analysis.backend if analysis else None,
        model_version=analysis.model_version if analysis else None,
        case_id=case_id,
    )


def open_cases(session: Session) -> list[OpenCase]:
    rows = session.execute(
        select(CaseRow.id, CaseRow.status, CaseRow.priority).where(CaseRow.status != "closed")
    )
    return [OpenCase(id=r[0], status=r[1], priority=float(r[2] or 0.0)) for r in rows]


def failed_sources(session: Session) -> list[SourceRow]:
    """Enabled sources whose last crawl failed."""
    return list(
        session.scalars(
            select(SourceRow)
            .where(SourceRow.enabled.is_(True), SourceRow.last_crawl_ok.is_(False))
            .order_by(SourceRow.id)
        )
    )


def list_digests(session: Session, limit: int = 200) -> list[DigestRow]:
    return list(
        session.scalars(
            select(DigestRow)
            # Not the periodic reports' rows that share the table (storage.reports).
            .where(DigestRow.language.in_(("vi", "en")))
            .order_by(DigestRow.day.desc(), DigestRow.language)
            .limit(limit)
        )
    )


def get_digest(session: Session, digest_id: int) -> DigestRow | None:
    row = session.get(DigestRow, digest_id)
    return row if row is not None and row.language in ("vi", "en") else None


def list_exports(session: Session, limit: int = 200) -> list[ExportRow]:
    return list(session.scalars(select(ExportRow).order_by(ExportRow.iso_week.desc()).limit(limit)))


def get_export(session: Session, export_id: int) -> ExportRow | None:
    return session.get(ExportRow, export_id)


def source_choices(session: Session) -> Sequence[tuple[str, str]]:
    return [
        (row[0], row[1])
        for row in session.execute(select(SourceRow.id, SourceRow.name).order_by(SourceRow.name))
    ]


@dataclass(frozen=True, slots=True)
class ArticleBody:
    text: str
    snapshot_id: int | None


def article_bodies(session: Session, article_ids: Sequence[int]) -> dict[int, ArticleBody]:
    """Text and snapshot id of each article (the case page highlights sentences in them)."""
    if not article_ids:
        return {}
    rows = session.execute(
        select(ArticleRow.id, ArticleRow.text, ArticleRow.snapshot_id).where(
            ArticleRow.id.in_(list(article_ids))
        )
    )
    return {row[0]: ArticleBody(text=row[1], snapshot_id=row[2]) for row in rows}
