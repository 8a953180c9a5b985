"""Repository of article versions, changes and the recrawl schedule (issue 15).

Every write is idempotent on its unique key so a recrawl killed mid-run and
rerun adds nothing twice."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import ArticleRow, CaseRow
from storage.version_models import ArticleChangeRow, ArticleVersionRow, RecrawlDueRow


def text_hash(title: str, text: str) -> str:
    return hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()


def latest_version(session: Session, article_id: int) -> ArticleVersionRow | None:
    return session.scalars(
        select(ArticleVersionRow)
        .where(ArticleVersionRow.article_id == article_id)
        .order_by(ArticleVersionRow.version.desc())
        .limit(1)
    ).first()


def versions_of(session: Session, article_id: int) -> list[ArticleVersionRow]:
    return list(
        session.scalars(
            select(ArticleVersionRow)
            .where(ArticleVersionRow.article_id == article_id)
            .order_by(ArticleVersionRow.version)
        )
    )


def add_version(
    session: Session,
    article_id: int,
    *,
    snapshot_id: int | None,
    title: str,
    text: str,
    fetched_at: dt.datetime,
) -> ArticleVersionRow:
    """The next version of the article; the same text as the latest adds nothing."""
    latest = latest_version(session, article_id)
    digest = text_hash(title, text)
    if latest is not None and latest.text_hash == digest:
        return latest
    row = ArticleVersionRow(
        article_id=article_id,
        version=1 if latest is None else latest.version + 1,
        snapshot_id=snapshot_id,
        title=title,
        text=text,
        text_hash=digest,
        fetched_at=fetched_at,
    )
    session.add(row)
    session.flush()
    return row


def record_change(
    session: Session,
    article_id: int,
    kind: str,
    *,
    from_version: int,
    to_version: int,
    detected_at: dt.datetime,
) -> ArticleChangeRow:
    """The change once: (article, kind, to_version) already recorded returns it."""
    existing = session.scalars(
        select(ArticleChangeRow).where(
            ArticleChangeRow.article_id == article_id,
            ArticleChangeRow.kind == kind,
            ArticleChangeRow.to_version == to_version,
        )
    ).first()
    if existing is not None:
        return existing
    row = ArticleChangeRow(
        article_id=article_id,
        kind=kind,
        from_version=from_version,
        to_version=to_version,
        detected_at=detected_at,
        alerted=False,
    )
    session.add(row)
    session.flush()
    return row


def schedule_recrawl(session: Session, article_id: int, due_kind: str, due_at: dt.datetime) -> bool:
    """Add a due refetch unless (article, due kind) is already scheduled."""
    exists = session.scalar(
        select(RecrawlDueRow.id).where(
            RecrawlDueRow.article_id == article_id, RecrawlDueRow.due_kind == due_kind
        )
    )
    if exists is not None:
        return False
    session.add(RecrawlDueRow(article_id=article_id, due_kind=due_kind, due_at=due_at))
    session.flush()
    return True


def due_recrawls(session: Session, now: dt.datetime) -> list[RecrawlDueRow]:
    return list(
        session.scalars(
            select(RecrawlDueRow)
            .where(RecrawlDueRow.done_at.is_(None), RecrawlDueRow.due_at <= now)
            .order_by(RecrawlDueRow.due_at, RecrawlDueRow.id)
        )
    )


def mark_recrawled(session: Session, due_id: int, done_at: dt.datetime) -> None:
    row = session.get(RecrawlDueRow, due_id)
    if row is not None:
        row.done_at = done_at


def relevant_articles(session: Session) -> list[tuple[int, dt.datetime]]:
    """(id, first fetched) of every relevant article: the ones refetched at +24 h, +7 d."""
    rows = session.execute(
        select(ArticleRow.id, ArticleRow.fetched_at).where(ArticleRow.relevant.is_(True))
    )
    return [(article_id, fetched_at) for article_id, fetched_at in rows]


def open_case_articles(session: Session) -> list[int]:
    """Ids of the articles whose story has a case not yet closed."""
    return list(
        session.scalars(
            select(ArticleRow.id)
            .join(CaseRow, CaseRow.story_id == ArticleRow.story_id)
            .where(CaseRow.closed_at.is_(None))
            .order_by(ArticleRow.id)
        )
    )
