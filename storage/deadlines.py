"""Repository functions for case deadlines and people's own alert channels.

Queries and writes only: which band a case falls in and when it is due is
`pipeline.review.deadlines`'. The waiting intervals are read from the audit
trail (every status change is an event), so a recompute needs no extra state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storage.cases import OPEN_STATUSES, case_row, origins_by_story
from storage.models import CaseEventRow, CaseRow, UserRow

WAITING = "waiting"
# (start, end) of each stretch a case waited; end None while it still waits.
Interval = tuple[dt.datetime, dt.datetime | None]


@dataclass(frozen=True, kw_only=True, slots=True)
class DeadlineCase:
    """What deadline evaluation needs of an open case."""

    id: int
    title: str
    status: str
    priority: float
    topics: list[str]
    origins: list[str]
    assignee: str | None
    response: str | None
    opened_at: dt.datetime
    deadline_band: str | None
    triage_due_at: dt.datetime | None
    respond_due_at: dt.datetime | None
    waiting_since: dt.datetime | None

    @property
    def triaged(self) -> bool:
        """Triage is met once the case has left `new`."""
        return self.status != "new"

    @property
    def responded(self) -> bool:
        """The response deadline is met by a recorded response (or by closing)."""
        return bool(self.response) or self.status == "closed"


@dataclass(frozen=True, kw_only=True, slots=True)
class Assignment:
    event_id: int
    case_id: int
    title: str
    actor: str
    assignee: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Contact:
    username: str
    language: str
    email: str | None
    telegram_chat_id: str | None


def _deadline_case(row: CaseRow, origins: list[str]) -> DeadlineCase:
    return DeadlineCase(
        id=row.id,
        title=row.title,
        status=row.status,
        priority=row.priority,
        topics=list(row.topics or []),
        origins=origins,
        assignee=row.assignee,
        response=row.response,
        opened_at=row.opened_at,
        deadline_band=row.deadline_band,
        triage_due_at=row.triage_due_at,
        respond_due_at=row.respond_due_at,
        waiting_since=row.waiting_since,
    )


def open_deadline_cases(session: Session, case_ids: list[int] | None = None) -> list[DeadlineCase]:
    """Open cases (all, or those of `case_ids`), oldest first."""
    query = select(CaseRow).where(CaseRow.status.in_(OPEN_STATUSES))
    if case_ids is not None:
        query = query.where(CaseRow.id.in_(case_ids))
    rows = list(session.scalars(query.order_by(CaseRow.id)))
    origins = origins_by_story(session, [row.story_id for row in rows])
    return [_deadline_case(row, origins.get(row.story_id, ([], 0))[0]) for row in rows]


def waiting_intervals(session: Session, case_ids: list[int]) -> dict[int, list[Interval]]:
    """Each case's stretches in `waiting`, from its status events in order."""
    found: dict[int, list[Interval]] = {case_id: [] for case_id in case_ids}
    if not case_ids:
        return found
    events = session.execute(
        select(
            CaseEventRow.case_id, CaseEventRow.at, CaseEventRow.old_value, CaseEventRow.new_value
        )
        .where(
            CaseEventRow.case_id.in_(case_ids),
            CaseEventRow.field == "status",
            or_(CaseEventRow.new_value == WAITING, CaseEventRow.old_value == WAITING),
        )
        .order_by(CaseEventRow.case_id, CaseEventRow.id)
    )
    started: dict[int, dt.datetime] = {}
    for case_id, at, old, new in events:
        if new == WAITING:
            started.setdefault(case_id, at)
        elif old == WAITING and case_id in started:
            found[case_id].append((started.pop(case_id), at))
    for case_id, at in started.items():
        found[case_id].append((at, None))
    return found


def set_deadlines(
    session: Session,
    case_id: int,
    *,
    band: str,
    triage_due_at: dt.datetime | None,
    respond_due_at: dt.datetime | None,
) -> bool:
    """Store a case's band and due times; False when they were already these."""
    row = case_row(session, case_id)
    wanted = (band, triage_due_at, respond_due_at)
    if (row.deadline_band, row.triage_due_at, row.respond_due_at) == wanted:
        return False
    row.deadline_band, row.triage_due_at, row.respond_due_at = wanted
    return True


def set_waiting(
    session: Session, case_id: int, reason: str | None, *, now: dt.datetime, waiting: bool
) -> None:
    """Start a wait (with its reason) or end one, adding it to the case's total."""
    row = case_row(session, case_id)
    if not waiting:
        if row.waiting_since is not None:
            waited = now - row.waiting_since
            row.paused_seconds = (row.paused_seconds or 0) + max(int(waited.total_seconds()), 0)
        row.waiting_reason, row.waiting_since = None, None
        return
    row.waiting_reason, row.waiting_since = reason, now


def contacts(session: Session, usernames: list[str]) -> dict[str, Contact]:
    """Enabled users' own channels, by username."""
    if not usernames:
        return {}
    rows = session.scalars(
        select(UserRow).where(UserRow.username.in_(usernames), UserRow.disabled.is_(False))
    )
    return {
        row.username: Contact(
            username=row.username,
            language=row.language,
            email=row.email,
            telegram_chat_id=row.telegram_chat_id,
        )
        for row in rows
    }


def usernames_with_roles(session: Session, roles: tuple[str, ...]) -> list[str]:
    return list(
        session.scalars(
            select(UserRow.username)
            .where(UserRow.role.in_(roles), UserRow.disabled.is_(False))
            .order_by(UserRow.username)
        )
    )


def set_contact(
    session: Session, username: str, *, email: str | None, telegram_chat_id: str | None
) -> None:
    """A person's email and Telegram chat id (empty strings clear them)."""
    row = session.scalar(select(UserRow).where(UserRow.username == username))
    if row is None:
        raise KeyError(username)
    row.email = (email or "").strip() or None
    row.telegram_chat_id = (telegram_chat_id or "").strip() or None


def recent_assignments(session: Session, since: dt.datetime) -> list[Assignment]:
    """Assignments to someone (not unassignments) recorded since `since`, oldest first."""
    rows = session.execute(
        select(CaseEventRow.id, CaseEventRow.case_id, CaseRow.title, CaseEventRow.actor)
        .add_columns(CaseEventRow.new_value)
        .join(CaseRow, CaseRow.id == CaseEventRow.case_id)
        .where(
            CaseEventRow.action == "assigned",
            CaseEventRow.new_value.is_not(None),
            CaseEventRow.at >= since,
        )
        .order_by(CaseEventRow.id)
    )
    return [
        Assignment(event_id=event_id, case_id=case_id, title=title, actor=actor, assignee=to)
        for event_id, case_id, title, actor, to in rows
    ]
