"""Repository functions for the review queue: cases and their audit trail.

One case per story cluster. Every change a person or the pipeline makes goes
through a function here that also writes a `case_events` row (who, when,
which field, from what to what), so the trail is complete whichever caller
(CLI, web app, pipeline) made the change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from core.errors import PresswatchError
from storage.analyses import ListedArticle, latest_analyses, listed_article_fields
from storage.models import ArticleRow, CaseEventRow, CaseRow, SourceRow, utcnow

STATUSES = ("new", "triaged", "in_progress", "closed")
OPEN_STATUSES = ("new", "triaged", "in_progress")
RESOLUTIONS = ("responded", "no_action", "false_positive")
# Closing with these resolutions teaches the flagger: "responded" confirms the
# flag was right, "false_positive" says it was wrong. "no_action" says nothing.
LABELLED_RESOLUTIONS = ("responded", "false_positive")
LABEL_TASK = "flag"


class CaseError(PresswatchError):
    """A case that does not exist, or a change the workflow does not allow."""


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseEvent:
    at: dt.datetime
    actor: str
    action: str
    field: str | None
    old_value: str | None
    new_value: str | None
    note: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class StoryArticle(ListedArticle):
    """An article of a case's story, with the facts priority and reports need."""

    analysis: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Case:
    id: int
    story_id: int
    title: str
    status: str
    resolution: str | None
    priority: float
    distortion_score: float
    topics: list[str]
    assignee: str | None
    response: str | None
    opened_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None
    origins: list[str] = field(default_factory=list)
    article_count: int = 0


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseDetail:
    case: Case
    articles: list[StoryArticle]
    events: list[CaseEvent]


# --- reading --------------------------------------------------------------------------


def story_articles(session: Session, story_id: int) -> list[StoryArticle]:
    """Every article of a story with its source facts and newest analysis."""
    rows = session.execute(
        select(ArticleRow, SourceRow)
        .outerjoin(SourceRow, SourceRow.id == ArticleRow.source_id)
        .where(ArticleRow.story_id == story_id)
        .order_by(ArticleRow.published_at, ArticleRow.id)
    ).all()
    analyses = latest_analyses(session, [article.id for article, _ in rows])
    result = []
    for article, source in rows:
        analysis = analyses.get(article.id)
        result.append(
            StoryArticle(
                **listed_article_fields(article, source, analysis),
                analysis=analysis.result if analysis else None,
            )
        )
    return result


def _origins_by_story(session: Session, story_ids: list[int]) -> dict[int, tuple[list[str], int]]:
    if not story_ids:
        return {}
    rows = session.execute(
        select(ArticleRow.story_id, SourceRow.origin)
        .outerjoin(SourceRow, SourceRow.id == ArticleRow.source_id)
        .where(ArticleRow.story_id.in_(story_ids))
    ).all()
    found: dict[int, tuple[set[str], list[int]]] = {}
    for story_id, origin in rows:
        if story_id is None:
            continue
        origins, count = found.setdefault(story_id, (set(), [0]))
        if origin:
            origins.add(origin)
        count[0] += 1
    return {key: (sorted(origins), count[0]) for key, (origins, count) in found.items()}


def _to_case(row: CaseRow, origins: tuple[list[str], int] | None = None) -> Case:
    found, count = origins or ([], 0)
    return Case(
        id=row.id,
        story_id=row.story_id,
        title=row.title,
        status=row.status,
        resolution=row.resolution,
        priority=row.priority,
        distortion_score=row.distortion_score,
        topics=list(row.topics or []),
        assignee=row.assignee,
        response=row.response,
        opened_at=row.opened_at,
        updated_at=row.updated_at,
        closed_at=row.closed_at,
        origins=found,
        article_count=count,
    )


