"""Reads of article versions and changes (issue 15) for the case and article pages
and the change alerts; out of storage.versions, which holds the recrawl's writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from storage.models import ArticleRow, CaseRow
from storage.version_models import ArticleChangeRow, ArticleVersionRow

ALERTED_KINDS = ("title", "body", "deleted")


@dataclass(frozen=True, kw_only=True, slots=True)
class PendingChange:
    """A change not yet handled by the alert pass, with the case it concerns (if any)."""

    id: int
    kind: str
    article_id: int
    to_version: int
    detected_at: dt.datetime
    title: str
    url: str
    case_id: int | None
    case_title: str
    case_open: bool
    assignee: str | None


def pending_changes(session: Session, limit: int = 500) -> list[PendingChange]:
    """Changes with `alerted` false, oldest first."""
    rows = session.execute(
        select(ArticleChangeRow, ArticleRow.title, ArticleRow.url, CaseRow)
        .join(ArticleRow, ArticleRow.id == ArticleChangeRow.article_id)
        .outerjoin(
            CaseRow, and_(ArticleRow.story_id.is_not(None), CaseRow.story_id == ArticleRow.story_id)
        )
        .where(ArticleChangeRow.alerted.is_(False))
        .order_by(ArticleChangeRow.id)
        .limit(limit)
    )
    return [
        PendingChange(
            id=change.id,
            kind=change.kind,
            article_id=change.article_id,
            to_version=change.to_version,
            detected_at=change.detected_at,
            title=title,
            url=url,
            case_id=case.id if case is not None else None,
            case_title=case.title if case is not None else "",
            case_open=case is not None and case.closed_at is None,
            assignee=case.assignee if case is not None else None,
        )
        for change, title, url, case in rows
    ]


def mark_alerted(session: Session, change_ids: Iterable[int]) -> None:
    """Handled by the alert pass: told, or nobody to tell (no open case)."""
    ids = list(change_ids)
    if ids:
        session.execute(
            update(ArticleChangeRow).where(ArticleChangeRow.id.in_(ids)).values(alerted=True)
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class VersionView:
    version: int
    title: str
    text: str
    fetched_at: dt.datetime
    snapshot_id: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ChangeView:
    kind: str
    from_version: int
    to_version: int
    detected_at: dt.datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class ArticleHistory:
    article_id: int
    title: str
    versions: tuple[VersionView, ...]
    changes: tuple[ChangeView, ...]


def case_histories(session: Session, case_id: int) -> list[ArticleHistory]:
    """Each article of the case's story that a recrawl saw change: its versions
    (oldest first) and its changes."""
    story_id = session.scalar(select(CaseRow.story_id).where(CaseRow.id == case_id))
    if story_id is None:
        return []
    rows = session.execute(
        select(ArticleRow.id, ArticleRow.title)
        .where(ArticleRow.story_id == story_id)
        .order_by(ArticleRow.id)
    )
    return _histories(session, {article_id: title for article_id, title in rows})


def article_histories(session: Session, article_id: int) -> list[ArticleHistory]:
    """The article's history, as case_histories gives it: none if a recrawl never
    saw it change (or there is no such article), else one."""
    title = session.scalar(select(ArticleRow.title).where(ArticleRow.id == article_id))
    return [] if title is None else _histories(session, {article_id: title})


def _histories(session: Session, articles: dict[int, str]) -> list[ArticleHistory]:
    """Of these articles (id -> title), those with changes, in the dict's order."""
    if not articles:
        return []
    changes: dict[int, list[ChangeView]] = {}
    for row in session.scalars(
        select(ArticleChangeRow)
        .where(ArticleChangeRow.article_id.in_(list(articles)))
        .order_by(ArticleChangeRow.id)
    ):
        changes.setdefault(row.article_id, []).append(
            ChangeView(
                kind=row.kind,
                from_version=row.from_version,
                to_version=row.to_version,
                detected_at=row.detected_at,
            )
        )
    found: dict[int, list[VersionView]] = {}
    for version in session.scalars(
        select(ArticleVersionRow)
        .where(ArticleVersionRow.article_id.in_(list(changes)))
        .order_by(ArticleVersionRow.article_id, ArticleVersionRow.version)
    ):
        found.setdefault(version.article_id, []).append(
            VersionView(
                version=version.version,
                title=version.title,
                text=version.text,
                fetched_at=version.fetched_at,
                snapshot_id=version.snapshot_id,
            )
        )
    return [
        ArticleHistory(
            article_id=article_id,
            title=articles[article_id],
            versions=tuple(found.get(article_id, ())),
            changes=tuple(changes[article_id]),
        )
        for article_id in articles
        if article_id in changes
    ]
