"""Topics of the config taxonomy: keyword rules that respect Vietnamese, and the
blend of those rules with the trained topic model (nlp.topic_model).

Rules, decided per sentence:

* a sentence typed with diacritics must carry a keyword's own diacritics
  ("bao nhiêu" is not "bão", "rung động" not "rừng", "chưa" not "chùa"); a
  sentence typed without them may match the folded keyword;
* keywords match whole syllables (never inside a longer word);
* keywords listed in nlp/data/topics/ambiguous.json need context: a hit inside
  a longer word that means something else is dropped ("biển báo", "đảo chiều",
  "lũ lượt"), some need a confirming word in the sentence ("đồng bào" is an
  ethnic community only next to "dân tộc", "Vân Kiều"...), some are cancelled
  by one ("cứu trợ" at a charity concert), and unmarked text asks more of a
  bare syllable ("bao" is a storm only near "mưa", "gió", "cơn"...);
* a Vietnamese one-syllable keyword does not fire in English sentences.

The model reads whole articles as the team-written passages it was trained on;
rules catch what the model never saw (a topic an office adds with keywords and
no training data still gets rule matches).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.analysis import TopicScore
from nlp.matching import SEPARATORS, PhraseMatcher
from nlp.normalize import has_vietnamese_marks, normalize_text
from nlp.text import Sentence, split_sentences
from nlp.topic_office import VECTOR_QUERY

if TYPE_CHECKING:
    from core.config import AnalysisConfig, Topic
    from nlp.topic_office import OfficeTopicModel

_TITLE_WEIGHT = 2.0
# score = 1 - exp(-hits / 2): one body hit 0.39, two 0.63, a title hit 0.63.
_SATURATION = 2.0


def ambiguous_path() -> Path:
    return Path(str(resources.files("nlp") / "data" / "topics" / "ambiguous.json"))


def _key(phrase: str) -> str:
    """One spelling per phrase: NFC, tone-mark convention, lowercase, single spaces."""
    return " ".join(re.split(SEPARATORS, normalize_text(phrase).lower())).strip()


@dataclass(frozen=True, slots=True)
class Ambiguity:
    """Context a keyword needs before it counts (see ambiguous.json's `about`)."""

    keyword: str
    topics: frozenset[str] = frozenset()
    part_of: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    unmarked_requires: tuple[str, ...] = ()

    def phrases(self) -> tuple[str, ...]:
        return (*self.part_of, *self.requires, *self.excludes, *self.unmarked_requires)


@functools.cache
def load_ambiguities(path: Path | None = None) -> tuple[Ambiguity, ...]:
    data = json.loads((path or ambiguous_path()).read_text(encoding="utf-8"))
    return tuple(
        Ambiguity(
            keyword=str(entry["keyword"]),
            topics=frozenset(entry.get("topics", ())),
            part_of=tuple(entry.get("part_of", ())),
            requires=tuple(entry.get("requires", ())),
            excludes=tuple(entry.get("excludes", ())),
            unmarked_requires=tuple(entry.get("unmarked_requires", ())),
        )
        for entry in data["entries"]
    )


def ambiguities_digest(path: Path | None = None) -> str:
    """Goes into the analyzer version: editing the context file re-analyses."""
    return hashlib.sha256((path or ambiguous_path()).read_bytes()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class _Keyword:
    topic: str
    phrase: str
    language: str
    marked: bool  # carries Vietnamese diacritics
    syllables: int


class _SentenceContext:
    """Context phrases found in one sentence, computed once and only when needed."""

    def __init__(self, matcher: PhraseMatcher, text: str, marked: bool) -> None:
        self.spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for start, end, surface, keys in matcher.finditer(text):
            if marked and surface.isascii() and not all(k.isascii() for k in keys):
                keys = [k for k in keys if k.isascii()]
            for key in keys:
                self.spans[key].append((start, end))

    def has_any(self, phrases: Sequence[str]) -> bool:
        return any(_key(p) in self.spans for p in phrases)

    def covers(self, phrases: Sequence[str], start: int, end: int) -> bool:
        """A longer phrase from `phrases` spans the hit: the hit is part of another word."""
        for phrase in phrases:
            for a, b in self.spans.get(_key(phrase), ()):
                if a <= start and b >= end and b - a > end - start:
                    return True
        return False


class KeywordTopics:
    def __init__(self, topics: Sequence[Topic], ambiguities: Sequence[Ambiguity] = ()) -> None:
        self.topics = {topic.id: topic for topic in topics}
        self._keywords: list[_Keyword] = []
        for topic in topics:
            for language, words in (("vi", topic.keywords_vi), ("en", topic.keywords_en)):
                for word in words:
                    self._keywords.append(
                        _Keyword(
                            topic.id,
                            _key(word),
                            language,
                            has_vietnamese_marks(word),
                            len(re.split(SEPARATORS, word.strip())),
                        )
                    )
        self.matcher = PhraseMatcher(
            ((str(i), kw.phrase) for i, kw in enumerate(self._keywords)), check_case=False
        )
        used = {kw.phrase for kw in self._keywords}
        self._ambiguous = {_key(a.keyword): a for a in ambiguities if _key(a.keyword) in used}
        context = {_key(p) for a in self._ambiguous.values() for p in a.phrases()}
        self._context = PhraseMatcher(((p, p) for p in context), check_case=False)

    def hits(self, text: str, language: str | None = None) -> dict[str, list[tuple[int, int]]]:
        """Per topic, the (start, end) of every keyword hit that survives the rules."""
        return self.hits_and_vetoes(text, language)[0]

    def hits_and_vetoes(
        self, text: str, language: str | None = None
    ) -> tuple[dict[str, list[tuple[int, int]]], set[str]]:
        """Surviving hits, and the topics whose keywords the context file ruled out here."""
        found: dict[str, set[tuple[int, int]]] = defaultdict(set)
        vetoed: set[str] = set()
        for sentence in split_sentences(text):
            for topic, start, end, kept in self._sentence_hits(sentence, language):
                if kept:
                    found[topic].add((start, end))
                else:
                    vetoed.add(topic)
        return {topic: sorted(spans) for topic, spans in found.items()}, vetoed - set(found)

    def _sentence_hits(
        self, sentence: Sentence, language: str | None
    ) -> list[tuple[str, int, int, bool]]:
        marked = has_vietnamese_marks(sentence.text)
        english = language == "en" and not marked
        context: _SentenceContext | None = None
        out: list[tuple[str, int, int, bool]] = []
        for start, end, surface, keys in self.matcher.finditer(sentence.text):
            for key in keys:
                keyword = self._keywords[int(key)]
                if marked and keyword.marked and surface.isascii():
                    continue  # "bao" in a text with diacritics is not "bão"
                if english and keyword.language == "vi" and keyword.syllables < 2:
                    continue
                rule = self._ambiguous.get(keyword.phrase)
                if rule is not None and (not rule.topics or keyword.topic in rule.topics):
                    if context is None:
                        context = _SentenceContext(self._context, sentence.text, marked)
                    if not _passes(rule, context, start, end, marked):
                        out.append((keyword.topic, start, end, False))
                        continue
                out.append((keyword.topic, sentence.start + start, sentence.start + end, True))
        return out

    def score(
        self, text: str, title_end: int, language: str | None = None
    ) -> tuple[list[TopicScore], dict[str, int]]:
        """Scores for topics with at least one hit, best first, and hit counts."""
        return self.score_hits(self.hits(text, language), title_end)

    @staticmethod
    def score_hits(
        hits: dict[str, list[tuple[int, int]]], title_end: int
    ) -> tuple[list[TopicScore], dict[str, int]]:
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


def _passes(rule: Ambiguity, context: _SentenceContext, start: int, end: int, marked: bool) -> bool:
    if rule.part_of and context.covers(rule.part_of, start, end):
        return False
    if rule.excludes and context.has_any(rule.excludes):
        return False
    if rule.requires and not context.has_any(rule.requires):
        return False
    return marked or not rule.unmarked_requires or context.has_any(rule.unmarked_requires)


# How much a rule hit adds to the model's probability (noisy-OR): chosen on the
# train split's out-of-fold predictions; an unknown-to-the-model topic uses rules alone.
RULE_WEIGHT = 0.6
# A keyword the context file ruled out ("đồng bào" as fellow citizens, "tôn giáo"
# in a textbook) also damps the model's score for that topic, unless other
# keywords of the topic survive: the model learnt those words as evidence.
VETO = 0.5
_LEAD_SENTENCES = 2  # title + lead feed the sentence-vector head (deep stage only)


class TopicTagger:
    """Rules + the trained model, as the config's topic ids with scores."""

    def __init__(
        self,
        topics: Sequence[Topic],
        model: OfficeTopicModel | None,
        ambiguities: Sequence[Ambiguity] = (),
        encoder: Any = None,
    ) -> None:
        self.rules = KeywordTopics(topics, ambiguities)
        self.ids = [topic.id for topic in topics]
        self.model = model
        self.encoder = encoder
        known = set(model.topics) if model else set()
        # The model's columns for the config's topics; a topic it never saw gets rules only.
        self._columns = (
            [(topic_id, model.topics.index(topic_id)) for topic_id in self.ids if topic_id in known]
            if model
            else []
        )

    @property
    def version(self) -> str:
        model = self.model.key if self.model else "none"
        deep = "deep" if self.encoder is not None and self.model and self.model.has_vectors else ""
        return f"{model}{deep}-{ambiguities_digest()}-{RULE_WEIGHT}-{VETO}"

    def score(
        self,
        text: str,
        title_end: int,
        language: str | None = None,
        sentences: Sequence[Sentence] | None = None,
        *,
        deep: bool = False,
    ) -> tuple[list[TopicScore], dict[str, list[tuple[int, int]]]]:
        """Every topic with a non-zero score, best first, and the rule hits (for reasons)."""
        hits, vetoed = self.rules.hits_and_vetoes(text, language)
        rule_scores, _counts = KeywordTopics.score_hits(hits, title_end)
        values = {t.id: RULE_WEIGHT * t.score for t in rule_scores}
        if self.model is not None and self._columns:
            model = self._model_scores(text, sentences, deep)
            for topic_id, column in self._columns:
                rule = values.get(topic_id, 0.0)
                learned = float(model[column]) * (VETO if topic_id in vetoed else 1.0)
                values[topic_id] = 1.0 - (1.0 - learned) * (1.0 - rule)
        for topic_id in {t.id for t in rule_scores} - {c for c, _ in self._columns}:
            values[topic_id] = next(t.score for t in rule_scores if t.id == topic_id)
        scores = [TopicScore(id=k, score=round(v, 4)) for k, v in values.items() if v > 0.01]
        scores.sort(key=lambda t: (-t.score, t.id))
        return scores, hits

    def _model_scores(self, text: str, sentences: Sequence[Sentence] | None, deep: bool) -> Any:
        assert self.model is not None
        tfidf = self.model.tfidf_logits([text])
        vector_logits = None
        if deep and self.encoder is not None and self.model.has_vectors:
            parts = sentences if sentences is not None else split_sentences(text)
            lead = [s.text for s in parts[:_LEAD_SENTENCES]] or [text]
            mean = self.encoder.encode(lead, query=VECTOR_QUERY).mean(axis=0, keepdims=True)
            # the heads were trained on unit vectors, one per passage
            vector_logits = self.model.vector_logits(mean / max(float(np.linalg.norm(mean)), 1e-9))
        return self.model.probabilities(tfidf, vector_logits)[0]

    def sensitive(self, topic_id: str) -> bool:
        return self.rules.sensitive(topic_id)


def build_tagger(config: AnalysisConfig) -> TopicTagger:
    """The analyzer's topic tagger: config topics, the office model, the context file."""
    from nlp.encoder import shared_encoder
    from nlp.topic_office import load_or_build

    return TopicTagger(
        config.topics,
        load_or_build(config.models_dir),
        load_ambiguities(),
        encoder=shared_encoder(),
    )
