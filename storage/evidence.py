"""Repository functions for evidence: the stored snapshots behind a case's articles.

A case groups the articles of one story; each article points to the snapshot it
was extracted from (`articles.snapshot_id`), and a page fetched again with other
bytes has further snapshots under the same URL. Every one of them is evidence of
what the article said at some moment, so all are returned, oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from core.record import Snapshot
from storage.cases import OPEN_STATUSES, Case, case_row, to_case
from storage.models import ArticleRow, CaseRow, SnapshotRow
from storage.snapshots import load_snapshot


@dataclass(frozen=True, kw_only=True, slots=True)
class EvidenceArticle:
    id: int
    title: str
    url: str
    canonical_url: str
    source_id: str | None
    snapshot_id: int | None  # the snapshot the article was extracted from
    snapshots: list[Snapshot] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseEvidence:
    case: Case
    articles: list[EvidenceArticle]


def _article_snapshot_ids(session: Session, article: ArticleRow) -> list[int]:
    urls = {article.url, article.canonical_url}
    matches: list[ColumnElement[bool]] = [
        SnapshotRow.url.in_(urls),
        SnapshotRow.final_url.in_(urls),
    ]
    if article.snapshot_id is not None:
        matches.append(SnapshotRow.id == article.snapshot_id)
    query = select(SnapshotRow.id).where(or_(*matches))
    return list(session.scalars(query.order_by(SnapshotRow.fetched_at, SnapshotRow.id)))


def case_evidence(session: Session, case_id: int) -> CaseEvidence:
    """The case and every stored snapshot of its story's articles (CaseError if no case)."""
    row = case_row(session, case_id)
    articles = session.scalars(
        select(ArticleRow).where(ArticleRow.story_id == row.story_id).order_by(ArticleRow.id)
    )
    found = [
        EvidenceArticle(
            id=article.id,
            title=article.title,
            url=article.url,
            canonical_url=article.canonical_url,
            source_id=article.source_id,
            snapshot_id=article.snapshot_id,
            snapshots=[load_snapshot(session, i) for i in _article_snapshot_ids(session, article)],
        )
        for article in articles
    ]
    return CaseEvidence(case=to_case(row), articles=found)


def open_case_snapshots(session: Session) -> list[tuple[int, str]]:
    """(id, content hash) of the snapshot of every article of an open case, oldest
    case first: what flag-time capture renders (it skips those already on disk)."""
    rows = session.execute(
        select(SnapshotRow.id, SnapshotRow.content_hash)
        .join(ArticleRow, ArticleRow.snapshot_id == SnapshotRow.id)
        .join(CaseRow, CaseRow.story_id == ArticleRow.story_id)
        .where(CaseRow.status.in_(OPEN_STATUSES))
        .order_by(CaseRow.id, ArticleRow.id)
    )
    return list(dict.fromkeys((int(i), str(digest)) for i, digest in rows))
