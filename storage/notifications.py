"""Repository functions for the in-app notifications.

A notification is a kind, a user, an optional case and the parameters its
sentence needs; the web layer words it from the catalog when shown. `once_key`
makes an event land at most once per user (a case becoming urgent is noticed by
whichever page load looks first; later looks find it told).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import CaseRow, NotificationRow, UserRow, utcnow

ASSIGNED = "case_assigned"  # someone else gave you a case
TAKEN = "case_taken"  # someone took (or moved) a case you had
UNASSIGNED = "case_unassigned"  # someone left a case you had with nobody
URGENT = "case_urgent"  # a new case crossed an urgent alert rule
# Who hears of a new urgent case: everyone who can work on one.
URGENT_ROLES = ("analyst", "admin")


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    kind: str
    case_id: int | None
    params: dict[str, Any]
    created_at: dt.datetime
    read_at: dt.datetime | None

    @property
    def unread(self) -> bool:
        return self.read_at is None


@dataclass(frozen=True, slots=True)
class UrgentRule:
    """A case is urgent when its distortion score reaches `min_score` and, if the
    rule names topics, it has one of them (the alert rules' own test)."""

    min_score: float
    topics: frozenset[str] = field(default_factory=frozenset)

    def matches(self, score: float, topics: Iterable[str]) -> bool:
        return score >= self.min_score and (not self.topics or bool(self.topics & set(topics)))


def _user_id(session: Session, username: str) -> int | None:
    return session.scalar(select(UserRow.id).where(UserRow.username == username))


def notify(
    session: Session,
    username: str,
    kind: str,
    *,
    case_id: int | None = None,
    params: dict[str, Any] | None = None,
    once_key: str | None = None,
) -> bool:
    """Add a notification for `username`; False if no such user or `once_key` was told."""
    user_id = _user_id(session, username)
    if user_id is None:
        return False
    return _add(session, user_id, kind, case_id, params or {}, once_key)


def _add(
    session: Session,
    user_id: int,
    kind: str,
    case_id: int | None,
    params: dict[str, Any],
    once_key: str | None,
) -> bool:
    row = NotificationRow(
        user_id=user_id, kind=kind, case_id=case_id, params=params, once_key=once_key
    )
    try:
        # A savepoint: a key told by a concurrent request leaves this session usable.
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


def notify_assignment(
    session: Session,
    case_id: int,
    *,
    before: str | None,
    after: str | None,
    actor: str,
    title: str,
) -> None:
    """Tell the new assignee and the previous one, unless they made the change themselves."""
    if before == after:
        return
    params = {"actor": actor, "title": title, "assignee": after or ""}
    if after and after != actor:
        notify(session, after, ASSIGNED, case_id=case_id, params=params)
    if before and before != actor:
        kind = TAKEN if after else UNASSIGNED
        notify(session, before, kind, case_id=case_id, params=params)


def missing_urgent(
    session: Session, rules: Sequence[UrgentRule], since: dt.datetime
) -> list[tuple[int, int, str, float]]:
    """(user id, case id, title, score) of urgent open cases opened since `since` that
    an analyst or admin has not been told of. A user hears only of cases opened
    after their account was made, so a new colleague is not handed the backlog."""
    if not rules:
        return []
    lowest = min(rule.min_score for rule in rules)
    cases = [
        row
        for row in session.execute(
            select(
                CaseRow.id,
                CaseRow.title,
                CaseRow.distortion_score,
                CaseRow.topics,
                CaseRow.opened_at,
            )
            .where(
                CaseRow.status != "closed",
                CaseRow.opened_at >= since,
                CaseRow.distortion_score >= lowest,
            )
            .order_by(CaseRow.id)
        )
        if any(rule.matches(row.distortion_score, row.topics or []) for rule in rules)
    ]
    if not cases:
        return []
    users = list(
        session.execute(
            select(UserRow.id, UserRow.created_at).where(
                UserRow.role.in_(URGENT_ROLES), UserRow.disabled.is_(False)
            )
        )
    )
    keys = [urgent_key(row.id) for row in cases]
    told = {
        (user_id, key)
        for user_id, key in session.execute(
            select(NotificationRow.user_id, NotificationRow.once_key).where(
                NotificationRow.once_key.in_(keys)
            )
        )
    }
    return [
        (user.id, case.id, case.title, float(case.distortion_score))
        for case in cases
        for user in users
        if case.opened_at >= user.created_at and (user.id, urgent_key(case.id)) not in told
    ]


def urgent_key(case_id: int) -> str:
    return f"urgent:case:{case_id}"


def notify_urgent(session: Session, missing: Sequence[tuple[int, int, str, float]]) -> int:
    """Store what `missing_urgent` found; returns how many were new."""
    added = 0
    for user_id, case_id, title, score in missing:
        params = {"title": title, "score": round(score, 2)}
        added += _add(session, user_id, URGENT, case_id, params, urgent_key(case_id))
    return added


def unread_count(session: Session, user_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(NotificationRow)
            .where(NotificationRow.user_id == user_id, NotificationRow.read_at.is_(None))
        )
        or 0
    )


def count_for_user(session: Session, user_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(NotificationRow)
            .where(NotificationRow.user_id == user_id)
        )
        or 0
    )


def list_for_user(
    session: Session, user_id: int, *, limit: int = 50, offset: int = 0
) -> list[Notification]:
    """Unread first, then newest first."""
    rows = session.scalars(
        select(NotificationRow)
        .where(NotificationRow.user_id == user_id)
        .order_by(
            NotificationRow.read_at.is_not(None),
            NotificationRow.created_at.desc(),
            NotificationRow.id.desc(),
        )
        .limit(limit)
        .offset(offset)
    )
    return [
        Notification(
            id=row.id,
            kind=row.kind,
            case_id=row.case_id,
            params=dict(row.params or {}),
            created_at=row.created_at,
            read_at=row.read_at,
        )
        for row in rows
    ]


def mark_read(session: Session, user_id: int, notification_id: int) -> bool:
    """Mark one of the user's own notifications read; False if it is not theirs."""
    result = session.execute(
        update(NotificationRow)
        .where(
            NotificationRow.id == notification_id,
            NotificationRow.user_id == user_id,
            NotificationRow.read_at.is_(None),
        )
        .values(read_at=utcnow())
    )
    return bool(getattr(result, "rowcount", 0))


def mark_all_read(session: Session, user_id: int) -> int:
    result = session.execute(
        update(NotificationRow)
        .where(NotificationRow.user_id == user_id, NotificationRow.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0))


def case_of(session: Session, user_id: int, notification_id: int) -> int | None:
    """The case of one of the user's own notifications."""
    return session.scalar(
        select(NotificationRow.case_id).where(
            NotificationRow.id == notification_id, NotificationRow.user_id == user_id
        )
    )