def list_cases(
    session: Session,
    status: str | None = None,
    topic: str | None = None,
    origin: str | None = None,
    assignee: str | None = None,
) -> list[Case]:
    """Cases, highest priority first. status "open" means any status but closed."""
    query = select(CaseRow)
    if status == "open":
        query = query.where(CaseRow.status.in_(OPEN_STATUSES))
    elif status is not None:
        _check_choice("status", status, (*STATUSES, "open"))
        query = query.where(CaseRow.status == status)
    if assignee is not None:
        query = query.where(CaseRow.assignee == assignee)
    if origin is not None:
        query = query.where(
            exists(
                select(ArticleRow.id)
                .join(SourceRow, SourceRow.id == ArticleRow.source_id)
                .where(ArticleRow.story_id == CaseRow.story_id, SourceRow.origin == origin)
            )
        )
    rows = list(session.scalars(query.order_by(CaseRow.priority.desc(), CaseRow.id)))
    if topic is not None:
        # Topics are a JSON list; filtering here keeps SQLite and PostgreSQL alike.
        rows = [row for row in rows if topic in (row.topics or [])]
    origins = _origins_by_story(session, [row.story_id for row in rows])
    return [_to_case(row, origins.get(row.story_id)) for row in rows]


def _row(session: Session, case_id: int) -> CaseRow:
    row = session.get(CaseRow, case_id)
    if row is None:
        raise CaseError(f"no case #{case_id}")
    return row


def get_case(session: Session, case_id: int) -> CaseDetail:
    row = _row(session, case_id)
    articles = story_articles(session, row.story_id)
    origins = sorted({a.origin for a in articles if a.origin})
    events = [
        CaseEvent(
            at=event.at,
            actor=event.actor,
            action=event.action,
            field=event.field,
            old_value=event.old_value,
            new_value=event.new_value,
            note=event.note,
        )
        for event in session.scalars(
            select(CaseEventRow).where(CaseEventRow.case_id == case_id).order_by(CaseEventRow.id)
        )
    ]
    return CaseDetail(
        case=_to_case(row, (origins, len(articles))), articles=articles, events=events
    )


def case_id_for_story(session: Session, story_id: int) -> int | None:
    return session.scalar(select(CaseRow.id).where(CaseRow.story_id == story_id))


def case_states(session: Session, story_ids: list[int]) -> dict[int, tuple[int, str]]:
    """story id -> (case id, status) for the stories that have a case."""
    if not story_ids:
        return {}
    rows = session.execute(
        select(CaseRow.story_id, CaseRow.id, CaseRow.status).where(CaseRow.story_id.in_(story_ids))
    )
    return {story_id: (case_id, status) for story_id, case_id, status in rows}


# --- writing --------------------------------------------------------------------------


def _event(
    session: Session,
    row: CaseRow,
    actor: str,
    action: str,
    *,
    field: str | None = None,
    old: object = None,
    new: object = None,
    note: str | None = None,
) -> None:
    session.add(
        CaseEventRow(
            case_id=row.id,
            actor=actor,
            action=action,
            field=field,
            old_value=None if old is None else str(old),
            new_value=None if new is None else str(new),
            note=note,
        )
    )
    row.updated_at = utcnow()


