"""Repository of article versions, changes and the recrawl schedule (issue 15).

Every write is idempotent on its unique key so a recrawl killed mid-run and
rerun adds nothing twice."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import AnalysisRow, ArticleRow, CaseRow, SnapshotRow
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
    always: bool = False,
) -> ArticleVersionRow:
    """The next version of the article; the same text as the latest adds nothing
    unless `always` (a restored page is a version of its own, so a second deletion
    after it is a change of its own: changes are unique per target version)."""
    latest = latest_version(session, article_id)
    digest = text_hash(title, text)
    if latest is not None and latest.text_hash == digest and not always:
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


def due_recrawls(
    session: Session, now: dt.datetime, limit: int | None = None
) -> list[RecrawlDueRow]:
    query = (
        select(RecrawlDueRow)
        .where(RecrawlDueRow.done_at.is_(None), RecrawlDueRow.due_at <= now)
        .order_by(RecrawlDueRow.due_at, RecrawlDueRow.id)
    )
    return list(session.scalars(query if limit is None else query.limit(limit)))


def is_recrawled(session: Session, due_id: int) -> bool:
    """Done already (by a run that finished it while this one fetched)."""
    return (
        session.scalar(select(RecrawlDueRow.done_at).where(RecrawlDueRow.id == due_id)) is not None
    )


def mark_recrawled(session: Session, due_id: int, done_at: dt.datetime) -> None:
    row = session.get(RecrawlDueRow, due_id)
    if row is not None:
        row.done_at = done_at


def relevant_articles(session: Session) -> list[tuple[int, dt.datetime]]:
    """(id, first fetched) of every relevant article: the ones refetched at +24 h, +7 d."""
    rows = session.execute(
        select(ArticleRow.id, ArticleRow.fetched_at)
        .where(ArticleRow.relevant.is_(True))
        .order_by(ArticleRow.id)
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


def ensure_first_version(session: Session, article_id: int) -> ArticleVersionRow:
    """Version 1 from what the crawl stored (its title, text and snapshot), when no
    version exists yet: a recrawl diffs against it and the case page shows it."""
    latest = latest_version(session, article_id)
    if latest is not None:
        return latest
    article = session.get(ArticleRow, article_id)
    if article is None:
        raise KeyError(f"no article {article_id}")
    return add_version(
        session,
        article_id,
        snapshot_id=article.snapshot_id,
        title=article.title,
        text=article.text,
        fetched_at=article.fetched_at,
    )


def latest_change(session: Session, article_id: int) -> ArticleChangeRow | None:
    return session.scalars(
        select(ArticleChangeRow)
        .where(ArticleChangeRow.article_id == article_id)
        .order_by(ArticleChangeRow.id.desc())
        .limit(1)
    ).first()


def is_deleted(session: Session, article_id: int) -> bool:
    """Deleted by its outlet as last seen: the latest change is a deletion."""
    change = latest_change(session, article_id)
    return change is not None and change.kind == "deleted"


@dataclass(frozen=True, kw_only=True, slots=True)
class RecrawlTarget:
    """What a refetch of one article needs: where, its validators and the bytes last seen."""

    article_id: int
    url: str
    source_id: str | None
    etag: str | None
    last_modified: str | None
    last_hash: str | None
    deleted: bool


def recrawl_target(session: Session, article_id: int) -> RecrawlTarget | None:
    """None when the article is gone. Validators and last bytes come from the newest
    stored 200 snapshot of its URL (the crawl's, or a refetch's)."""
    article = session.get(ArticleRow, article_id)
    if article is None:
        return None
    snapshot = session.scalars(
        select(SnapshotRow)
        .where(
            SnapshotRow.url == article.url,
            SnapshotRow.final_url == article.url,  # not a redirect's home or section page
            SnapshotRow.status == 200,
        )
        .order_by(SnapshotRow.fetched_at.desc(), SnapshotRow.id.desc())
        .limit(1)
    ).first()
    if snapshot is None and article.snapshot_id is not None:
        snapshot = session.get(SnapshotRow, article.snapshot_id)
    headers = dict(snapshot.headers or {}) if snapshot is not None else {}
    return RecrawlTarget(
        article_id=article.id,
        url=article.url,
        source_id=article.source_id,
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
        last_hash=snapshot.content_hash if snapshot is not None else None,
        deleted=is_deleted(session, article_id),
    )


def site_texts(
    session: Session, source_id: str | None, exclude_article_id: int, limit: int = 40
) -> list[str]:
    """Texts of the source's other recent articles, and of their earlier versions (an
    edit replaces the article's text, not what the site showed): a paragraph found
    in one of them too is the site's (an ad, a related-links block), not this article's."""
    if source_id is None:
        return []
    others = (ArticleRow.source_id == source_id, ArticleRow.id != exclude_article_id)
    current = session.scalars(
        select(ArticleRow.text)
        .where(*others, ArticleRow.text != "")
        .order_by(ArticleRow.id.desc())
        .limit(limit)
    )
    earlier = session.scalars(
        select(ArticleVersionRow.text)
        .join(ArticleRow, ArticleRow.id == ArticleVersionRow.article_id)
        .where(*others)
        .order_by(ArticleVersionRow.id.desc())
        .limit(limit)
    )
    return list(dict.fromkeys([*current, *earlier]))


OBSOLETE_MARK = "@v"


def take_new_text(
    session: Session, version: ArticleVersionRow, *, content_hash: str, now: dt.datetime
) -> int:
    """The article now reads as `version` (the original stays in version 1 and its
    snapshot). Its analyses are set aside, renamed `<analyzer>@v<N>` for the text
    version they read, so the process stage analyses the new text (an analysis
    is unique per article and analyzer version) and relevance is decided again;
    the old analyses stay, the latest still shown until the new one exists.
    Returns how many analyses were set aside."""
    article = session.get(ArticleRow, version.article_id)
    if article is None:
        raise KeyError(f"no article {version.article_id}")
    article.title = version.title
    article.text = version.text
    article.snapshot_id = version.snapshot_id
    article.content_hash = content_hash
    article.relevance_version = None
    article.extracted_at = now
    current = session.scalars(
        select(AnalysisRow).where(
            AnalysisRow.article_id == article.id,
            ~AnalysisRow.analyzer_version.contains(OBSOLETE_MARK),
        )
    )
    renamed = 0
    for row in current:
        suffix = f"{OBSOLETE_MARK}{version.version - 1}"
        row.analyzer_version = row.analyzer_version[: 64 - len(suffix)] + suffix
        renamed += 1
    return renamed


def count_changes(session: Session, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """Changes detected in [start, end) by kind: title, body, deleted, restored."""
    rows = session.execute(
        select(ArticleChangeRow.kind, func.count(ArticleChangeRow.id))
        .where(ArticleChangeRow.detected_at >= start, ArticleChangeRow.detected_at < end)
        .group_by(ArticleChangeRow.kind)
    )
    return {kind: int(n) for kind, n in rows}


def edits_and_deletions(session: Session, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    """(edits, deletions) detected in [start, end): what the digest and report count.
    A title and a body change seen by one refetch (one new version) are one edit."""
    edits = (
        select(ArticleChangeRow.article_id, ArticleChangeRow.to_version)
        .where(
            ArticleChangeRow.kind.in_(("title", "body")),
            ArticleChangeRow.detected_at >= start,
            ArticleChangeRow.detected_at < end,
        )
        .group_by(ArticleChangeRow.article_id, ArticleChangeRow.to_version)
        .subquery()
    )
    edited = session.scalar(select(func.count()).select_from(edits))
    return int(edited or 0), count_changes(session, start, end).get("deleted", 0)
