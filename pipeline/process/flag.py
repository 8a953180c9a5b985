"""Flagging into cases: a flagged article opens the case of its story, or joins it.

Syndicated copies and later follow-ups share a story cluster (the crawler's
near-duplicate clustering), so they land on the same case instead of opening
new ones. Priority blends how distorted the worst article is, how far the
story reaches and how recent it is.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.record import Article
from pipeline.review import workflow
from storage import cases as case_store
from storage.articles import assign_story, new_story

logger = logging.getLogger(__name__)

# Weights of the priority blend (0..100). Distortion dominates: a small outlet
# repeating a known false narrative outranks a big outlet's mild criticism.
W_SCORE, W_REACH, W_RECENCY = 0.6, 0.25, 0.15
# Recency halves every day: a story from this morning beats last week's.
RECENCY_HALF_LIFE_HOURS = 24.0


def priority(score: float, reach: int, latest_at: dt.datetime | None, now: dt.datetime) -> float:
    """0..100; reach is the source's 1..5 audience size from config."""
    age_hours = max(0.0, (now - latest_at).total_seconds() / 3600) if latest_at else 1e6
    recency = math.pow(0.5, age_hours / RECENCY_HALF_LIFE_HOURS)
    reach_part = (min(max(reach, 1), 5) - 1) / 4
    return round(100 * (W_SCORE * score + W_REACH * reach_part + W_RECENCY * recency), 1)


def story_priority(session: Session, story_id: int, now: dt.datetime) -> tuple[float, float]:
    """(priority, worst flagged score) from every article the story has now."""
    articles = case_store.story_articles(session, story_id)
    flagged = [a.distortion_score or 0.0 for a in articles if a.flagged]
    score = max(flagged, default=max((a.distortion_score or 0.0 for a in articles), default=0.0))
    reach = max((a.reach for a in articles), default=1)
    latest = max((a.published_at or a.fetched_at for a in articles), default=None)
    return priority(score, reach, latest, now), score


@dataclass
class FlagOutcome:
    case_id: int
    opened: bool


def flag_article(
    session: Session, article: Article, *, score: float, topics: list[str], now: dt.datetime
) -> FlagOutcome:
    """Open or update the case of a flagged article's story (same transaction as its analysis)."""
    assert article.id is not None
    story_id = article.story_id
    if story_id is None:
        # Clustering has not placed it yet: it is a story of its own.
        story_id = new_story(session, article.title)
        assign_story(session, article.id, story_id)
    prio, _ = story_priority(session, story_id, now)
    existing = case_store.case_id_for_story(session, story_id)
    if existing is None:
        try:
            # A savepoint, so a concurrent run opening the same case is not fatal.
            with session.begin_nested():
                case_id = workflow.open_case(
                    session,
                    story_id=story_id,
                    title=article.title,
                    article_id=article.id,
                    distortion_score=score,
                    priority=prio,
                    topics=topics,
                )
            logger.info("opened case #%s for article %s (%s)", case_id, article.id, article.url)
            return FlagOutcome(case_id, True)
        except IntegrityError:
            existing = case_store.case_id_for_story(session, story_id)
            assert existing is not None
    workflow.attach_article(
        session,
        existing,
        article_id=article.id,
        distortion_score=score,
        priority=prio,
        topics=topics,
    )
    logger.info("attached article %s (%s) to case #%s", article.id, article.url, existing)
    return FlagOutcome(existing, False)


def refresh_priorities(session: Session, now: dt.datetime) -> int:
    """Re-rank open cases as they age; returns how many changed."""
    changed = 0
    for case in case_store.list_cases(session, status="open"):
        prio, _ = story_priority(session, case.story_id, now)
        if abs(prio - case.priority) >= 0.05:
            case_store.update_case(session, case.id, priority=prio)
            changed += 1
    return changed