def _check_choice(what: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise CaseError(f"unknown {what} {value!r}: choose one of {', '.join(allowed)}")


def open_case(
    session: Session,
    *,
    story_id: int,
    title: str,
    article_id: int,
    distortion_score: float,
    priority: float,
    topics: list[str],
    actor: str = "presswatch",
) -> int:
    """Open a case for a story; the caller has checked none exists."""
    row = CaseRow(
        story_id=story_id,
        title=title,
        status="new",
        priority=priority,
        distortion_score=distortion_score,
        topics=sorted(set(topics)),
    )
    session.add(row)
    session.flush()
    _event(
        session,
        row,
        actor,
        "opened",
        field="article",
        new=article_id,
        note=f"distortion score {distortion_score:.2f}",
    )
    return row.id


def article_on_case(session: Session, case_id: int, article_id: int) -> bool:
    """Whether the case's trail already records this article (opened or attached)."""
    found = session.scalar(
        select(CaseEventRow.id).where(
            CaseEventRow.case_id == case_id,
            CaseEventRow.field == "article",
            CaseEventRow.new_value == str(article_id),
        )
    )
    return found is not None


def attach_article(
    session: Session,
    case_id: int,
    *,
    article_id: int,
    distortion_score: float,
    priority: float,
    topics: list[str],
    actor: str = "presswatch",
) -> None:
    """Record a further flagged article of the case's story; raise the scores it lifts.

    An article re-analysed by a new analyzer version is recorded only once.
    """
    row = _row(session, case_id)
    if not article_on_case(session, case_id, article_id):
        _event(
            session,
            row,
            actor,
            "attached",
            field="article",
            new=article_id,
            note=f"distortion score {distortion_score:.2f}",
        )
    row.distortion_score = max(row.distortion_score, distortion_score)
    row.priority = priority
    row.topics = sorted(set(row.topics or []) | set(topics))


def update_priority(session: Session, case_id: int, priority: float) -> None:
    """Recomputed by the pipeline (recency decays); not a human change, so no event."""
    _row(session, case_id).priority = priority


def assign_case(session: Session, case_id: int, assignee: str | None, actor: str) -> Case:
    row = _row(session, case_id)
    if row.assignee != assignee:
        _event(session, row, actor, "assigned", field="assignee", old=row.assignee, new=assignee)
        row.assignee = assignee
        if assignee and row.status == "new":
            _event(session, row, actor, "status", field="status", old=row.status, new="triaged")
            row.status = "triaged"
    return _to_case(row)


def add_note(session: Session, case_id: int, note: str, actor: str) -> Case:
    if not note.strip():
        raise CaseError("a note needs some text")
    row = _row(session, case_id)
    _event(session, row, actor, "note", note=note.strip())
    return _to_case(row)


def set_status(session: Session, case_id: int, status: str, actor: str) -> Case:
    """Move an open case along (new, triaged, in_progress) or reopen a closed one."""
    _check_choice("status", status, OPEN_STATUSES)
    row = _row(session, case_id)
    if row.status == status:
        return _to_case(row)
    _event(session, row, actor, "status", field="status", old=row.status, new=status)
    if row.status == "closed":
        _event(session, row, actor, "reopened", field="resolution", old=row.resolution)
        row.resolution = None
        row.closed_at = None
    row.status = status
    return _to_case(row)


def set_response(session: Session, case_id: int, response: str, actor: str) -> Case:
    """The office's answer: its text or a link to it."""
    row = _row(session, case_id)
    if row.response != response:
        _event(session, row, actor, "response", field="response", old=row.response, new=response)
        row.response = response
    return _to_case(row)


def close_case(
    session: Session, case_id: int, resolution: str, actor: str, response: str | None = None
) -> Case:
    """Close with a resolution; responded/false_positive become training labels."""
    _check_choice("resolution", resolution, RESOLUTIONS)
    row = _row(session, case_id)
    if row.status == "closed":
        raise CaseError(f"case #{case_id} is already closed ({row.resolution}); reopen it first")
    if response is not None:
        set_response(session, case_id, response, actor)
    if resolution == "responded" and not row.response:
        raise CaseError(f"case #{case_id}: closing as responded needs the response text or link")
    _event(
        session, row, actor, "closed", field="status", old=row.status, new="closed", note=resolution
    )
    row.status = "closed"
    row.resolution = resolution
    row.closed_at = utcnow()
    if resolution in LABELLED_RESOLUTIONS:
        _label_story(session, row, resolution, actor)
    return _to_case(row)


def _label_story(session: Session, row: CaseRow, resolution: str, actor: str) -> None:
    from storage.labels import add_label

    articles = story_articles(session, row.story_id)
    # The flagged articles are what the verdict is about; copies that stayed
    # under the threshold carry no evidence either way.
    targets = [a for a in articles if a.flagged] or articles
    for article in targets:
        add_label(session, article.id, LABEL_TASK, resolution, actor, case_id=row.id)
