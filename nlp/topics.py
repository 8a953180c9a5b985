"""Topics of the config taxonomy by keyword and phrase rules, in both languages.

Multi-label: every topic whose keywords occur scores, more hits and hits in the
title score higher. A trained linear model (nlp.topic_model) can add its own
scores on top when staff have labelled topics (see `presswatch train`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.analysis import TopicScore
from nlp.matching import PhraseMatcher

if TYPE_CHECKING:
    from core.config import Topic

_TITLE_WEIGHT = 2.0
# score = 1 - exp(-hits / 2): one body hit 0.39, two 0.63, a title hit 0.63.
_SATURATION = 2.0


class KeywordTopics:
    def __init__(self, topics: Sequence[Topic]) -> None:
        self.topics = {topic.id: topic for topic in topics}
        self.matcher = PhraseMatcher(
            ((topic.id, kw) for topic in topics for kw in (*topic.keywords_vi, *topic.keywords_en)),
            check_case=False,
        )

    def hits(self, text: str) -> dict[str, list[tuple[int, int]]]:
        found: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for start, end, _surface, keys in self.matcher.finditer(text):
            for key in keys:
                found[key].append((start, end))
        return found

    def score(self, text: str, title_end: int) -> tuple[list[TopicScore], dict[str, int]]:
        """Scores for topics with at least one hit, best first, and hit counts."""
        hits = self.hits(text)
        scores: list[TopicScore] = []
        counts: dict[str, int] = {}
        for topic_id, spans in hits.items():
            weight = sum(_TITLE_WEIGHT if start < title_end else 1.0 for start, _ in spans)
            counts[topic_id] = len(spans)
            value = 1.0 - math.exp(-weight / _SATURATION)
            scores.append(TopicScore(id=topic_id, score=round(value, 4)))
        scores.sort(key=lambda t: (-t.score, t.id))
        return scores, counts

    def sensitive(self, topic_id: str) -> bool:
        topic = self.topics.get(topic_id)
        return bool(topic and topic.sensitive)
