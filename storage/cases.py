"""Repository functions for the review queue: cases and their audit trail.

Queries and writes only; what a change may be (the workflow's states,
resolutions, who triages) is `pipeline.review.workflow`'s. Every write goes
through `record_change`, which also writes a `case_events` row (who, when,
which field, from what to what), so the trail is complete whichever caller
(CLI, web app, pipeline) made the change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from core.errors import CaseError
from storage.analyses import ListedArticle, is_latest_analysis, listed_article_fields, to_stored
from storage.models import AnalysisRow, ArticleRow, CaseEventRow, CaseRow, SourceRow, utcnow

# The statuses a row may hold; which moves between them are allowed is the workflow's.
# `waiting`: on hold for someone outside the office (a reason is required); its
# deadlines are paused meanwhile (pipeline.review.deadlines).
STATUSES = ("new", "triaged", "in_progress", "waiting", "closed")
OPEN_STATUSES = ("new", "triaged", "in_progress", "waiting")
_CHANGEABLE = frozenset(
    {
        "status",
        "resolution",
        "assignee",
        "response",
        "closed_at",
        "priority",
        "distortion_score",
        "topics",
    }
)


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
    triage_due_at: dt.datetime | None = None
    respond_due_at: dt.datetime | None = None
    waiting_reason: str | None = None
    waiting_since: dt.datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseDetail:
    case: Case
    articles: list[StoryArticle]
    events: list[CaseEvent]


# --- reading --------------------------------------------------------------------------


def story_articles(session: Session, story_id: int) -> list[StoryArticle]:
    """Every article of a story with its source facts and latest analysis."""
    rows = session.execute(
        select(ArticleRow, SourceRow, AnalysisRow)
        .outerjoin(SourceRow, SourceRow.id == ArticleRow.source_id)
        .outerjoin(AnalysisRow, is_latest_analysis(ArticleRow.id))
        .where(ArticleRow.story_id == story_id)
        .order_by(ArticleRow.published_at, ArticleRow.id)
    )
    return [
        StoryArticle(
            **listed_article_fields(article, source, to_stored(row) if row is not None else None)
        )
        for article, source, row in rows
    ]


def origins_by_story(session: Session, story_ids: list[int]) -> dict[int, tuple[list[str], int]]:
    """story id -> (the origins of the outlets that carried it, how many articles)."""
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


def to_case(row: CaseRow, origins: tuple[list[str], int] | None = None) -> Case:
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
        triage_due_at=row.triage_due_at,
        respond_due_at=row.respond_due_at,
        waiting_reason=row.waiting_reason,
        waiting_since=row.waiting_since,
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
        if status not in STATUSES:
            raise CaseError(
                f"unknown status {status!r}: choose one of {', '.join((*STATUSES, 'open'))}"
            )
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
    if topic is not None:
        query = query.where(_has_topic(session, topic))
    rows = list(session.scalars(query.order_by(CaseRow.priority.desc(), CaseRow.id)))
    origins = origins_by_story(session, [row.story_id for row in rows])
    return [to_case(row, origins.get(row.story_id)) for row in rows]


def _has_topic(session: Session, topic: str) -> ColumnElement[bool]:
    """`topic` is in the case's JSON list of topic ids, tested by the database: each
    backend's function that unnests a JSON array (SQLite json_each, PostgreSQL
    json_array_elements_text)."""
    unnest = (
        func.json_array_elements_text
        if session.get_bind().dialect.name == "postgresql"
        else func.json_each
    )
    element = unnest(CaseRow.topics).table_valued("value")
    return exists(select(element.c.value).where(element.c.value == topic))


def case_row(session: Session, case_id: int) -> CaseRow:
    row = session.get(CaseRow, case_id)
    if row is None:
        raise CaseError(f"no case #{case_id}")
    return row


def get_case(session: Session, case_id: int) -> CaseDetail:
    row = case_row(session, case_id)
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
    return CaseDetail(case=to_case(row, (origins, len(articles))), articles=articles, events=events)


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


def insert_case(
    session: Session,
    *,
    story_id: int,
    title: str,
    distortion_score: float,
    priority: float,
    topics: list[str],
) -> int:
    """A new row in status "new"; the caller records the opening event."""
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
    return row.id


def record_change(
    session: Session,
    case_id: int,
    actor: str,
    action: str,
    *,
    field: str | None = None,
    old: object = None,
    new: object = None,
    note: str | None = None,
    updates: dict[str, object] | None = None,
) -> Case:
    """Apply `updates` to the case and write one audit event describing the change."""
    row = case_row(session, case_id)
    for name, value in (updates or {}).items():
        if name not in _CHANGEABLE:
            raise ValueError(f"case field {name!r} is not changeable")
        setattr(row, name, value)
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
    return to_case(row)


def update_case(session: Session, case_id: int, **updates: object) -> None:
    """A change by the pipeline itself (scores, recency): no audit event."""
    row = case_row(session, case_id)
    for name, value in updates.items():
        if name not in _CHANGEABLE:
            raise ValueError(f"case field {name!r} is not changeable")
        setattr(row, name, value)


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
