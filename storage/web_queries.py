"""Read-only queries behind the web app's pages (dashboard, articles, reports).

Nothing here writes. Changes made in the web app go through the owning
repositories (storage.cases, storage.users) so they share one audit trail.
An article's analysis is its latest row in `analyses` (highest id), whatever
the analyzer version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from storage.models import (
    AnalysisRow,
    ArticleRow,
    CaseRow,
    DigestRow,
    ExportRow,
    SourceRow,
)


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
    analysis: dict[str, Any] | None = None
    distortion_score: float = 0.0
    flagged: bool = False

    def topic_ids(self, threshold: float = 0.0) -> list[str]:
        topics = (self.analysis or {}).get("topics") or []
        return [
            str(t.get("id"))
            for t in topics
            if isinstance(t, dict) and float(t.get("score") or 0.0) >= threshold
        ]

    @property
    def stance(self) -> str | None:
        stance = (self.analysis or {}).get("stance")
        return str(stance.get("label")) if isinstance(stance, dict) else None


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
    relevant_only: bool = True
    topic_threshold: float = 0.0
    limit: int = 100
    scan_limit: int = 5000


@dataclass(slots=True)
class SearchResult:
    items: list[ArticleFacts] = field(default_factory=list)
    truncated: bool = False


def _when() -> Any:
    return func.coalesce(ArticleRow.published_at, ArticleRow.fetched_at)


def _latest_analysis_ids() -> Any:
    return (
        select(AnalysisRow.article_id, func.max(AnalysisRow.id).label("analysis_id"))
        .group_by(AnalysisRow.article_id)
        .subquery()
    )


def _facts_select() -> Select[Any]:
    latest = _latest_analysis_ids()
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
            AnalysisRow.result,
            AnalysisRow.distortion_score,
            AnalysisRow.flagged,
        )
        .select_from(ArticleRow)
        .outerjoin(SourceRow, SourceRow.id == ArticleRow.source_id)
        .outerjoin(latest, latest.c.article_id == ArticleRow.id)
        .outerjoin(AnalysisRow, AnalysisRow.id == latest.c.analysis_id)
    )


def _facts(row: Any) -> ArticleFacts:
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
        analysis=row[10] if isinstance(row[10], dict) else None,
        distortion_score=float(row[11] or 0.0),
        flagged=bool(row[12]),
    )


def articles_between(
    session: Session,
    since: dt.datetime,
    until: dt.datetime | None = None,
    *,
    relevant_only: bool = True,
) -> list[ArticleFacts]:
    """Articles published (or, lacking a date, fetched) in [since, until), oldest first."""
    query = _facts_select().where(_when() >= since)
    if until is not None:
        query = query.where(_when() < until)
    if relevant_only:
        query = query.where(ArticleRow.relevant.is_(True))
    return [_facts(row) for row in session.execute(query.order_by(_when(), ArticleRow.id))]


def search_articles(session: Session, query: ArticleQuery) -> SearchResult:
    """Newest first. Text, source and dates filter in SQL; topic and stance (inside the
    analysis JSON) filter in Python over at most `scan_limit` candidates."""
    stmt = _facts_select()
    if query.text.strip():
        pattern = f"%{query.text.strip()}%"
        stmt = stmt.where(or_(ArticleRow.title.ilike(pattern), ArticleRow.text.ilike(pattern)))
    if query.source_id:
        stmt = stmt.where(ArticleRow.source_id == query.source_id)
    if query.date_from is not None:
        stmt = stmt.where(_when() >= query.date_from)
    if query.date_to is not None:
        stmt = stmt.where(_when() < query.date_to)
    if query.relevant_only:
        stmt = stmt.where(ArticleRow.relevant.is_(True))
    stmt = stmt.order_by(_when().desc(), ArticleRow.id.desc()).limit(query.scan_limit)
    result = SearchResult()
    for row in session.execute(stmt):
        facts = _facts(row)
        if query.topic and query.topic not in facts.topic_ids(query.topic_threshold):
            continue
        if query.stance and facts.stance != query.stance:
            continue
        if len(result.items) >= query.limit:
            result.truncated = True
            break
        result.items.append(facts)
    return result


def article_detail(session: Session, article_id: int) -> ArticleDetail | None:
    row = session.execute(_facts_select().where(ArticleRow.id == article_id)).first()
    if row is None:
        return None
    article = session.get(ArticleRow, article_id)
    assert article is not None
    analysis = session.scalar(
        select(AnalysisRow)
        .where(AnalysisRow.article_id == article_id)
        .order_by(AnalysisRow.id.desc())
        .limit(1)
    )
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


def story_articles(session: Session, story_id: int) -> list[ArticleDetail]:
    """Every outlet's copy of a story, oldest first, each with its latest analysis."""
    ids = session.scalars(
        select(ArticleRow.id)
        .where(ArticleRow.story_id == story_id)
        .order_by(_when(), ArticleRow.id)
    ).all()
    details = [article_detail(session, article_id) for article_id in ids]
    return [detail for detail in details if detail is not None]


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
            select(DigestRow).order_by(DigestRow.day.desc(), DigestRow.language).limit(limit)
        )
    )


def get_digest(session: Session, digest_id: int) -> DigestRow | None:
    return session.get(DigestRow, digest_id)


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
