"""Case deadlines: which band a case falls in, when triage and response are due,
the pause while it waits, and what state each deadline is in.

A case's band is the first of `desk.bands` (then `desk.default`) it matches. Bands
only ever tighten: a case that matched a stricter band keeps it when its priority
later decays with age, and moves to a stricter one when a new article adds a
sensitive topic or a foreign outlet. Due times are recomputed from the opening
time, the band and the waiting stretches in the audit trail, so every recompute
(each alerts run, each status change) gives the same answer, and each wait moves
the due times by the waiting time as the band's clock counts it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from sqlalchemy.orm import Session

from core.desk_settings import DeadlineBand
from pipeline.review.business_time import DeskClock, days_off
from storage import deadlines as store
from storage.models import utcnow

if TYPE_CHECKING:
    from core.config import Settings

State = Literal["none", "met", "paused", "ok", "soon", "missed"]
Kind = Literal["triage", "respond"]
KINDS: tuple[Kind, ...] = ("triage", "respond")


@dataclass(frozen=True, kw_only=True, slots=True)
class DueTimes:
    band: str
    triage: dt.datetime
    respond: dt.datetime


def band_matches(settings: Settings, band: DeadlineBand, case: store.DeadlineCase) -> bool:
    if band.min_priority is not None and case.priority < band.min_priority:
        return False
    if band.origin == "foreign" and "foreign" not in case.origins:
        return False
    if band.origin == "domestic" and (not case.origins or "foreign" in case.origins):
        return False
    wanted = set(band.topics)
    if band.sensitive:
        wanted |= {topic.id for topic in settings.topics if topic.sensitive}
    return not (band.topics or band.sensitive) or bool(wanted & set(case.topics))


def band_for(settings: Settings, case: store.DeadlineCase) -> DeadlineBand:
    """The first band the case matches now, or the band it already had if stricter."""
    bands = settings.desk.all_bands()
    matched = next(i for i, band in enumerate(bands) if band_matches(settings, band, case))
    held = next((i for i, band in enumerate(bands) if band.id == case.deadline_band), matched)
    return bands[min(matched, held)]


def clock_for(settings: Settings, band: DeadlineBand) -> DeskClock:
    desk = settings.desk
    calendar = days_off(desk.public_holidays, tuple(desk.holidays))
    return DeskClock.of(
        desk.business_hours, calendar, settings.profile.timezone, business=band.business_hours
    )


def due_at(
    clock: DeskClock,
    opened_at: dt.datetime,
    allowed: dt.timedelta,
    waits: list[store.Interval],
    now: dt.datetime,
) -> dt.datetime:
    """`allowed` of the band's time after opening, pushed back by each wait that began
    before the deadline (a wait still running counts up to `now`)."""
    due = clock.add(opened_at, clock.span(allowed))
    for start, end in sorted(waits, key=lambda wait: wait[0]):
        if start < due:
            due = clock.add(due, clock.elapsed(start, end or now))
    return due


def compute(
    settings: Settings, case: store.DeadlineCase, waits: list[store.Interval], now: dt.datetime
) -> DueTimes:
    band = band_for(settings, case)
    clock = clock_for(settings, band)
    return DueTimes(
        band=band.id,
        triage=due_at(clock, case.opened_at, band.triage, waits, now),
        respond=due_at(clock, case.opened_at, band.respond, waits, now),
    )


def refresh_cases(
    settings: Settings,
    session: Session,
    now: dt.datetime | None = None,
    case_ids: list[int] | None = None,
) -> int:
    """Store the band and due times of open cases (all, or `case_ids`); how many changed.

    Does nothing unless `desk.enabled`."""
    if not settings.desk.enabled:
        return 0
    now = now or utcnow()
    cases = store.open_deadline_cases(session, case_ids)
    waits = store.waiting_intervals(session, [case.id for case in cases])
    changed = 0
    for case in cases:
        if case.waiting_since is not None and case.triage_due_at is not None:
            continue  # frozen while waiting; the wait is added when it ends
        due = compute(settings, case, waits[case.id], now)
        changed += store.set_deadlines(
            session, case.id, band=due.band, triage_due_at=due.triage, respond_due_at=due.respond
        )
    return changed


def refresh_case(settings: Settings, session: Session, case_id: int) -> None:
    """After a change to one case (a status, a wait ending)."""
    refresh_cases(settings, session, case_ids=[case_id])


def warn_from(settings: Settings, opened_at: dt.datetime, due: dt.datetime) -> dt.datetime:
    """When "about to miss" begins for a deadline: `warn_before` ahead of it, or that
    fraction of the time from opening to it."""
    warn = settings.desk.warn_before
    if isinstance(warn, dt.timedelta):
        return due - warn
    return due - (due - opened_at) * warn


def state(
    settings: Settings,
    *,
    due: dt.datetime | None,
    met: bool,
    waiting: bool,
    opened_at: dt.datetime,
    now: dt.datetime,
) -> State:
    """ok / soon / missed for an open deadline; met, paused (waiting) or none otherwise."""
    if met:
        return "met"
    if due is None:
        return "none"
    if waiting:
        return "paused"
    if now >= due:
        return "missed"
    return "soon" if now >= warn_from(settings, opened_at, due) else "ok"


def case_states(
    settings: Settings,
    *,
    status: str,
    response: str | None,
    opened_at: dt.datetime,
    triage_due_at: dt.datetime | None,
    respond_due_at: dt.datetime | None,
    now: dt.datetime | None = None,
) -> dict[Kind, State]:
    """Both deadlines' states of a case, for the queue and the case page."""
    now = now or utcnow()
    waiting = status == store.WAITING
    triage = state(
        settings,
        due=triage_due_at,
        met=status != "new",
        waiting=waiting,
        opened_at=opened_at,
        now=now,
    )
    respond = state(
        settings,
        due=respond_due_at,
        met=bool(response) or status == "closed",
        waiting=waiting,
        opened_at=opened_at,
        now=now,
    )
    return {"triage": triage, "respond": respond}


def worst(states: dict[Kind, State]) -> State:
    """The state a queue row is coloured by: the most pressing of its two."""
    levels: tuple[State, ...] = ("missed", "soon", "paused", "ok", "met")
    for level in levels:
        if level in states.values():
            return level
    return "none"
