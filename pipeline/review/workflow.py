"""The case workflow: which changes a case may go through, and what they imply.

new → triaged (assigning someone triages a new case) → in_progress → closed
with a resolution; any open case may wait on someone outside (`waiting`, with a
reason); a closed case can be reopened by setting an open status.
Closing as responded needs the office's response; closing as responded or
false_positive records a training label on the story's flagged articles.
Every change is written through `storage.cases.record_change`, so each one
lands in the audit trail with who made it, whichever surface (CLI, web app,
pipeline) asked.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.errors import CaseError
from storage import cases as store
from storage.cases import OPEN_STATUSES, STATUSES, Case
from storage.deadlines import WAITING, set_waiting
from storage.labels import add_label
from storage.models import utcnow

__all__ = [
    "LABELLED_RESOLUTIONS",
    "OPEN_STATUSES",
    "RESOLUTIONS",
    "STATUSES",
    "CaseError",
    "add_note",
    "assign_case",
    "attach_article",
    "close_case",
    "open_case",
    "set_response",
    "set_status",
]

RESOLUTIONS = ("responded", "no_action", "false_positive")
# Closing with these resolutions teaches the flagger: "responded" confirms the
# flag was right, "false_positive" says it was wrong. "no_action" says nothing.
LABELLED_RESOLUTIONS = ("responded", "false_positive")
LABEL_TASK = "flag"
PIPELINE_ACTOR = "presswatch"


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
    actor: str = PIPELINE_ACTOR,
) -> int:
    """Open a case for a story; the caller has checked none exists."""
    case_id = store.insert_case(
        session,
        story_id=story_id,
        title=title,
        distortion_score=distortion_score,
        priority=priority,
        topics=topics,
    )
    store.record_change(
        session,
        case_id,
        actor,
        "opened",
        field="article",
        new=article_id,
        note=f"distortion score {distortion_score:.2f}",
    )
    return case_id


def attach_article(
    session: Session,
    case_id: int,
    *,
    article_id: int,
    distortion_score: float,
    priority: float,
    topics: list[str],
    actor: str = PIPELINE_ACTOR,
) -> None:
    """Record a further flagged article of the case's story; raise the scores it lifts.

    An article re-analysed by a new analyzer version is recorded only once.
    """
    if not store.article_on_case(session, case_id, article_id):
        store.record_change(
            session,
            case_id,
            actor,
            "attached",
            field="article",
            new=article_id,
            note=f"distortion score {distortion_score:.2f}",
        )
    row = store.case_row(session, case_id)
    store.update_case(
        session,
        case_id,
        distortion_score=max(row.distortion_score, distortion_score),
        priority=priority,
        topics=sorted(set(row.topics or []) | set(topics)),
    )


def assign_case(session: Session, case_id: int, assignee: str | None, actor: str) -> Case:
    case = store.to_case(store.case_row(session, case_id))
    if case.assignee == assignee:
        return case
    case = store.record_change(
        session,
        case_id,
        actor,
        "assigned",
        field="assignee",
        old=case.assignee,
        new=assignee,
        updates={"assignee": assignee},
    )
    if assignee and case.status == "new":
        case = store.record_change(
            session,
            case_id,
            actor,
            "status",
            field="status",
            old="new",
            new="triaged",
            updates={"status": "triaged"},
        )
    return case


def add_note(session: Session, case_id: int, note: str, actor: str) -> Case:
    if not note.strip():
        raise CaseError("a note needs some text")
    return store.record_change(session, case_id, actor, "note", note=note.strip())


def set_status(
    session: Session, case_id: int, status: str, actor: str, reason: str | None = None
) -> Case:
    """Move an open case along (new, triaged, in_progress, waiting) or reopen a closed one.

    `waiting` needs the reason (who the office waits for); its deadlines pause until
    the case moves on (`pipeline.review.deadlines.refresh_case` shifts them).
    """
    _check_choice("status", status, OPEN_STATUSES)
    reason = (reason or "").strip() or None
    if status == WAITING and reason is None:
        raise CaseError(f"case #{case_id}: waiting needs a reason (who or what it waits for)")
    case = store.to_case(store.case_row(session, case_id))
    if case.status == status:
        return case
    store.record_change(
        session,
        case_id,
        actor,
        "status",
        field="status",
        old=case.status,
        new=status,
        note=reason if status == WAITING else None,
        updates={"status": status},
    )
    if WAITING in (status, case.status):
        set_waiting(session, case_id, reason, now=utcnow(), waiting=status == WAITING)
    if case.status == "closed":
        store.record_change(
            session,
            case_id,
            actor,
            "reopened",
            field="resolution",
            old=case.resolution,
            updates={"resolution": None, "closed_at": None},
        )
    return store.to_case(store.case_row(session, case_id))


def set_response(session: Session, case_id: int, response: str, actor: str) -> Case:
    """The office's answer: its text or a link to it."""
    case = store.to_case(store.case_row(session, case_id))
    if case.response == response:
        return case
    return store.record_change(
        session,
        case_id,
        actor,
        "response",
        field="response",
        old=case.response,
        new=response,
        updates={"response": response},
    )


def close_case(
    session: Session,
    case_id: int,
    resolution: str,
    actor: str,
    response: str | None = None,
) -> Case:
    """Close with a resolution; responded/false_positive become training labels."""
    _check_choice("resolution", resolution, RESOLUTIONS)
    case = store.to_case(store.case_row(session, case_id))
    if case.status == "closed":
        raise CaseError(f"case #{case_id} is already closed ({case.resolution}); reopen it first")
    was_waiting = case.status == WAITING
    if response is not None:
        case = set_response(session, case_id, response, actor)
    if resolution == "responded" and not case.response:
        raise CaseError(f"case #{case_id}: closing as responded needs the response text or link")
    case = store.record_change(
        session,
        case_id,
        actor,
        "closed",
        field="status",
        old=case.status,
        new="closed",
        note=resolution,
        updates={"status": "closed", "resolution": resolution, "closed_at": utcnow()},
    )
    if was_waiting:
        set_waiting(session, case_id, None, now=utcnow(), waiting=False)
    if resolution in LABELLED_RESOLUTIONS:
        _label_story(session, case, resolution, actor)
    return case


def _label_story(session: Session, case: Case, resolution: str, actor: str) -> None:
    articles = store.story_articles(session, case.story_id)
    # The flagged articles are what the verdict is about; copies that stayed
    # under the threshold carry no evidence either way.
    targets = [a for a in articles if a.flagged] or articles
    for article in targets:
        add_label(session, article.id, LABEL_TASK, resolution, actor, case_id=case.id)
