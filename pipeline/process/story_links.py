"""Cross-language story links: the English version of a Vietnamese story (BBC News and
BBC Tiếng Việt, VnExpress International and VnExpress) joins the Vietnamese one's
story, so both land on one case.

Runs in the process stage for each newly analysed (hence relevant) article, before
flagging opens a case. Candidates are analysed relevant articles in another language
published within `WINDOW_HOURS`, already in a story. Three checks, all required:

1. the title+lead e5 embeddings are within `THRESHOLD` (cosine);
2. the texts agree on figures and names (`nlp.story_anchors`): at least
   `MIN_EVIDENCE` shared figures or name pairs beyond the watched province, and no
   figures on one side that the other contradicts or leaves out. The embedding alone
   linked different stories on the demo's press (a cable-car story 0.82 against a
   border-marker story; an aid report 0.84 against the "aid never arrived" copies);
3. their analyses agree on the watched narratives: one repeating a claim the other
   does not repeat (or rebuts) is another story, however close the wording.

The closest passing candidate wins. One case per story, nothing lost: the new article
moves only if its own story has no case yet; if it has one, the stories stay apart and
the match is only logged. Cases are never merged. Same-language near-duplicates are
left to the crawler's MinHash clustering.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Watch
from nlp.encoder import shared_encoder
from nlp.story_anchors import Agreement, anchors, compare
from storage import cases as case_store
from storage.analyses import latest_analyses
from storage.models import ArticleRow, StoryRow

logger = logging.getLogger(__name__)

WINDOW_HOURS = 72.0
# Cosine of e5 passage vectors of title + lead, and shared figures + name pairs: chosen
# on the dev half (python -m pipeline.process.story_links_eval; card in nlp/data/stories).
THRESHOLD = 0.815
MIN_EVIDENCE = 2
MAX_CANDIDATES = 200
# How much of the body is read for figures and names: the lead and first paragraphs,
# where both versions state the facts they share.
ANCHOR_CHARS = 1200
COUNTRY_NAMES = ("Việt Nam", "Vietnam", "Viet Nam")


@dataclass(frozen=True)
class LinkRule:
    threshold: float = THRESHOLD
    min_evidence: int = MIN_EVIDENCE
    check_numbers: bool = True

    def agrees(self, agreement: Agreement) -> bool:
        """The figures-and-names check (always true when it is switched off)."""
        if not self.check_numbers:
            return True
        return not agreement.numbers_disagree() and agreement.evidence >= self.min_evidence

    def links(self, similarity: float, agreement: Agreement) -> bool:
        return similarity >= self.threshold and self.agrees(agreement)


def link_text(title: str, lead: str, text: str) -> str:
    """Title and lead (or the text's start): what both language versions share most."""
    return f"{title.strip()}. {(lead or text).strip()}"


def anchor_text(row: ArticleRow) -> str:
    body = row.text or ""
    if row.lead and not body.startswith(row.lead):
        body = f"{row.lead}\n{body}"
    return f"{row.title}\n{body[:ANCHOR_CHARS]}"


def narratives_disagree(a: tuple[set[str], set[str]], b: tuple[set[str], set[str]]) -> bool:
    """(asserted, rebutted) narrative ids of two articles: a claim one repeats and the
    other does not (or rebuts) means two stories."""
    return a[0] != b[0] or bool(a[0] & b[1]) or bool(b[0] & a[1])


class StoryLinker:
    """Links articles to their other-language versions' stories (see the module doc)."""

    def __init__(
        self,
        watch: Watch,
        *,
        rule: LinkRule | None = None,
        window_hours: float = WINDOW_HOURS,
    ) -> None:
        self.rule = rule or LinkRule()
        self.window = dt.timedelta(hours=window_hours)
        # Names every relevant article shares: the watched province (and the one it
        # merged into) and the country. They say nothing about which story it is.
        provinces = [p for p in watch.all_places() if p.kind in ("province", "merged_province")]
        self.ignore = tuple(name for p in provinces for name in p.names) + COUNTRY_NAMES
        if watch.merger is not None:
            self.ignore += (watch.merger.into,)

    def link(self, session: Session, article_id: int) -> int | None:
        """Move the article into its other-language version's story; returns that story."""
        row = session.get(ArticleRow, article_id)
        if row is None or row.language is None or not row.relevant:
            return None
        candidates = self._candidates(session, row)
        if not candidates:
            return None
        claims = _claims(session, [row.id, *(c.id for c in candidates)])
        if row.id not in claims:
            return None
        # The cheap checks first: only candidates agreeing on figures, names and
        # narratives are encoded.
        mine = anchors(anchor_text(row), row.language, self.ignore)
        agreeing = []
        for candidate in candidates:
            if candidate.id not in claims:
                continue  # not analysed yet: it looks for its versions when it is
            theirs = anchors(anchor_text(candidate), candidate.language or "", self.ignore)
            if not self.rule.agrees(compare(mine, theirs)):
                continue
            if narratives_disagree(claims[row.id], claims[candidate.id]):
                logger.debug("article %s vs %s: their narratives disagree", row.id, candidate.id)
                continue
            agreeing.append(candidate)
        if not agreeing:
            return None
        vectors = shared_encoder().encode(
            [link_text(row.title, row.lead, row.text)]
            + [link_text(c.title, c.lead, c.text) for c in agreeing]
        )
        similarities = vectors[1:] @ vectors[0]
        best_index = int(np.argmax(similarities))
        similarity = float(similarities[best_index])
        if similarity < self.rule.threshold:
            return None
        best = (similarity, agreeing[best_index])
        return self._join(session, row, best[1], best[0])

    def _candidates(self, session: Session, row: ArticleRow) -> list[ArticleRow]:
        when = row.published_at or row.fetched_at
        query = (
            select(ArticleRow)
            .where(
                ArticleRow.id != row.id,
                ArticleRow.relevant.is_(True),
                ArticleRow.language.is_not(None),
                ArticleRow.language != row.language,
                ArticleRow.story_id.is_not(None),
                ArticleRow.published_at >= when - self.window,
                ArticleRow.published_at <= when + self.window,
            )
            .order_by(ArticleRow.published_at.desc(), ArticleRow.id)
            .limit(MAX_CANDIDATES)
        )
        if row.story_id is not None:
            query = query.where(ArticleRow.story_id != row.story_id)
        return list(session.scalars(query))

    def _join(
        self, session: Session, row: ArticleRow, match: ArticleRow, similarity: float
    ) -> int | None:
        target = match.story_id
        assert target is not None
        if row.story_id is not None and case_store.case_id_for_story(session, row.story_id):
            logger.info(
                "article %s matches story %s (%.3f) but its own story %s has a case: not merged",
                row.id,
                target,
                similarity,
                row.story_id,
            )
            return None
        _move(session, row, target)
        logger.info(
            "article %s joins story %s as its %s version of article %s (%.3f)",
            row.id,
            target,
            row.language,
            match.id,
            similarity,
        )
        return target


def _claims(session: Session, article_ids: list[int]) -> dict[int, tuple[set[str], set[str]]]:
    """(asserted, rebutted) narratives of each article's latest analysis; articles not
    analysed yet are absent (they look for their own versions when they are)."""
    return {
        article_id: (set(stored.result.narrative_ids()), set(stored.result.rebuttal_ids()))
        for article_id, stored in latest_analyses(session, article_ids).items()
    }


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
