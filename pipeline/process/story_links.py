"""Cross-language story links: the English version of a Vietnamese story (BBC News and
BBC Tiếng Việt, VnExpress International and VnExpress) joins the Vietnamese one's story,
so both land on one case.

Runs in the process stage for each newly analysed (hence relevant) article, before
flagging opens a case. Candidates are relevant articles in another language published
within `WINDOW_HOURS`, already in a story, sharing a watched place when both
have one; the closest by title+lead embedding wins if
its cosine similarity reaches `THRESHOLD`. Same-language near-duplicates are left to the
crawler's MinHash clustering.

One case per story, nothing lost: the new article moves only if its own story has no case
yet; if it has one (its case opened earlier, e.g. under an older analyzer version), the
stories stay apart and the match is only logged — cases are never merged automatically.
"""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from nlp.encoder import shared_encoder
from storage import cases as case_store
from storage.models import ArticleRow, StoryRow

logger = logging.getLogger(__name__)

WINDOW_HOURS = 72.0
# Cosine of e5 passage vectors of title + lead: the lowest with no false link and no
# hard non-pair above it on the dev half (python -m pipeline.process.story_links_eval).
THRESHOLD = 0.82
MAX_CANDIDATES = 200


def link_text(title: str, lead: str, text: str) -> str:
    """Title and lead (or the text's start): what both language versions share most."""
    return f"{title.strip()}. {(lead or text).strip()}"


def link_story(
    session: Session,
    article_id: int,
    *,
    window_hours: float = WINDOW_HOURS,
    threshold: float = THRESHOLD,
) -> int | None:
    """Move the article into its other-language version's story; returns that story id."""
    row = session.get(ArticleRow, article_id)
    if row is None or row.language is None or not row.relevant:
        return None
    when = row.published_at or row.fetched_at
    window = dt.timedelta(hours=window_hours)
    query = (
        select(ArticleRow)
        .where(
            ArticleRow.id != row.id,
            ArticleRow.relevant.is_(True),
            ArticleRow.language.is_not(None),
            ArticleRow.language != row.language,
            ArticleRow.story_id.is_not(None),
            ArticleRow.published_at >= when - window,
            ArticleRow.published_at <= when + window,
        )
        .order_by(ArticleRow.published_at.desc())
        .limit(MAX_CANDIDATES)
    )
    if row.story_id is not None:
        query = query.where(ArticleRow.story_id != row.story_id)
    # Both tagged with watched places and none in common: another place's story.
    places = _place_names(row)
    candidates = [
        c
        for c in session.scalars(query)
        if not (places and _place_names(c)) or places & _place_names(c)
    ]
    if not candidates:
        return None
    vectors = shared_encoder().encode(
        [link_text(row.title, row.lead, row.text)]
        + [link_text(c.title, c.lead, c.text) for c in candidates]
    )
    similarities = vectors[1:] @ vectors[0]
    best = int(np.argmax(similarities))
    if float(similarities[best]) < threshold:
        return None
    target = candidates[best].story_id
    assert target is not None
    if row.story_id is not None and case_store.case_id_for_story(session, row.story_id):
        logger.info(
            "article %s matches story %s (%.3f) but its own story %s has a case: not merged",
            row.id,
            target,
            similarities[best],
            row.story_id,
        )
        return None
    _move(session, row, target)
    logger.info(
        "article %s joins story %s as its %s version (%.3f)",
        row.id,
        target,
        row.language,
        similarities[best],
    )
    return target


def _place_names(row: ArticleRow) -> set[str]:
    return {str(p.get("name")) for p in row.places or [] if isinstance(p, dict)}


def _move(session: Session, row: ArticleRow, story_id: int) -> None:
    if row.story_id is not None:
        old = session.get(StoryRow, row.story_id)
        if old is not None:
            old.article_count = max(0, old.article_count - 1)
    story = session.get(StoryRow, story_id)
    assert story is not None
    row.story_id = story_id
    story.article_count += 1
    session.flush()
