"""Deadlines as the queue and the case page show them: each due time with its
state (ok, soon, missed; met, paused while waiting), the state a queue row is
coloured by, and the queue's "nearest deadline first" order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.config import Settings
from pipeline.review.deadlines import State, case_states, worst
from storage.cases import Case
from storage.models import utcnow

SORTS = ("priority", "due")


@dataclass(frozen=True, slots=True)
class DeadlineView:
    triage_due_at: dt.datetime | None
    respond_due_at: dt.datetime | None
    triage: State
    respond: State
    row: State
    # The earliest deadline still to meet (None: both met, or none set).
    next_due: dt.datetime | None


def deadline_view(settings: Settings, case: Case, now: dt.datetime | None = None) -> DeadlineView:
    states = case_states(
        settings,
        status=case.status,
        response=case.response,
        opened_at=case.opened_at,
        triage_due_at=case.triage_due_at,
        respond_due_at=case.respond_due_at,
        now=now or utcnow(),
    )
    open_dues = [
        due
        for due, level in (
            (case.triage_due_at, states["triage"]),
            (case.respond_due_at, states["respond"]),
        )
        if due is not None and level not in ("met", "none")
    ]
    return DeadlineView(
        triage_due_at=case.triage_due_at,
        respond_due_at=case.respond_due_at,
        triage=states["triage"],
        respond=states["respond"],
        row=worst(states),
        next_due=min(open_dues, default=None),
    )


def deadline_views(settings: Settings, cases: list[Case]) -> dict[int, DeadlineView]:
    now = utcnow()
    return {case.id: deadline_view(settings, case, now) for case in cases}


def by_nearest_due(cases: list[Case], views: dict[int, DeadlineView]) -> list[Case]:
    """Nearest open deadline first; cases without one last, each group by priority."""
    far = dt.datetime.max.replace(tzinfo=dt.UTC)

    def key(case: Case) -> tuple[dt.datetime, float, int]:
        return (views[case.id].next_due or far, -case.priority, case.id)

    return sorted(cases, key=key)
