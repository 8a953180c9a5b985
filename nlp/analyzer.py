"""The one NLP interface the pipeline calls: `build_analyzer(settings).analyze(docs)`.

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
from typing import TYPE_CHECKING, Any, Protocol

from core.analysis import AnalysisResult, Document, LabelScore, NarrativeMatch, TopicScore
from nlp import distortion as distortion_score
from nlp.normalize import detect_language, fold
from nlp.places import Gazetteer, relevant
from nlp.text import Sentence, document_text, split_sentences
from nlp.topics import KeywordTopics

if TYPE_CHECKING:
    from core.config import Settings
    from nlp.narratives import Candidate, NarrativeMatcher

logger = logging.getLogger(__name__)

RULES_VERSION = "4"  # bump when the shared rules below change results
_MAX_SENTENCES = 80  # per article for the sentence classifiers; long tails carry little stance
_SALIENT = (
    "việt nam",
    "viet nam",
    "vietnam",
    "chính quyền",
    "nhà nước",
    "chính phủ",
    "tỉnh",
    "government",
    "authorities",
    "regime",
    "province",
    "provincial",
    "officials",
)
_SALIENT_FOLDED = tuple(fold(s) for s in _SALIENT)
_EVIDENCE_TOP = 3
_DECIDE = 0.5  # mean probability of the top sentences needed to leave "neutral"


class SentenceClassifier(Protocol):
    """Stance and tone probabilities per sentence; what a backend plugs in."""

    version: str

    def predict_tasks(self, texts: Sequence[str]) -> dict[str, list[dict[str, float]]]:
        """{"stance": [...], "tone": [...]}: per text, probability of each label."""
        ...


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
    scored: list[Sentence]  # the sentences sent to the classifiers


class RuleAnalyzer:
    """Gazetteer + keyword topics + sentence classifiers + narratives + distortion."""

    def __init__(
        self,
        settings: Settings,
        classifier: SentenceClassifier,
        narratives: NarrativeMatcher,
        *,
        backend: str,
        model_version: str,
    ) -> None:
        self.settings = settings
        self.gazetteer = Gazetteer.from_settings(settings)
        self.topics = KeywordTopics(settings.topics)
        self.classifier = classifier
        self.narratives = narratives
        self.backend = backend
        self.model_version = model_version
        self.version = _version(settings, backend, model_version, narratives.version)

    def analyze(self, docs: Sequence[Document]) -> list[AnalysisResult]:
        prepared = [self._prepare(doc) for doc in docs]
        batch = [s.text for p in prepared for s in p.scored]
        predicted = self.classifier.predict_tasks(batch)
        stance, tone = predicted["stance"], predicted["tone"]
        results: list[AnalysisResult] = []
        offset = 0
        for item in prepared:
            count = len(item.scored)
            results.append(
                self._result(item, stance[offset : offset + count], tone[offset : offset + count])
            )
            offset += count
        return results

    def _prepare(self, doc: Document) -> _Prepared:
        text = document_text(doc)
        title_end = len(doc.title.strip())
        language = doc.language or detect_language(text)
        sentences = split_sentences(text)
        return _Prepared(doc, text, title_end, language, sentences, sentences[:_MAX_SENTENCES])

    def _result(
        self, item: _Prepared, stance_p: list[dict[str, float]], tone_p: list[dict[str, float]]
    ) -> AnalysisResult:
        thresholds = self.settings.nlp.thresholds
        places = self.gazetteer.find(item.text)
        topics, _counts = self.topics.score(item.text, item.title_end)
        weights = [self._salience(item, s, places) for s in item.scored]
        stance = _aggregate(item.scored, stance_p, weights, ("supportive", "critical"))
        tone = _aggregate(item.scored, tone_p, weights, ("positive", "negative"))
        candidates = self.narratives.match(item.sentences, item.title_end)
        matches = tuple(
            NarrativeMatch(id=c.narrative, score=c.score, sentence=c.sentence.text)
            for c in candidates
            if not c.denied
        )
        # The stance reason weighs the classifier's own evidence: a stance derived
        # from a narrative match would count the same sentence twice.
        classifier_stance = stance
        if matches and stance.label != "critical":
            stance = _narrative_stance(matches, stance)
        shown = tuple(t for t in topics if t.score >= thresholds.topic_score) or tuple(topics[:1])
        sensitive = {t.id for t in self.settings.topics if t.sensitive}
        result = distortion_score.score(
            narratives=matches,
            topics=shown,
            sensitive=sensitive,
            topic_threshold=thresholds.topic_score,
            stance=classifier_stance,
            tone=tone,
            origin=item.doc.origin,
            flag_threshold=thresholds.flag,
            topic_sentences=self._topic_sentences(item, shown),
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
            extra={"denied_narratives": [_denial(c) for c in candidates if c.denied]},
        )

    def _salience(self, item: _Prepared, sentence: Sentence, places: Sequence[Any]) -> float:
        weight = 1.0
        if sentence.start < item.title_end:
            weight += 1.0
        if any(sentence.start <= p.start < sentence.end for p in places):
            weight += 1.0
        folded = fold(sentence.text)
        if any(word in folded for word in _SALIENT_FOLDED):
            weight += 0.5
        return weight

    def _topic_sentences(self, item: _Prepared, topics: Sequence[TopicScore]) -> dict[str, str]:
        """The first sentence that triggered each shown topic, for the reasons."""
        found: dict[str, str] = {}
        wanted = {t.id for t in topics}
        hits = self.topics.hits(item.text)
        for topic_id in wanted & hits.keys():
            start = hits[topic_id][0][0]
            for sentence in item.sentences:
                if sentence.start <= start < sentence.end:
                    found[topic_id] = sentence.text
                    break
        return found


def _aggregate(
    sentences: Sequence[Sentence],
    probabilities: Sequence[dict[str, float]],
    weights: Sequence[float],
    polar: tuple[str, str],
) -> LabelScore:
    """Article label from its sentences: a polar label needs a few confident sentences.

    A mean over all sentences would drown three critical sentences in thirty
    neutral ones; the evidence for a polar label is the salience-weighted mean
    of its top sentences, and the stronger polar side wins if it passes `_DECIDE`.
    """
    if not probabilities:
        return LabelScore(label="neutral", score=1.0)
    evidence: dict[str, tuple[float, list[int]]] = {}
    for label in polar:
        ranked = sorted(
            range(len(probabilities)),
            key=lambda i: -probabilities[i].get(label, 0.0) * min(1.0, 0.6 + 0.2 * weights[i]),
        )[:_EVIDENCE_TOP]
        values = [
            probabilities[i].get(label, 0.0) * min(1.0, 0.6 + 0.2 * weights[i]) for i in ranked
        ]
        evidence[label] = (sum(values) / len(values), ranked)
    best = max(polar, key=lambda label: evidence[label][0])
    value, ranked = evidence[best]
    other = evidence[polar[1] if best == polar[0] else polar[0]][0]
    if value >= _DECIDE and value - other >= 0.1:
        carrying = tuple(
            sentences[i].text for i in ranked if probabilities[i].get(best, 0.0) >= _DECIDE
        )
        return LabelScore(label=best, score=round(value, 4), sentences=carrying)
    neutral = 1.0 - max(value, other)
    return LabelScore(label="neutral", score=round(neutral, 4))


def _narrative_stance(matches: Sequence[NarrativeMatch], stance: LabelScore) -> LabelScore:
    """Repeating a known false claim about the province is a critical stance."""
    strongest = max(matches, key=lambda m: m.score)
    score = max(0.5, min(1.0, strongest.score))
    return LabelScore(label="critical", score=round(score, 4), sentences=(strongest.sentence,))


def _denial(candidate: Candidate) -> dict[str, Any]:
    return {
        "id": candidate.narrative,
        "score": candidate.score,
        "sentence": candidate.sentence.text,
        "why": candidate.why,
    }


def _version(settings: Settings, backend: str, model_version: str, narratives: str) -> str:
    relevant_config = {
        "places": [p.model_dump() for p in settings.watch.all_places()],
        "topics": [t.model_dump() for t in settings.topics],
        "narratives": [n.model_dump() for n in settings.narratives],
        "nlp": settings.nlp.model_dump(),
    }
    digest = hashlib.sha256(json.dumps(relevant_config, sort_keys=True, default=str).encode())
    digest.update(f"{RULES_VERSION}|{model_version}|{narratives}".encode())
    return f"{backend}-{digest.hexdigest()[:16]}"


def build_analyzer(settings: Settings) -> Analyzer:
    """The analyzer config selects; heavy models load lazily inside it, never at import."""
    if settings.nlp.backend == "transformers":
        from nlp.backends.transformers import build_transformers_analyzer

        return build_transformers_analyzer(settings)
    from nlp.backends.embedded import build_embedded_analyzer

    return build_embedded_analyzer(settings)
